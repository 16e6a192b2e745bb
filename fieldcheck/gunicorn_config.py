"""Gunicorn settings for a city deployment (``fieldcheck serve``, or ``gunicorn -c gunicorn.conf.py``).

Gunicorn reads the module-level names below that are its settings; the rest is ignored. Environment
variables adjust the few that depend on the machine: ``FIELDCHECK_BIND`` (default ``127.0.0.1:8000``:
nginx in front), ``FIELDCHECK_WORKERS`` and ``FIELDCHECK_THREADS``.

Why these values:

* **workers**: filing a report decodes and resizes 12 MP photos, which is CPU work, so processes, not
  threads, carry the load: two per core plus one (at most 12), the usual figure for CPU-bound requests
  that also wait on PostgreSQL and storage.
* **gthread, 2 threads each**: a thread waiting on storage, the database or a slow client does not
  hold its whole process.
* **timeout 300 s**: behind nginx (which buffers request bodies: README) the app reads a 60 MB upload
  at loopback speed; without that buffering, a phone on 2 Mbit/s needs about 4 minutes for 60 MB.
  With gthread the timeout only kills a worker whose main loop is stuck, not a slow request.
* **graceful_timeout 60 s** to finish requests in flight on reload or stop; **keepalive 5 s** behind
  a proxy that reuses connections.
* **max_requests 2000 with jitter 200**: each process is replaced now and then (bounds slow leaks,
  e.g. image libraries' caches), and the jitter keeps them from restarting all at once.
* **access log off**: the app writes one JSON line per request on the ``fieldcheck.access`` logger
  (method, path, status, duration, request id, user id: fieldcheck/requestlog.py); the logging
  configuration below sends those lines to standard output and gunicorn's own messages to stderr.
* **malloc kept from the kernel** (``on_starting``, glibc only): a filing allocated and freed about
  45 MB (the upload and its copies, the decoded photo, the display copy; since session 10 a filing
  decodes at 1/8 scale and the display copy is made on a photo's first view). glibc's malloc maps blocks
  of more than 128 kB to fresh pages from the kernel and hands freed memory back, so every report
  touched about 10,000 newly zeroed pages: 25-35 ms of system CPU a report, the part of a report's
  cost that gunicorn's workers showed and an in-process run did not. Blocks under 32 MB now come
  from malloc's heaps and up to 64 MB of free memory stays with each heap: under 600 page faults and 6-8
  ms of system CPU a report, for about 60-100 MB more resident memory in a busy worker
  (bench/README.md, load.py).
"""

from __future__ import annotations

import ctypes
import os
import sys

wsgi_app = "fieldcheck:create_app()"
bind = [os.environ.get("FIELDCHECK_BIND") or "127.0.0.1:8000"]


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def default_workers(cores: int | None = None) -> int:
    cores = cores or os.cpu_count() or 1
    return min(2 * cores + 1, 12)


workers = _int_env("FIELDCHECK_WORKERS", default_workers())
worker_class = "gthread"
threads = _int_env("FIELDCHECK_THREADS", 2)
timeout = 300
graceful_timeout = 60
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
# The workers' heartbeat files in memory, not on a disk that may stall (Docker's overlay, a busy SD card).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = None
errorlog = "-"
loglevel = "info"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "message": {"format": "%(message)s"},
        "plain": {"format": "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "access": {"class": "logging.StreamHandler", "formatter": "message", "stream": "ext://sys.stdout"},
        "errors": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"},
    },
    "loggers": {
        "fieldcheck.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        "gunicorn.error": {"level": "INFO", "handlers": ["errors"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
    "root": {"level": "WARNING", "handlers": ["errors"]},
}


# glibc's mallopt() parameters (malloc.h) and the values set in gunicorn's master before it forks the
# workers (see the module docstring).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MALLOC_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest
MALLOC_TRIM_THRESHOLD = 64 * 1024 * 1024


def tune_malloc() -> bool:
    """Keep a filing's large blocks in malloc's heaps instead of fresh pages from the kernel (glibc's
    ``mallopt``); False where the C library has no mallopt (macOS) or refuses the values (musl)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    mmap_set = mallopt(_M_MMAP_THRESHOLD, MALLOC_MMAP_THRESHOLD) == 1
    return mallopt(_M_TRIM_THRESHOLD, MALLOC_TRIM_THRESHOLD) == 1 and mmap_set


def on_starting(server) -> None:
    """Gunicorn's hook in the master before the workers are forked: they inherit malloc's settings."""
    if not tune_malloc():
        server.log.info("malloc settings left as they are (no glibc mallopt)")


def gunicorn_argv(
    bind: str | None = None, workers: int | None = None, extra: list[str] | None = None
) -> list[str]:
    """The command ``fieldcheck serve`` runs: this interpreter's gunicorn with this module as config."""
    argv = [sys.executable, "-m", "gunicorn", "--config", "python:fieldcheck.gunicorn_config"]
    if bind:
        argv += ["--bind", bind]
    if workers:
        argv += ["--workers", str(workers)]
    return argv + list(extra or [])
