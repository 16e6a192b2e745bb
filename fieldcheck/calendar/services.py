"""Loading, editing and reading calendar years (the caller commits: ``with writing(): ...``)."""

from __future__ import annotations

from datetime import date
from importlib import resources

from sqlalchemy import delete, select

from .. import audit
from ..errors import Invalid
from ..extensions import db
from .files import CalendarError, CalendarFile, parse_calendar
from .models import CalendarDay, CalendarYear
from .rules import WorkCalendar


def default_calendar_text() -> str:
    return resources.files("fieldcheck").joinpath("data/calendar-2026.yaml").read_text("utf-8")


def import_calendar(text: str | bytes, source_name: str) -> CalendarYear:
    """Load (or replace) one year's holidays and make-up working days from a calendar file."""
    try:
        parsed = parse_calendar(text)
    except CalendarError as exc:
        raise Invalid(str(exc), details={"problems": [p.as_dict() for p in exc.problems]}) from None
    return store_year(parsed, source_name, action="calendar.import")


def store_year(parsed: CalendarFile, source_name: str, *, action: str = "calendar.import") -> CalendarYear:
    """Replace the year's days with ``parsed``'s, recording what changed in the audit log."""
    before = year_file(parsed.year)
    db.session.execute(delete(CalendarDay).where(CalendarDay.year == parsed.year))
    year = db.session.get(CalendarYear, parsed.year)
    if year is None:
        year = CalendarYear(year=parsed.year, source_name=parsed.source or source_name)
        db.session.add(year)
    else:
        year.source_name = parsed.source or source_name
    db.session.flush()
    for day, name in parsed.holidays:
        db.session.add(CalendarDay(day=day, year=parsed.year, kind="holiday", name=name))
    for day in parsed.workdays:
        db.session.add(CalendarDay(day=day, year=parsed.year, kind="workday", name=""))
    db.session.flush()
    audit.record(None, action, f"calendar:{parsed.year}", _changes(before, parsed))
    return year


def _changes(before: CalendarFile | None, after: CalendarFile) -> dict:
    """Counts as before (a new year: nothing), and the days added and removed."""
    old_holidays = {d for d, _n in before.holidays} if before else set()
    old_workdays = set(before.workdays) if before else set()
    new_holidays = {d for d, _n in after.holidays}
    changes: dict = {
        "holidays": [len(old_holidays) if before else None, len(new_holidays)],
        "workdays": [len(old_workdays) if before else None, len(after.workdays)],
    }
    if before is not None:
        added = sorted((new_holidays - old_holidays) | (set(after.workdays) - old_workdays))
        removed = sorted((old_holidays - new_holidays) | (old_workdays - set(after.workdays)))
        if added or removed:
            changes["days"] = [[d.isoformat() for d in removed], [d.isoformat() for d in added]]
        if before.source != after.source:
            changes["source"] = [before.source, after.source]
    return changes


def year_file(year: int) -> CalendarFile | None:
    """A loaded year as the file it came from (holidays named), or None if it is not loaded."""
    row = db.session.get(CalendarYear, year)
    if row is None:
        return None
    days = db.session.execute(
        select(CalendarDay.day, CalendarDay.kind, CalendarDay.name)
        .where(CalendarDay.year == year)
        .order_by(CalendarDay.day)
    ).all()
    return CalendarFile(
        year=year,
        source=row.source_name,
        holidays=tuple((d, name) for d, kind, name in days if kind == "holiday"),
        workdays=tuple(d for d, kind, _name in days if kind == "workday"),
    )


def work_calendar() -> WorkCalendar:
    days = db.session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
    years = db.session.scalars(select(CalendarYear.year)).all()
    return WorkCalendar(
        holidays=frozenset(d for d, kind in days if kind == "holiday"),
        workdays=frozenset(d for d, kind in days if kind == "workday"),
        loaded_years=frozenset(years),
    )


def calendar_years() -> list[int]:
    return list(db.session.scalars(select(CalendarYear.year).order_by(CalendarYear.year)))


def is_year_loaded(day: date) -> bool:
    return db.session.get(CalendarYear, day.year) is not None
