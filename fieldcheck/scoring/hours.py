"""Working time between two moments, one pair at a time (the mean time to rectify is in working hours).
``arrays.working_seconds`` computes the same for many pairs at once."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from ..calendar import WorkCalendar


class WorkingHours:
    """Working time between two moments in seconds: the part of the interval on local working days."""

    def __init__(self, calendar: WorkCalendar, tz: tzinfo):
        self.calendar, self.tz = calendar, tz
        self._working: dict[int, bool] = {}  # by proleptic ordinal of the local date
        self._between: dict = {}

    def _is_working(self, ordinal: int) -> bool:
        cached = self._working.get(ordinal)
        if cached is None:
            cached = self._working[ordinal] = self.calendar.is_working_day(date.fromordinal(ordinal))
        return cached

    def _days_between(self, first: int, last: int) -> int:
        """Working days strictly between two dates (ordinals)."""
        key = (first, last)
        cached = self._between.get(key)
        if cached is None:
            cached = self._between[key] = sum(self._is_working(day) for day in range(first + 1, last))
        return cached

    def __call__(self, start: datetime, end: datetime) -> int:
        s, e = start.astimezone(self.tz), end.astimezone(self.tz)
        sd, ed = s.toordinal(), e.toordinal()
        s_sec = s.hour * 3600 + s.minute * 60 + s.second
        e_sec = e.hour * 3600 + e.minute * 60 + e.second
        if sd == ed:
            return e_sec - s_sec if self._is_working(sd) else 0
        total = (86400 - s_sec) if self._is_working(sd) else 0
        total += self._days_between(sd, ed) * 86400
        return total + (e_sec if self._is_working(ed) else 0)
