"""The filters of a report list, read once from a query string: the API's ``GET /reports`` and
``/reports.csv`` and the search page take the same ones (pure: no Flask, no database).

- ``q``: a report number (``123`` or ``#123``), or up to five words, each found in the note, the item's
  name or the community's name;
- ``status``: comma-separated states; ``overdue=1``: the community owes the fix and its deadline passed;
- ``subdistrict``, ``community``, ``item``, ``category``: codes; ``found_by``: who found it;
- ``from`` and ``to``: local dates of observation, both included; ``month``: a local month.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from ..errors import N_, Invalid
from ..months import MAX_YEAR, MIN_YEAR, Month
from ..status import FOUND_BY_VALUES as FOUND_BY
from ..status import STATUS_VALUES

MAX_WORDS = 5
MAX_WORD = 50
MAX_CODE = 32
_NUMBER = re.compile(r"#?([0-9]{1,12})")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,32}")


@dataclass(frozen=True)
class ReportFilter:
    """What a list is narrowed to; every field empty means every report the reader may see."""

    report_id: int | None = None
    words: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    overdue: bool = False
    subdistrict: str | None = None
    community: str | None = None
    item: str | None = None
    category: str | None = None
    found_by: str | None = None
    #: Observation times as a half-open UTC range [since, until), from the local dates or month.
    since: datetime | None = None
    until: datetime | None = None

    @property
    def empty(self) -> bool:
        return all(not getattr(self, f.name) for f in fields(self))


def parse_date(value: str, name: str) -> date:
    """A local date 'YYYY-MM-DD' in ASCII digits, years as months allow; 400 ``invalid`` otherwise."""
    match = _DATE.fullmatch(value)
    try:
        if match is None:
            raise ValueError
        day = date(*(int(part) for part in match.groups()))
    except ValueError:
        raise Invalid(N_("%(name)s must be a date like 2026-03-31."), name=name) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise Invalid(N_("%(name)s must be a date like 2026-03-31."), name=name)
    return day


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _code(args: Mapping[str, str], name: str) -> str | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if not _CODE.fullmatch(value):
        raise Invalid(N_("%(name)s must be a code such as C001."), name=name)
    return value.upper() if name in ("subdistrict", "community") else value


def _statuses(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    for status in chosen:
        if status not in STATUS_VALUES:
            raise Invalid(N_("status must be one of %(choices)s."), choices=", ".join(STATUS_VALUES))
    return chosen


def _query(text: str) -> tuple[int | None, tuple[str, ...]]:
    text = text.strip()
    number = _NUMBER.fullmatch(text)
    if number:
        return int(number.group(1)), ()
    words = tuple(dict.fromkeys(text.split()))
    if len(words) > MAX_WORDS or any(len(w) > MAX_WORD for w in words):
        raise Invalid(
            N_("Search for at most %(words)s words of at most %(chars)s characters each."),
            words=MAX_WORDS,
            chars=MAX_WORD,
        )
    return None, words


def _observed_range(args: Mapping[str, str], tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    since = until = None
    if args.get("month"):
        since, until = Month.parse(args["month"]).bounds(tz)
    if args.get("from"):
        start = _local_midnight(parse_date(args["from"], "from"), tz)
        since = start if since is None else max(since, start)
    if args.get("to"):
        last = parse_date(args["to"], "to")
        end = _local_midnight(last + timedelta(days=1), tz)
        until = end if until is None else min(until, end)
    if since is not None and until is not None and since >= until:
        raise Invalid(N_("from must not be after to."))
    return since, until


def parse_filter(args: Mapping[str, str], tz: tzinfo) -> ReportFilter:
    """The filters named in a query string (a ``Mapping`` of the first value of each name)."""
    report_id, words = _query(args.get("q") or "")
    overdue = args.get("overdue") or ""
    if overdue not in ("", "0", "1"):
        raise Invalid(N_("overdue must be 1 or 0."))
    found_by = args.get("found_by") or None
    if found_by is not None and found_by not in FOUND_BY:
        raise Invalid(N_("found_by must be one of %(choices)s."), choices=", ".join(FOUND_BY))
    since, until = _observed_range(args, tz)
    return ReportFilter(
        report_id=report_id,
        words=words,
        statuses=_statuses(args.get("status") or ""),
        overdue=overdue == "1",
        subdistrict=_code(args, "subdistrict"),
        community=_code(args, "community"),
        item=_code(args, "item"),
        category=_code(args, "category"),
        found_by=found_by,
        since=since,
        until=until,
    )


def like_pattern(word: str) -> str:
    """A word as a LIKE pattern matching it anywhere, with LIKE's wildcards taken literally (escape ``\\``)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
