"""Fakes for the parts a test is not about: a clock the test sets, and blobs kept in memory.

``Clock`` replaces the application's clock (``fieldcheck.types.utcnow``, which every view, service
context and column default reads) for one test: see the ``clock`` fixture in tests/conftest.py.

``MemoryBlobStore`` follows the ``BlobStore`` protocol of fieldcheck/storage.py with a dict; the
application's own one (``fieldcheck.storage.MemoryBlobStore``, chosen by configuration) is used
instead when it exists.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

from fieldcheck.storage import BlobConflict, BlobNotFound, validate_key

# A Friday in November 2026, 10:00 in the city (Asia/Shanghai): a working day, inside the default
# calendar and checklist of the `district` fixture.
DEFAULT_NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


class Clock:
    """The time as the test sets it: ``clock.now()``, ``clock.set(when)``, ``clock.advance(hours=3)``.

    It does not move by itself: two reads without a ``set`` or ``advance`` between them are equal.
    """

    def __init__(self, now: datetime = DEFAULT_NOW) -> None:
        self._now = self._checked(now)

    @staticmethod
    def _checked(when: datetime) -> datetime:
        if when.tzinfo is None:
            raise ValueError("the clock takes aware datetimes only")
        return when.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def __call__(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> datetime:
        self._now = self._checked(when)
        return self._now

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move forward by ``delta`` or by timedelta keyword arguments (``days=2``, ``hours=3``)."""
        self._now = self._now + (delta if delta is not None else timedelta(**parts))
        return self._now

    def __repr__(self) -> str:
        return f"Clock({self._now.isoformat()})"


def frozen_datetime(clock: Clock) -> type[datetime]:
    """A ``datetime`` subclass whose ``now()`` reads ``clock`` (everything else is the real class)."""

    class ClockedDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            now = clock.now()
            return now.astimezone(tz) if tz is not None else now.astimezone().replace(tzinfo=None)

        @classmethod
        def utcnow(cls):  # pragma: no cover - the application does not use it
            return clock.now().replace(tzinfo=None)

    return ClockedDatetime


class MemoryBlobStore:
    """Blobs in a dict, following fieldcheck.storage.BlobStore (put is atomic under a lock)."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryBlobStore({len(self._blobs)} blobs)"

    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> None:
        validate_key(key)
        data = bytes(data)
        with self._lock:
            held = self._blobs.get(key)
            if held is not None and not overwrite and held != data:
                raise BlobConflict(f"a different blob already exists under {key!r}")
            self._blobs[key] = data

    def get(self, key: str) -> bytes:
        validate_key(key)
        with self._lock:
            held = self._blobs.get(key)
        if held is None:
            raise BlobNotFound(key)
        return held

    def open(self, key: str) -> BinaryIO:
        return io.BytesIO(self.get(key))

    def exists(self, key: str) -> bool:
        validate_key(key)
        return key in self._blobs

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._lock:
            self._blobs.pop(key, None)

    def keys(self, prefix: str = "") -> Iterator[str]:
        with self._lock:
            found = sorted(k for k in self._blobs if k.startswith(prefix))
        yield from found


def memory_blob_store():
    """The application's in-memory store when it has one, else the fake above."""
    try:
        from fieldcheck.storage import MemoryBlobStore as AppMemoryBlobStore  # type: ignore[attr-defined]
    except ImportError:
        return MemoryBlobStore()
    return AppMemoryBlobStore()
