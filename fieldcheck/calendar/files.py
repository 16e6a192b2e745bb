"""The calendar file: one year's public holidays and make-up working days, as in the State Council notice.

File format (YAML or JSON)::

    year: 2026
    source: 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04)
    holidays:
      - {name: 元旦, from: 2026-01-01, to: 2026-01-03}   # "to" may be left out for a single day
    workdays: [2026-01-04, 2026-02-14]                  # make-up working days (weekend days)

The shape is described once, by the pydantic models below; rules across entries (dates inside the
year, no day twice, make-up days on weekends and not holidays) are checked wherever the entries are
valid, so every problem of a file is reported at once, in file order, with its line and JSON path. The
administration page's form is validated by the same models, as the data it builds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path as FilePath
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from ..datafiles import (
    FIELD,
    PLAIN,
    FileProblems,
    Path,
    Source,
    load_source,
    located,
    problems_from,
    text_value,
)
from ..months import MAX_YEAR, MIN_YEAR

__all__ = [
    "CalendarError",
    "CalendarFile",
    "bundled_calendar_paths",
    "calendar_from_source",
    "parse_calendar",
]

_DATA_DIR = FilePath(__file__).resolve().parents[1] / "data"
_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MAX_SOURCE = 255
_MAX_NAME = 64


class CalendarError(FileProblems):
    """A calendar file that cannot be used; ``problems`` lists every problem, in file order."""


@dataclass(frozen=True)
class CalendarFile:
    """One year's holiday schedule (see the module docstring)."""

    year: int
    source: str
    #: Every holiday day, in date order, with the holiday's name.
    holidays: tuple[tuple[date, str], ...]
    #: Make-up working days, in date order.
    workdays: tuple[date, ...]


def bundled_calendar_paths() -> list[FilePath]:
    """The calendar files shipped with the project (``fieldcheck/data/calendar-YYYY.yaml``), by year."""
    return sorted(_DATA_DIR.glob("calendar-[0-9][0-9][0-9][0-9].yaml"))


