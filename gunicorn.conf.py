"""Gunicorn configuration: `gunicorn -c gunicorn.conf.py` (or `fieldcheck serve`, which uses the same).

The settings, and why each has its value, are in fieldcheck/gunicorn_config.py (inside the package, so an
installed fieldcheck has them too). Override one here or on the command line, e.g. `--workers 4`.
"""

from fieldcheck.gunicorn_config import *  # noqa: F403
