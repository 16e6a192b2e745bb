"""The rate limiter's in-memory storage for the test apps, without its expiry timer thread.

limits' ``MemoryStorage`` starts a ``threading.Timer`` when it is made and again after each hit, only to
drop expired counters and window entries from memory early; every read already compares the stored
times with the clock, so what it allows or refuses does not depend on that thread. Flask-Limiter makes
two such storages per ``init_app`` (the configured ``memory://`` one and the in-memory fallback), and the
suite makes ~2,450 apps: 5-8 ms of thread starts each under load, for memory a test never holds long.

Importing this module registers the class for the ``memory://`` scheme (the configuration stays
``memory://``) and as Flask-Limiter's fallback storage, in the test process only.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict

import flask_limiter._extension
from limits.storage import MemoryStorage


class TimerlessMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = ["memory"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        # MemoryStorage.__init__'s state, without starting its timer.
        self.storage = Counter()
        self.locks = defaultdict(threading.RLock)
        self.expirations = {}
        self.events = {}
        self.timer = threading.Timer(0.01, lambda: None)  # never started
        super(MemoryStorage, self).__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def _MemoryStorage__schedule_expiry(self) -> None:
        """Called by MemoryStorage on each hit to restart the timer: nothing to restart."""


flask_limiter._extension.MemoryStorage = TimerlessMemoryStorage
