"""Working days, rectification deadlines and local months (pure: the time zone is always an argument).

Working days. A day is a working day if it is a make-up working day (调休上班), otherwise if it is not a
public holiday and falls Monday to Friday. Holidays come from calendar files, one per year, loaded like
the checklist; for a year with no file loaded only weekends are days off (``WorkCalendar.is_loaded``
lets a page say so).

Deadlines (the rule the office explains to communities):

- ``Nh`` (S0 2 hours, S1 24 hours): N clock hours after dispatch, nights, weekends and holidays included.
- ``Nwd`` (S2 3, S3 7 working days): the end of the N-th working day after the day of dispatch, in local
  time. The day of dispatch never counts, whatever the hour and whether or not it is a working day.
  Dispatched on Wednesday 2026-09-30 at any hour, 3 working days is the end of Saturday 2026-10-10
  (10-01 to 10-07 are the National Day holiday, 10-08 and 10-09 are working days, 10-10 is a make-up
  working Saturday).
- ``plan`` (S4 挂账): the end of the plan date the office approved, or no deadline until there is one.

"The end of a day" is stored as 23:59:59.999999 local time on that day, so the deadline shows as that
date and anything done during that day is on time; a report is overdue when now > due.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from fieldcheck.checklist.spec import Deadline
from fieldcheck.months import BadMonth, Month

if TYPE_CHECKING:
    from .files import CalendarFile

__all__ = [
    "END_OF_DAY",
    "WorkCalendar",
    "due_at",
    "end_of_local_day",
    "local_date",
    "local_month",
    "local_text",
    "month_bounds",
]

#: The last representable moment of a day; a deadline "at the end of a day" is this local time.
END_OF_DAY = time(23, 59, 59, 999999)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def local_date(moment: datetime, tz: tzinfo) -> date:
    """The calendar date of an aware moment in the city's time zone."""
    _require_aware(moment, "moment")
    return moment.astimezone(tz).date()


def end_of_local_day(day: date, tz: tzinfo) -> datetime:
    """The end of ``day`` in the city's time zone (23:59:59.999999 local), as an aware UTC datetime."""
    return datetime.combine(day, END_OF_DAY, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class WorkCalendar:
    """Public holidays and make-up working days for the loaded years."""

    holidays: frozenset[date] = frozenset()
    #: Make-up working days (调休上班): weekend days that are working days.
    workdays: frozenset[date] = frozenset()
    #: Years whose holiday schedule is loaded; other years count weekends only.
    loaded_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"{min(both).isoformat()} is both a holiday and a make-up working day")

    @classmethod
    def from_files(cls, files: Iterable[CalendarFile]) -> WorkCalendar:
        """Combine calendar files, one per year."""
        holidays: set[date] = set()
        workdays: set[date] = set()
        years: set[int] = set()
        for calendar_file in files:
            if calendar_file.year in years:
                raise ValueError(f"calendar year {calendar_file.year} is given twice")
            years.add(calendar_file.year)
            holidays.update(day for day, _name in calendar_file.holidays)
            workdays.update(calendar_file.workdays)
        return cls(frozenset(holidays), frozenset(workdays), frozenset(years))

    def is_loaded(self, year: int) -> bool:
        """Whether the year's holiday schedule is loaded (if not, only weekends are days off)."""
        return year in self.loaded_years

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def working_day_after(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (``day`` itself never counts); n >= 1."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"the number of working days must be a whole number of at least 1, not {n!r}")
        current = day
        remaining = n
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def add_working_days(self, start: datetime, n: int, tz: tzinfo) -> datetime:
        """The end (23:59:59.999999 local) of the n-th working day after the local day of ``start``, as an
        aware UTC datetime. The day of ``start`` never counts, working day or not."""
        _require_aware(start, "start")
        return end_of_local_day(self.working_day_after(local_date(start, tz), n), tz)


def due_at(
    severity_deadline: Deadline,
    dispatched_at: datetime,
    calendar: WorkCalendar,
    tz: tzinfo,
    plan_date: date | None = None,
) -> datetime | None:
    """When a report dispatched at ``dispatched_at`` must be rectified, as an aware UTC datetime.

    hours: ``dispatched_at`` plus that many clock hours; working_days: the end of the n-th working day
    after the local day of dispatch; plan: the end of ``plan_date`` (local), or None while there is no
    approved plan date. ``plan_date`` is ignored for the other kinds.
    """
    _require_aware(dispatched_at, "dispatched_at")
    if severity_deadline.kind == "hours":
        if not severity_deadline.amount or severity_deadline.amount < 1:
            raise ValueError(f"an hours deadline needs a positive amount, not {severity_deadline.amount!r}")
        return (dispatched_at + timedelta(hours=severity_deadline.amount)).astimezone(UTC)
    if severity_deadline.kind == "working_days":
        if severity_deadline.amount is None:
            raise ValueError("a working-days deadline needs an amount")
        return calendar.add_working_days(dispatched_at, severity_deadline.amount, tz)
    if severity_deadline.kind == "plan":
        return None if plan_date is None else end_of_local_day(plan_date, tz)
    raise ValueError(f"unknown deadline kind {severity_deadline.kind!r}")


# ---------------------------------------------------------------------------------------------------
# Months


def month_bounds(month: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """The month 'YYYY-MM' in local time as a half-open UTC range [start, end): start is local midnight on
    the 1st, end local midnight on the 1st of the next month. The text is read by ``months.Month.parse``."""
    try:
        return Month.parse(month).bounds(tz)
    except BadMonth:
        raise ValueError(f"month must look like 2026-01, not {month!r}") from None


def local_month(moment: datetime, tz: tzinfo) -> str:
    """The local month ('YYYY-MM') an aware moment belongs to: 00:30 on the 1st local time is the new
    month even though it is still the previous month in UTC."""
    _require_aware(moment, "moment")
    return str(Month.of(moment, tz))


# ---------------------------------------------------------------------------------------------------
# Showing a moment


def local_text(moment: datetime | str | None, tz: tzinfo, *, year: bool = True) -> str:
    """An aware moment (or its ISO text) in the city's time to the minute: '2026-11-27 09:30', or
    '11-27 09:30' without the year; empty for None. The one format of times on pages and in reports."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    _require_aware(moment, "moment")
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M" if year else "%m-%d %H:%M")


# ---------------------------------------------------------------------------------------------------
# The year as a page shows it


def month_weeks(year: int, month: int) -> list[list[date | None]]:
    """The month's weeks, Monday first; days of the neighbouring months are None."""
    import calendar as stdlib_calendar

    weeks = stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [[day if day.month == month else None for day in week] for week in weeks]


def next_year_missing(today: date, loaded_years: Iterable[int]) -> int | None:
    """The next year, when it is November or December and that year's holidays are not loaded yet (the
    State Council publishes them in November or December); otherwise None."""
    if today.month >= 11 and today.year + 1 not in set(loaded_years):
        return today.year + 1
    return None
