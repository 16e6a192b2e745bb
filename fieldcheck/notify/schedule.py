"""When reminders and digests are due (pure: the calendar, the time zone and the times are arguments).

- Deadline reminders: a report still waiting for its fix is "due soon" when its deadline is within 24
  hours (S0/S1 items: 2 hours), and "overdue" once past it. Each is sent once per report and deadline (a
  rework or a suspension sets a new deadline, which is reminded of again). A "due soon" reminder that
  would arrive with the dispatch itself (the whole deadline is shorter than the window) is not sent.
- Digests go out on working days only: the sub-district's daily digest of its overdue items at the digest
  time (default 08:30 local); the office's digest of waiting work at most hourly, at the digest time and
  every hour after it until the end of the office day (default 18:00); what arrives outside those hours
  waits for the next slot.
- A month is ready to publish from the first working day after it ends, at the digest time (once).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

from fieldcheck.calendar import WorkCalendar, local_date
from fieldcheck.months import Month

DUE_SOON = timedelta(hours=24)
DUE_SOON_URGENT = timedelta(hours=2)
URGENT_SEVERITIES = frozenset({"S0", "S1"})
# How far back an overdue deadline is still reminded of (a worker started after a long stop, or a first
# start on an old database, does not send a backlog; the sub-district's daily digest lists them all).
OVERDUE_LOOKBACK = timedelta(days=3)
MAX_SLOTS_AHEAD = 400

_TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def parse_time(text: str, name: str = "FIELDCHECK_DIGEST_TIME") -> time:
    """'HH:MM' (24-hour) -> time; anything else is a ValueError naming the setting."""
    match = _TIME_RE.match(str(text).strip())
    if not match:
        raise ValueError(f"{name} must be a local time HH:MM such as 08:30, not {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


def reminder_window(severity: str | None) -> timedelta:
    return DUE_SOON_URGENT if severity in URGENT_SEVERITIES else DUE_SOON


def wants_due_soon(
    now: datetime, due_at: datetime, dispatched_at: datetime | None, severity: str | None
) -> bool:
    """Whether a 'due soon' reminder is due now for a deadline that has not passed."""
    window = reminder_window(severity)
    if not now < due_at <= now + window:
        return False
    return dispatched_at is None or dispatched_at < due_at - window


def _local(day: date, at: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def next_office_slot(at: datetime, calendar: WorkCalendar, tz: tzinfo, start: time, until: time) -> datetime:
    """The first office digest slot at or after ``at``: on a working day, ``start`` and each hour after
    it before ``until`` (local); at least ``start`` itself when ``until`` is not after it."""
    day = local_date(at, tz)
    for _ in range(MAX_SLOTS_AHEAD):
        if calendar.is_working_day(day):
            slot = _local(day, start, tz)
            end = max(_local(day, until, tz), slot + timedelta(seconds=1))
            while slot < end:
                if slot >= at:
                    return slot
                slot += timedelta(hours=1)
        day += timedelta(days=1)
    raise ValueError("no working day within a year")  # pragma: no cover - a calendar of holidays only


def daily_digest_day(now: datetime, calendar: WorkCalendar, tz: tzinfo, at: time) -> date | None:
    """Today's local date if it is a working day and its digest time has come, else None."""
    day = local_date(now, tz)
    if not calendar.is_working_day(day) or now < _local(day, at, tz):
        return None
    return day


def month_ready(now: datetime, calendar: WorkCalendar, tz: tzinfo, at: time) -> str | None:
    """The month just ended, from the digest time of the first working day after it (the caller sends
    it once and not for a month already published), else None."""
    day = daily_digest_day(now, calendar, tz, at)
    if day is None:
        return None
    previous = Month(day.year, day.month).previous()
    first = date(day.year, day.month, 1)
    while not calendar.is_working_day(first):
        first += timedelta(days=1)
    return str(previous) if day >= first else None
