"""When reminders and digests are due (fieldcheck.notify.schedule, pure)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fieldcheck.calendar import WorkCalendar
from fieldcheck.notify import schedule

TZ = ZoneInfo("Asia/Shanghai")
# National Day 2026: 10-01..10-07 off, Saturday 10-10 a make-up working day.
CAL = WorkCalendar(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    workdays=frozenset({date(2026, 10, 10)}),
    loaded_years=frozenset({2026}),
)
START, UNTIL = time(8, 30), time(18, 0)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.mark.parametrize(
    ("at", "slot"),
    [
        (local(2026, 11, 20, 10, 5), local(2026, 11, 20, 10, 30)),
        (local(2026, 11, 20, 10, 30), local(2026, 11, 20, 10, 30)),
        (local(2026, 11, 20, 6, 0), local(2026, 11, 20, 8, 30)),
        (local(2026, 11, 20, 17, 31), local(2026, 11, 23, 8, 30)),  # Friday evening -> Monday
        (local(2026, 9, 30, 18, 0), local(2026, 10, 8, 8, 30)),  # over the holiday
        (local(2026, 10, 9, 20, 0), local(2026, 10, 10, 8, 30)),  # a make-up Saturday
    ],
)
def test_the_offices_digest_slots(at, slot):
    assert schedule.next_office_slot(at, CAL, TZ, START, UNTIL) == slot


def test_daily_digest_day_and_month_ready():
    assert schedule.daily_digest_day(local(2026, 10, 8, 8, 29), CAL, TZ, START) is None
    assert schedule.daily_digest_day(local(2026, 10, 8, 8, 30), CAL, TZ, START) == date(2026, 10, 8)
    assert schedule.daily_digest_day(local(2026, 10, 3, 9, 0), CAL, TZ, START) is None
    # October's first working day is the 8th: September is ready from then on.
    assert schedule.month_ready(local(2026, 10, 2, 9, 0), CAL, TZ, START) is None
    assert schedule.month_ready(local(2026, 10, 8, 9, 0), CAL, TZ, START) == "2026-09"
    assert schedule.month_ready(local(2026, 10, 9, 9, 0), CAL, TZ, START) == "2026-09"


def test_due_soon_windows():
    now = local(2026, 11, 20, 10, 0)
    assert schedule.wants_due_soon(now, now + timedelta(hours=23), now - timedelta(days=2), "S2")
    assert not schedule.wants_due_soon(now, now + timedelta(hours=3), now - timedelta(hours=21), "S1")
    assert schedule.wants_due_soon(now, now + timedelta(hours=2), now - timedelta(hours=22), "S1")
    # An S0 item's whole deadline is its window: the dispatch itself told it.
    assert not schedule.wants_due_soon(now, now + timedelta(hours=1), now - timedelta(hours=1), "S0")
    assert not schedule.wants_due_soon(now, now - timedelta(minutes=1), None, "S2")


@pytest.mark.parametrize("text", ["8:30", "24:00", "08:60", "", "0830", None])
def test_bad_digest_times_are_refused(text):
    with pytest.raises(ValueError, match="FIELDCHECK_DIGEST_TIME"):
        schedule.parse_time(text)
