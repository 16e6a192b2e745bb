"""Fakes for the parts a test is not about: a clock the test sets.

``Clock`` replaces the application's clock (``fieldcheck.types.utcnow``, which every view, service
context and column default reads) for one test: see the ``clock`` fixture in tests/conftest.py.
Blobs in memory: ``fieldcheck.storage.MemoryBlobStore`` (configuration ``BLOB_URL="memory://"``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