def as_date(value: Any) -> date | None:
    """A date from a YAML date or 'YYYY-MM-DD' text; None for anything else (a datetime included)."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _date(example: str, *, optional: bool = False) -> BeforeValidator:
    def check(value: Any) -> date | None:
        if value is None:
            if optional:
                return None
            raise PydanticCustomError("missing", "missing")
        parsed = as_date(value)
        if parsed is None:
            raise PydanticCustomError(
                FIELD,
                "must be a date like {example}, not {value}",
                {"example": example, "value": repr(value)},
            )
        return parsed

    return BeforeValidator(check)


def _workday(value: Any) -> date:
    parsed = as_date(value)
    if parsed is None:
        raise PydanticCustomError(PLAIN, f"not a date like 2026-01-04: {value!r}")
    return parsed


def _year(value: Any) -> int:
    if value is None:
        raise PydanticCustomError("missing", "missing")
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_YEAR <= value <= MAX_YEAR:
        raise PydanticCustomError(PLAIN, f"year must be a year such as 2026, not {value!r}")
    return value


def _source(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PydanticCustomError(PLAIN, "missing source (the notice the dates come from)")
    return text_value(value, _MAX_SOURCE)


def _list(value: Any) -> Any:
    return [] if value is None else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class HolidayFile(_Strict):
    name: Annotated[str, BeforeValidator(lambda v: text_value(v, _MAX_NAME))]
    first: Annotated[date, _date("2026-01-01")] = Field(alias="from")
    last: Annotated[date | None, _date("2026-01-03", optional=True)] = Field(default=None, alias="to")


class CalendarFileModel(_Strict):
    year: Annotated[int, BeforeValidator(_year)]
    source: Annotated[str, BeforeValidator(_source)] = Field(default=None, validate_default=True)
    holidays: Annotated[list[HolidayFile], BeforeValidator(_list)] = []
    workdays: Annotated[list[Annotated[date, BeforeValidator(_workday)]], BeforeValidator(_list)] = []


def parse_calendar(text: str | bytes) -> CalendarFile:
    """Parse and validate a calendar file; raises :class:`CalendarError` listing every problem."""
    try:
        source = load_source(text)
    except ValueError as exc:
        raise CalendarError([str(exc)]) from exc
    return calendar_from_source(source)


def calendar_from_source(source: Source) -> CalendarFile:
    """Validate data read from a file or a form into one calendar year."""
    data = source.data
    if not isinstance(data, dict):
        raise CalendarError(["the calendar must be a mapping with year, source, holidays and workdays"])
    found: list[tuple[Path, str]] = []
    try:
        parsed: CalendarFileModel | None = CalendarFileModel.model_validate(data)
    except ValidationError as exc:
        parsed = None
        found += problems_from(exc, CalendarFileModel, source, lambda loc: (_describe(data, loc), loc))
    year = _maybe(_year, data.get("year"))
    holidays, checked = _holidays(data.get("holidays"), year)
    found += checked
    workdays, checked = _workdays(data.get("workdays"), year, holidays)
    found += checked
    if found:
        raise CalendarError(located(source, found))
    assert parsed is not None
    return CalendarFile(
        year=parsed.year,
        source=parsed.source,
        holidays=tuple(sorted(holidays.items())),
        workdays=tuple(sorted(workdays)),
    )


def _maybe(check, value: Any) -> Any:
    try:
        return check(value)
    except (PydanticCustomError, ValidationError):
        return None


def _holiday_name(raw: Any) -> str | None:
    name = raw.get("name") if isinstance(raw, dict) else None
    return name.strip() if isinstance(name, str) and name.strip() else None


def _describe(data: dict, loc: Path) -> str:
    if len(loc) >= 2 and loc[0] == "holidays" and isinstance(loc[1], int):
        raw = data["holidays"][loc[1]]
        name = _holiday_name(raw)
        return f"holiday {name}" if name else f"holiday {loc[1] + 1}"
    if len(loc) >= 2 and loc[0] == "workdays":
        return "workday"
    return ""


def _entries(value: Any) -> Iterable[tuple[int, Any]]:
    return enumerate(value) if isinstance(value, list) else ()


def _holidays(value: Any, year: int | None) -> tuple[dict[date, str], list[tuple[Path, str]]]:
    """Every valid holiday's days; a day outside the year or already a holiday is a problem."""
    holidays: dict[date, str] = {}
    found: list[tuple[Path, str]] = []
    for index, raw in _entries(value):
        known = (
            {k: v for k, v in raw.items() if k in ("name", "from", "to")} if isinstance(raw, dict) else raw
        )
        holiday = _maybe(HolidayFile.model_validate, known)  # an unknown key is reported by the model
        if holiday is None:
            continue
        where, path = f"holiday {holiday.name}", ("holidays", index)
        first, last = holiday.first, holiday.last or holiday.first
        if first > last:
            found.append((path, f"{where}: from {first.isoformat()} is after to {last.isoformat()}"))
            continue
        outside = [day for day in (first, last) if year is not None and day.year != year]
        for day in outside:
            found.append((path, f"{where}: {day.isoformat()} is outside {year}"))
        if outside:
            continue
        day = first
        while day <= last:
            if day in holidays:
                found.append((path, f"{where}: {day.isoformat()} is already a holiday ({holidays[day]})"))
            else:
                holidays[day] = holiday.name
            day += timedelta(days=1)
    return holidays, found


def _workdays(
    value: Any, year: int | None, holidays: dict[date, str]
) -> tuple[set[date], list[tuple[Path, str]]]:
    workdays: set[date] = set()
    found: list[tuple[Path, str]] = []
    for index, raw in _entries(value):
        day = as_date(raw)
        if day is None:
            continue
        where, path = f"workday {day.isoformat()}", ("workdays", index)
        if year is not None and day.year != year:
            found.append((path, f"workdays: {day.isoformat()} is outside {year}"))
        elif day in workdays:
            found.append((path, f"{where}: listed twice"))
        elif day.weekday() < 5:
            found.append(
                (
                    path,
                    f"{where}: is a {_WEEKDAY_NAMES[day.weekday()]}, not a weekend day; "
                    "make-up working days are Saturdays or Sundays",
                )
            )
        elif day in holidays:
            found.append((path, f"{where}: is also a holiday ({holidays[day]})"))
        else:
            workdays.add(day)
    return workdays, found


def holiday_ranges(calendar_file: CalendarFile) -> list[tuple[str, date, date]]:
    """The holidays as the notice gives them: (name, first day, last day), consecutive days of one name
    joined."""
    ranges: list[tuple[str, date, date]] = []
    for day, name in calendar_file.holidays:
        if ranges and ranges[-1][0] == name and ranges[-1][2] + timedelta(days=1) == day:
            ranges[-1] = (name, ranges[-1][1], day)
        else:
            ranges.append((name, day, day))
    return ranges
