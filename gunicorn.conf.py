"""gunicorn's settings for paperbot, read from the working directory by `gunicorn bot.wsgi:app`
(the Procfile's web line and app.yaml's entrypoint run it from the repository root).

Chosen so that slow or silent clients cannot stop the webhook from answering (GitHub gives a
delivery 10 s, /healthz is what the platform watches): gunicorn's threaded worker, with a deadline
on reading each request (bot/service/http_worker.py, PAPERBOT_REQUEST_SECONDS, 10 s) and 32
threads a worker, so 20 clients sending a byte a second hold 20 threads for at most 10 s each
while the others answer. tests/security/test_gunicorn.py runs this setup and checks it.
"""

worker_class = "bot.service.http_worker.Worker"
threads = 32
timeout = 30  # a worker whose main loop is silent this long is restarted
graceful_timeout = 30
keepalive = 5
worker_tmp_dir = "/dev/shm"  # heartbeat file in memory, not on a disk that may stall
