"""gunicorn settings: ``gunicorn -c python:portal.gunicorn_conf 'portal:create_app()'``.

Sync workers (DESIGN §8: on 2 cores, gthread piled keep-alive connections onto one
worker). The access log keeps what operations need and nothing that identifies a
visitor: no client address, no user agent, no query string, no referrer.
"""

import functools
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("PORTAL_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 60
graceful_timeout = 30
# A safety net against a slow leak, chosen from benchmarks/recycling.py: over 56,000
# requests (pages, forms, queue, submissions) a worker grew by 0.8 MB, while each
# recycle costs about 1.5 s of CPU to import and create the application again (at
# 2,000 requests it was about 0.75 ms a request, 13 % of a benchmark's time).
max_requests = 50_000
max_requests_jitter = 5_000
accesslog = "-"
errorlog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
#: Whatever the workers create (the database, its WAL) is the service account's alone.
umask = 0o077
#: No control socket: by default every gunicorn of the account shares one
#: (~/.gunicorn/gunicorn.ctl), so one instance could be driven through another's.
control_socket_disable = True


def on_starting(server) -> None:
    """Check the whole configuration once, strictly, in the master: a missing secret, a
    secrets file readable by others or per-worker rate-limit counters refuse to start.
    Workers started later (max_requests) only warn, so that a change made on the disk
    after start-up can never take the service down at a random time."""
    from portal.config import Config, check_shared_rate_limits

    config = Config.from_env()
    check_shared_rate_limits(config.ratelimit_storage_uri, server.cfg.workers)


def post_worker_init(worker) -> None:
    """Move everything the application loaded at start-up out of the garbage
    collector's reach: full collections then only scan what requests create, which
    took pauses of tens of milliseconds off the slowest back-office pages."""
    import gc

    gc.freeze()


#: A request body above this leaves freed buffers that glibc keeps in the worker's heap.
LARGE_BODY_BYTES = 1024 * 1024


def post_request(worker, req, environ, resp) -> None:
    """After a large upload, hand the freed heap back to the system: without it a
    worker kept about 45 MB more after a 10 MB photo until it was recycled (measured
    by tests/browser/test_upload_memory.py)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if length > LARGE_BODY_BYTES:
        _release_free_heap()


def _release_free_heap() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, looked up once (``None`` on another C library)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
