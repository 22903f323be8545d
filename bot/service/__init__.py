"""The deployed bot: the webhook, the durable queue, the worker, the job, and the GitHub edge."""
