"""paperbot: reviews pull requests to curated lists of scientific papers."""

__version__ = "0.1.0"

# One log line format for every process the bot runs (gunicorn app, worker, dev server).
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
