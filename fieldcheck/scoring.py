"""Scoring a month: each community's score, the ranking, sub-districts, coverage, red and black lists
and the indicators (pure: plain data in, plain data out; the clock, the month and the checklist are
arguments). Every number comes from the checklist version given; nothing here holds a point value.

Which reports count (``ReportFact`` rows; the loader may pass more, this module picks):

- A field report: observed in the month (``start <= observed_at < end``, the city's month), assigned to a
  community, not voided. Reports still awaiting assignment (no community) are nobody's.
- An item due: its current deadline ``due_at`` falls in the month and has passed at the reference time,
  assigned, neither voided nor suspended (挂账). It may have been observed in an earlier month.
- A closure that makes a later report a repeat (回潮): any report closed (status closed) within
  ``repeat.window_days`` before the later report's ``observed_at``, possibly in an earlier month.

The reference time is ``min(now, end of month)``: "closed by month end" and "overdue at month end", so a
past month only moves when a report is voided, granted on appeal or assigned late.

1. Field score (实地测评). A report deducts ``instances × points × found_by multiplier × repeat
   multiplier``; the repeat multiplier applies when an earlier report of the same item code at the same
   spot, or within ``repeat.radius_m`` metres, was closed within ``repeat.window_days`` before this one was
   observed. Per item, the month's deductions are capped at the item's cap; per category, at the
   category's weight (扣完为止). A category applies to a community when the community has one of the
   category's spot types (a community with no spot types recorded has them all); the others are left
   out, and ``field = field_total × Σ(weight − deducted) / Σ weight`` over the applicable categories, so a
   community without a market is neither favoured nor punished. A report against a category that does
   not apply, or an item the checklist in force does not have, deducts nothing and is listed with the
   reason.
2. Rectification score (整改落实) over the items due: ``on_time × on-time rate + closure × closure rate
   + rework × (1 − rework rate)``. Closed = accepted by the reference time; on time = closed and last
   rectified no later than its deadline; rework rate = items returned at least once / items that reached
   verification; no items due: full marks. Overdue open = due, neither closed nor rectified by the
   reference time (a rectification older than the latest return does not count), not under appeal.
3. Score = field + rectification, exact (``Fraction``); round only for display.
4. Ranking of the inspected communities, by score descending; ties go to fewer overdue open items, then
   the higher on-time rate (no items due counts as 100 %), then fewer reports, then the community code,
   so the order is total and never depends on the input order. A community with no field report and no
   visit in the month is not inspected: it gets no field score, no score and no rank.
5. Sub-district score: the mean score of its inspected communities; ranked the same way on summed
   indicators (then by code).
6. Red list: the top ``red_list_size`` ranked communities not below ``black_list_below``. Black list:
   every ranked community below ``black_list_below``, and the bottom ``black_list_size`` not on the red
   list. No community is on both.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import ClassVar, NamedTuple

import numpy as np

from .calendar import WorkCalendar
from .checklist.spec import Category, Checklist, Item
from .geo import EARTH_RADIUS_M, distance_m

VOIDED, SUSPENDED, CLOSED, APPEALED = "voided", "suspended", "closed", "appealed"
_M_PER_DEG = 6_371_008.8 * math.pi / 180
_ZERO = Decimal(0)
_ONE = Fraction(1)

#: The tie-breaks in order, as stated on exported sheets.
TIE_BREAKS = (
    "score, higher first",
    "fewer overdue open items",
    "higher on-time rate (no items due counts as 100%)",
    "fewer reports",
    "community code (A before B)",
)
TIE_BREAKS_ZH = (
    "总分高者在前",
    "超期未结数少者在前",
    "按期结案率高者在前（无应结案视为100%）",
    "问题数少者在前",
    "社区编码顺序",
)


class ReportFact(NamedTuple):
    """The facts of one report that scoring reads (a named tuple: built fast for 200,000 rows)."""

    id: int
    community_id: int | None
    item_code: str
    status: str
    observed_at: datetime
    instances: int = 1
    found_by: str = "district"
    spot_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    dispatched_at: datetime | None = None
    due_at: datetime | None = None
    rectified_at: datetime | None = None
    closed_at: datetime | None = None
    rework_count: int = 0


@dataclass(frozen=True)
class CommunityFact:
    id: int
    code: str
    name: str
    subdistrict_code: str
    subdistrict_name: str
    #: Spot types the community has; empty means not recorded, and every category applies.
    spot_types: tuple[str, ...] = ()
    subdistrict_id: int | None = None


@dataclass(frozen=True)
class MonthFacts:
    """Everything a month is scored from. ``start``/``end``: the city's month as aware UTC bounds."""

    month: str
    start: datetime
    end: datetime
    communities: Sequence[CommunityFact]
    #: ``ReportFact`` rows or plain tuples in its field order, or (timestamps in microseconds only)
    #: ``ReportColumns``, what the loader passes: no object per report.
    reports: Sequence[ReportFact] | ReportColumns
    #: Communities with a visit (an inspection that found nothing) in the month.
    visited: frozenset[int] = frozenset()
    #: True when the reports' five timestamps are ints, microseconds since 1970-01-01 UTC (what the loader
    #: passes: no datetime built per row), rather than aware datetimes; ``start`` and ``end`` stay datetimes.
    micros: bool = False


class Deduction(NamedTuple):
    """One field report's deduction before caps (``amount``); ``excluded`` says why it deducts nothing."""

    report_id: int
    community_id: int
    item_code: str
    category_code: str | None
    instances: int
    points: Decimal
    found_by: str
    found_by_multiplier: Decimal
    repeat_of: int | None
    repeat_multiplier: Decimal
    amount: Decimal
    excluded: str | None = None  # "category_not_applicable" | "item_not_in_checklist"


@dataclass(frozen=True)
class ItemScore:
    code: str
    raw: Decimal
    cap: Decimal
    deducted: Decimal
    report_ids: tuple[int, ...]


@dataclass(frozen=True)
class CategoryScore:
    code: str
    weight: Decimal
    applicable: bool
    raw: Decimal  # sum of the capped item deductions
    deducted: Decimal  # min(raw, weight); 0 when not applicable
    items: tuple[ItemScore, ...]


@dataclass
class Indicators:
    """Counts for one community, one sub-district or the whole district; rates are exact fractions."""

    reports: int = 0
    repeats: int = 0
    due: int = 0
    closed: int = 0
    on_time: int = 0
    overdue_open: int = 0
    reached_verification: int = 0
    rework: int = 0
    rectified_timed: int = 0
    rectify_seconds: int = 0  # working seconds from dispatch to rectification, summed

    def add(self, other: Indicators) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def closure_rate(self) -> Fraction | None:
        return Fraction(self.closed, self.due) if self.due else None

    @property
    def on_time_rate(self) -> Fraction | None:
        return Fraction(self.on_time, self.due) if self.due else None

    @property
    def rework_rate(self) -> Fraction | None:
        return Fraction(self.rework, self.reached_verification) if self.reached_verification else None

    @property
    def mean_hours_to_rectify(self) -> Fraction | None:
        return Fraction(self.rectify_seconds, 3600 * self.rectified_timed) if self.rectified_timed else None


@dataclass
class CommunityScore:
    """One community's month. ``categories`` and ``entries`` (the breakdown down to each report) are
    built on first use: the scores are computed without them, and most callers never ask."""

    community: CommunityFact
    inspected: bool
    field_score: Fraction | None
    rectification_score: Fraction
    score: Fraction | None
    #: Field points lost: field_total − field score (0 when not inspected).
    deductions: Fraction
    indicators: Indicators
    rank: int | None = None
    _detail: _Breakdowns | None = field(default=None, repr=False, compare=False)

    @cached_property
    def entries(self) -> tuple[Deduction, ...]:
        """Every field report of the month, by report id, with its deduction before caps."""
        return self._detail.entries(self.community) if self._detail else ()

    @cached_property
    def categories(self) -> tuple[CategoryScore, ...]:
        """Every category of the checklist with its capped items (from ``entries``)."""
        return self._detail.categories(self.community, self.entries) if self._detail else ()

    def breakdown_facts(self) -> tuple[list[tuple], list[str]]:
        """What ``entries`` and ``categories`` are built from, without building them: per field report by
        id ``(report_id, item_code, instances, found_by, repeat_of, excluded)``, and the codes of the
        categories that do not apply, in checklist order. With the checklist these determine both."""
        if self._detail is None:
            return [], []
        return self._detail.facts(self.community)


@dataclass(frozen=True, eq=False)
class BreakdownFacts:
    """What every community's breakdown is built from (``CommunityScore.breakdown_facts``, all at once):
    ``codes`` the communities in code order, ``not_applicable`` their categories that do not apply, and
    ``columns`` one column per field report (int64, rows sorted by community then report id): the
    community's place in ``codes``, report id, item (place in ``item_codes``), instances, finder (place
    in ``finders``), repeat source (-1: none) and exclusion (place in ``EXCLUSIONS``)."""

    EXCLUSIONS: ClassVar[tuple] = (None, "item_not_in_checklist", "category_not_applicable")
    codes: list[str]
    not_applicable: dict[str, list[str]]
    item_codes: list[str]
    finders: list[str]
    columns: np.ndarray

    @classmethod
    def from_rows(cls, rows: dict[str, Sequence], not_applicable: dict[str, list[str]]) -> BreakdownFacts:
        """From each community's ``(report_id, item_code, instances, found_by, repeat_of, excluded)`` rows."""
        codes = sorted(rows)
        item_codes = sorted({r[1] for code in codes for r in rows[code]})
        finders = sorted({r[3] for code in codes for r in rows[code]})
        out = [(k, r[0], item_codes.index(r[1]), r[2], finders.index(r[3]), -1 if r[4] is None else r[4],
                cls.EXCLUSIONS.index(r[5])) for k, code in enumerate(codes) for r in rows[code]]
        columns = np.array(out, dtype=np.int64).reshape(-1, 7).T
        columns = columns[:, np.lexsort((columns[1], columns[0]))]
        return cls(codes, {code: list(not_applicable[code]) for code in codes}, item_codes, finders, columns)

    def digest(self) -> str:
        """SHA-256 of the facts: equal facts, equal digests (and so equal breakdowns, with the checklist)."""
        head = json.dumps([[[c, self.not_applicable[c]] for c in self.codes], self.item_codes, self.finders],
                          ensure_ascii=False, separators=(",", ":"))
        h = hashlib.sha256(head.encode("utf-8"))
        h.update(np.ascontiguousarray(self.columns, dtype="<i8").tobytes())
        return h.hexdigest()


@dataclass
class SubdistrictScore:
    id: int | None
    code: str
    name: str
    score: Fraction | None
    communities: int
    inspected: int
    indicators: Indicators
    rank: int | None = None


@dataclass
class MonthResult:
    month: str
    reference: datetime
    #: Ranked communities in rank order, then the ones not inspected by code.
    communities: list[CommunityScore]
    subdistricts: list[SubdistrictScore]
    red_list: list[str]
    black_list: list[str]
    indicators: Indicators
    coverage: tuple[int, int] = field(default=(0, 0))  # (inspected, communities)

    def community(self, code: str) -> CommunityScore | None:
        return next((s for s in self.communities if s.community.code == code), None)

    def communities_by_code(self) -> list[CommunityScore]:
        return sorted(self.communities, key=lambda s: s.community.code)

    def breakdown_facts(self) -> BreakdownFacts:
        """Every community's ``breakdown_facts`` at once, as columns."""
        detail = next((s._detail for s in self.communities if s._detail is not None), None)
        if detail is None:
            codes = [s.community.code for s in self.communities]
            return BreakdownFacts.from_rows(dict.fromkeys(codes, ()), dict.fromkeys(codes, ()))
        return detail.fact_columns([s.community for s in self.communities])


# ---------------------------------------------------------------------------------------------------
# Rules, one function each


def category_applies(category: Category, spot_types: Iterable[str]) -> bool:
    """Whether a community with these spot types is scored on the category (none recorded: all apply)."""
    have = set(spot_types)
    return not have or bool(have.intersection(category.spot_types))


def item_deduction(amounts: Iterable[Decimal], cap: Decimal) -> Decimal:
    """An item's deduction in a month: the sum of its reports' amounts, at most its cap."""
    return min(sum(amounts, _ZERO), cap)


def category_deduction(item_deductions: Iterable[Decimal], weight: Decimal) -> Decimal:
    """A category's deduction: the sum of its capped items, at most its weight (扣完为止)."""
    return min(sum(item_deductions, _ZERO), weight)


def field_score(field_total: Decimal, applicable: Iterable[tuple[Decimal, Decimal]]) -> Fraction:
    """``field_total × Σ(weight − deducted) / Σ weight`` over the applicable (weight, deducted) pairs."""
    pairs = list(applicable)
    weights = sum((w for w, _d in pairs), _ZERO)
    if weights == 0:
        return Fraction(field_total)
    kept = sum((w - min(d, w) for w, d in pairs), _ZERO)
    return Fraction(field_total) * Fraction(kept) / Fraction(weights)


def rectification_score(checklist: Checklist, ind: Indicators) -> Fraction:
    """on_time × on-time rate + closure × closure rate + rework × (1 − rework rate); nothing due: full."""
    weights = checklist.rectification
    if not ind.due:
        return Fraction(weights.total)
    rework_rate = ind.rework_rate or Fraction(0)
    return (
        Fraction(weights.on_time) * ind.on_time_rate
        + Fraction(weights.closure) * ind.closure_rate
        + Fraction(weights.rework) * (1 - rework_rate)
    )


def rank_key(score: Fraction, ind: Indicators, code: str) -> tuple:
    """Sort key of the ranking: see TIE_BREAKS."""
    on_time = ind.on_time_rate if ind.due else _ONE
    return (-score, ind.overdue_open, -on_time, ind.reports, code)


def is_field_report(r: ReportFact, start: datetime, end: datetime) -> bool:
    return r.community_id is not None and r.status != VOIDED and start <= r.observed_at < end


def is_due(r: ReportFact, start: datetime, end: datetime, reference: datetime) -> bool:
    return (
        r.community_id is not None
        and r.status not in (VOIDED, SUSPENDED)
        and r.due_at is not None
        and start <= r.due_at < end
        and r.due_at < reference
    )


def rectified_by(r: ReportFact, reference: datetime) -> bool:
    """Rectified by the reference time and not returned since (a return sets a new dispatch time)."""
    return (
        r.rectified_at is not None
        and r.rectified_at <= reference
        and (r.dispatched_at is None or r.rectified_at >= r.dispatched_at)
    )


def closed_by(r: ReportFact, reference: datetime) -> bool:
    return r.status == CLOSED and r.closed_at is not None and r.closed_at <= reference


def count_due(ind: Indicators, r: ReportFact, reference: datetime, hours=None) -> None:
    """Add one due item to the counts (``hours``: working seconds between two moments, or None)."""
    _count_due(ind, r.status, r.due_at, r.dispatched_at, r.rectified_at, r.closed_at, r.rework_count, reference,
               hours)


def _count_due(ind, status, due_at, dispatched_at, rectified_at, closed_at, rework_count, reference, hours) -> None:
    ind.due += 1
    if status == CLOSED and closed_at is not None and closed_at <= reference:  # closed_by
        ind.closed += 1
        if rectified_at is not None and rectified_at <= due_at:
            ind.on_time += 1
    elif status != APPEALED and not (  # not rectified_by
        rectified_at is not None and rectified_at <= reference and (dispatched_at is None or rectified_at >= dispatched_at)
    ):
        ind.overdue_open += 1
    if rectified_at is not None:
        ind.reached_verification += 1
        if rework_count > 0:
            ind.rework += 1
        if hours is not None and dispatched_at is not None and rectified_at >= dispatched_at:
            ind.rectified_timed += 1
            ind.rectify_seconds += hours(dispatched_at, rectified_at)


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
        working = self._working
        s_work = working.get(sd)
        if s_work is None:
            s_work = self._is_working(sd)
        if sd == ed:
            return e_sec - s_sec if s_work else 0
        e_work = working.get(ed)
        if e_work is None:
            e_work = self._is_working(ed)
        total = (86400 - s_sec) if s_work else 0
        total += self._days_between(sd, ed) * 86400
        total += e_sec if e_work else 0
        return total


# ---------------------------------------------------------------------------------------------------
# Repeats (回潮)


class RepeatIndex:
    """Closed reports by item code and spot, and by item code on a grid of cells at least twice
    ``radius_m`` wide: a match then lies in the report's cell or in the three cells around the corner of
    it the report is nearest to. Reports are ``ReportFact`` rows or plain tuples in its field order."""

    # Cell key = row × _ROW + column: one int, cheap to hash, and mixed in its low bits (a power of two
    # here would put a whole column of cells in one dict slot chain). Two cells sharing a key only cost a
    # distance check, never a wrong match.
    _ROW = 1_000_003

    def __init__(self, reports: Iterable[ReportFact], radius_m: float, window: timedelta):
        self.radius, self.window = radius_m, window
        closed = [r for r in reports if r[3] == CLOSED and r[13] is not None]
        lats = [abs(r[8]) for r in closed if r[8] is not None]
        self.dlat = dlat = 2 * max(radius_m, 1e-6) / _M_PER_DEG
        self.dlon = dlon = dlat / max(math.cos(math.radians(min(max(lats, default=0.0), 89.0))), 1e-6)
        by_spot: dict[tuple, list[tuple[datetime, int]]] = {}
        by_cell: dict[str, dict[int, list[tuple[datetime, int, float, float]]]] = {}
        floor, row_ = math.floor, self._ROW
        for rid, _cid, item, _status, _obs, _n, _fb, spot, lat, lon, _disp, _due, _rect, closed_at, _rw in closed:
            if spot is not None:
                key = (item, spot)
                bucket = by_spot.get(key)
                if bucket is None:
                    by_spot[key] = [(closed_at, rid)]
                else:
                    bucket.append((closed_at, rid))
            if lat is not None and lon is not None:
                cells = by_cell.get(item)
                if cells is None:
                    cells = by_cell[item] = {}
                key = floor(lat / dlat) * row_ + floor(lon / dlon)
                bucket = cells.get(key)
                if bucket is None:
                    cells[key] = [(closed_at, rid, lat, lon)]
                else:
                    bucket.append((closed_at, rid, lat, lon))
        self.by_spot, self.by_cell = by_spot, by_cell

    def _cell(self, lat: float, lon: float) -> int:
        return math.floor(lat / self.dlat) * self._ROW + math.floor(lon / self.dlon)

    def _block(self, lat: float, lon: float) -> tuple[int, int, int, int]:
        """The report's cell and the three cells around its nearest corner."""
        y, x = lat / self.dlat, lon / self.dlon
        row, col = math.floor(y), math.floor(x)
        dy = self._ROW if y - row >= 0.5 else -self._ROW
        dx = 1 if x - col >= 0.5 else -1
        base = row * self._ROW + col
        return base, base + dy, base + dx, base + dy + dx

    def earlier(self, r: ReportFact) -> int | None:
        """The id of the latest closing that makes ``r`` a repeat (ties: the lowest id), or None."""
        return self.find(r[0], r[2], r[4], r[7], r[8], r[9])

    def find(self, rid: int, item: str, observed: datetime, spot: int | None, lat: float | None,
             lon: float | None) -> int | None:
        """``earlier`` for a report given by its fields."""
        low = observed - self.window
        best: tuple[datetime, int] | None = None
        if spot is not None:
            for closed_at, other in self.by_spot.get((item, spot), ()):
                if other != rid and low <= closed_at <= observed and (best is None or (closed_at, -other) > best):
                    best = (closed_at, -other)
        if lat is not None and lon is not None:
            cells = self.by_cell.get(item)
            if cells:
                # self._block(lat, lon), inlined: this runs for every field report
                y, x = lat / self.dlat, lon / self.dlon
                row, col = math.floor(y), math.floor(x)
                dy = self._ROW if y - row >= 0.5 else -self._ROW
                dx = 1 if x - col >= 0.5 else -1
                base = row * self._ROW + col
                for key in (base, base + dy, base + dx, base + dy + dx):
                    bucket = cells.get(key)
                    if bucket is None:
                        continue
                    for closed_at, other, olat, olon in bucket:
                        if (
                            other != rid
                            and low <= closed_at <= observed
                            and (best is None or (closed_at, -other) > best)
                            and distance_m(lat, lon, olat, olon) <= self.radius
                        ):
                            best = (closed_at, -other)
        return -best[1] if best is not None else None


# ---------------------------------------------------------------------------------------------------
# The same searches over arrays (numpy), for months given in microseconds (``MonthFacts.micros``)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def micros(moment: datetime | None) -> int | None:
    """An aware datetime as microseconds since 1970-01-01 UTC (exact), None as None."""
    return None if moment is None else (moment - _EPOCH) // _US


def from_micros(value: int | None) -> datetime | None:
    return None if value is None else _EPOCH + timedelta(microseconds=value)


_TIMES = (4, 10, 11, 12, 13)  # observed_at, dispatched_at, due_at, rectified_at, closed_at


def in_micros(facts: MonthFacts) -> MonthFacts:
    """The same month with the reports' timestamps in microseconds (``MonthFacts.micros``)."""
    if facts.micros:
        return facts
    rows = [tuple(micros(v) if i in _TIMES else v for i, v in enumerate(r)) for r in facts.reports]
    return MonthFacts(facts.month, facts.start, facts.end, facts.communities, rows, facts.visited, micros=True)


def find_repeats(reports: Sequence, asked: Sequence, radius_m: float, window_us: int) -> dict[int, int] | None:
    """``RepeatIndex.earlier`` for each of the reports ``asked``, over arrays: report id → the id of the
    report whose closing makes it a repeat (candidates: the closed ones among ``reports``). Timestamps
    in microseconds. None when the keys would not fit in 64-bit integers (a radius of micrometres):
    search with ``RepeatIndex`` then.

    The same cells as ``RepeatIndex`` give the candidate pairs (same item and spot, or same item in the
    report's block of four cells), then one filter for all of them: another report, closed within the
    window, and for pairs by position the distance; the latest closing wins, ties the lowest id.
    Distances are computed by numpy, whose last bit may differ from ``geo.distance_m``'s: a pair within
    a micrometre of the radius is decided by ``distance_m`` itself, so the outcome is the same.
    """
    closed = [r for r in reports if r[3] == CLOSED and r[13] is not None]
    if not closed or not asked:
        return {}
    codes: dict[str, int] = {}

    def columns(rows, time_at):
        n = len(rows)

        def ints(values):
            return np.fromiter(values, dtype=np.int64, count=n)

        rid = ints([r[0] for r in rows])
        item = ints([codes.setdefault(r[2], len(codes)) for r in rows])
        spot = ints([-1 if r[7] is None else r[7] for r in rows])
        lat = np.array([np.nan if r[8] is None else r[8] for r in rows], dtype=np.float64)
        lon = np.array([np.nan if r[9] is None else r[9] for r in rows], dtype=np.float64)
        return rid, item, spot, lat, lon, ints([r[time_at] for r in rows])

    candidates, asking = columns(closed, 13), columns(asked, 4)
    found = _repeat_search(candidates, asking, len(codes), radius_m, window_us)
    if found is None:
        return None
    at, source = found
    return dict(zip(asking[0][at].tolist(), source.tolist(), strict=True))


def _repeat_search(candidates, asking, n_codes: int, radius_m: float, window_us: int):
    """``find_repeats`` over columns ``(id, item, spot, lat, lon, closed_at or observed_at)``: items as
    ints (the same code, the same int), a missing spot -1, a missing position nan (lat or lon). Returns
    (positions in ``asking`` that are repeats, the ids of their sources), or None (see find_repeats)."""
    c_id, c_item, c_spot, c_lat, c_lon, closed_at = candidates
    q_id, q_item, q_spot, q_lat, q_lon, observed = asking
    if not len(c_id) or not len(q_id):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    radius = float(radius_m)
    dlat = 2 * max(radius, 1e-6) / _M_PER_DEG
    lat_known = c_lat[~np.isnan(c_lat)]
    dlon = dlat / max(math.cos(math.radians(min(float(np.abs(lat_known).max()) if len(lat_known) else 0.0, 89.0))),
                      1e-6)
    has_pos = ~(np.isnan(c_lat) | np.isnan(c_lon)), ~(np.isnan(q_lat) | np.isnan(q_lon))
    n_items = n_codes + 1
    pair_q, pair_c, by_pos = [], [], []

    def pairs(c_sel, c_keys, q_sel, q_keys, positional):
        """Every (query, candidate) with equal keys: one sort of the candidates, one search per key."""
        by_c_key = np.argsort(c_keys, kind="stable")
        order, sorted_keys = c_sel[by_c_key], c_keys[by_c_key]
        # np.unique of the sorted keys, without sorting them twice more.
        starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
        keys, counts = sorted_keys[starts], np.diff(np.append(starts, len(sorted_keys)))
        for k in q_keys:
            by_key = np.argsort(k)  # searching in key order keeps each search near the last (2x faster)
            k, q_at = k[by_key], q_sel[by_key]
            at = np.minimum(np.searchsorted(keys, k), len(keys) - 1)
            n = np.where(keys[at] == k, counts[at], 0)
            total = int(n.sum())
            if total:
                pair_c.append(order[np.arange(total) + np.repeat(starts[at] - (np.cumsum(n) - n), n)])
                pair_q.append(np.repeat(q_at, n))
                by_pos.append(np.full(total, positional))

    # Same item and spot: one key per (item, spot).
    width = max(int(c_spot.max()), int(q_spot.max())) + 2
    if n_items * width >= 2**62:
        return None
    c_sel, q_sel = np.flatnonzero(c_spot >= 0), np.flatnonzero(q_spot >= 0)
    if len(c_sel) and len(q_sel):
        pairs(c_sel, c_item[c_sel] * width + c_spot[c_sel], q_sel, [q_item[q_sel] * width + q_spot[q_sel]], False)
    # Same item, the report's cell and the three around its nearest corner (RepeatIndex._block), as one
    # key per (item, cell): the cell shifted to start at ROW + 2 so that the neighbours stay positive.
    row_ = RepeatIndex._ROW
    c_sel, q_sel = np.flatnonzero(has_pos[0]), np.flatnonzero(has_pos[1])
    if len(c_sel) and len(q_sel):
        cy, cx = np.floor(c_lat[c_sel] / dlat), np.floor(c_lon[c_sel] / dlon)
        y, x = q_lat[q_sel] / dlat, q_lon[q_sel] / dlon
        qy, qx = np.floor(y), np.floor(x)
        big = max(float(np.abs(cy).max()), float(np.abs(cx).max()), float(np.abs(qy).max()), float(np.abs(qx).max()))
        if (big + 2) * (row_ + 1) * 4 * n_items >= 2**62:
            return None
        c_cell = cy.astype(np.int64) * row_ + cx.astype(np.int64)
        q_cell = qy.astype(np.int64) * row_ + qx.astype(np.int64)
        low = min(int(c_cell.min()), int(q_cell.min())) - row_ - 2
        span = max(int(c_cell.max()), int(q_cell.max())) + row_ + 2 - low + 1
        c_key = c_item[c_sel] * span + (c_cell - low)
        q_key = q_item[q_sel] * span + (q_cell - low)
        dy = np.where(y - qy >= 0.5, row_, -row_).astype(np.int64)
        dx = np.where(x - qx >= 0.5, 1, -1).astype(np.int64)
        pairs(c_sel, c_key, q_sel, [q_key, q_key + dy, q_key + dx, q_key + dy + dx], True)
    none = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if not pair_q:
        return none
    pq, pc, positional = np.concatenate(pair_q), np.concatenate(pair_c), np.concatenate(by_pos)
    qo, ca = observed[pq], closed_at[pc]
    keep = (c_id[pc] != q_id[pq]) & (ca >= qo - window_us) & (ca <= qo)
    pq, pc, positional = pq[keep], pc[keep], positional[keep]
    at = np.flatnonzero(positional)
    if len(at):
        lat1, lon1, lat2, lon2 = q_lat[pq[at]], q_lon[pq[at]], c_lat[pc[at]], c_lon[pc[at]]
        phi1, phi2 = np.radians(lat1), np.radians(lat2)
        h = np.sin((phi2 - phi1) / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
        d = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))  # geo.distance_m
        near = d <= radius
        for k in np.flatnonzero(np.abs(d - radius) <= 1e-6).tolist():  # decided exactly as the plain search does
            near[k] = distance_m(float(lat1[k]), float(lon1[k]), float(lat2[k]), float(lon2[k])) <= radius
        keep = np.ones(len(pq), dtype=bool)
        keep[at[~near]] = False
        pq, pc = pq[keep], pc[keep]
    if not len(pq):
        return none
    # Per report asked: the latest closing, then the lowest id.
    order = np.lexsort((c_id[pc], -closed_at[pc], pq))
    pq, pc = pq[order], pc[order]
    first = np.ones(len(pq), dtype=bool)
    first[1:] = pq[1:] != pq[:-1]
    return pq[first], c_id[pc[first]]


def working_seconds(calendar: WorkCalendar, tz: tzinfo, start_us: Sequence[int], end_us: Sequence[int]) -> np.ndarray:
    """``WorkingHours(calendar, tz)(start, end)`` for each pair of moments in microseconds (end >= start),
    over arrays: a cumulative count of working seconds at the start of each local day, plus the seconds
    of the day when it is a working day, subtracted. Whole seconds of local time, as ``WorkingHours``.

    Local time is UTC plus the zone's offset, looked up once per UTC hour the moments fall in; an hour in
    which the offset changes (daylight saving) is computed the plain way.
    """
    if not len(start_us):
        return np.zeros(0, dtype=np.int64)
    seconds = np.floor_divide(np.concatenate([np.asarray(start_us, dtype=np.int64), np.asarray(end_us, dtype=np.int64)]),
                              1_000_000)
    hours, where = np.unique(seconds // 3600, return_inverse=True)
    offsets = np.empty(len(hours), dtype=np.int64)
    steady = np.ones(len(hours), dtype=bool)
    for k, hour in enumerate(hours.tolist()):
        first = (_EPOCH + timedelta(hours=hour)).astimezone(tz).utcoffset()
        last = (_EPOCH + timedelta(hours=hour, seconds=3599)).astimezone(tz).utcoffset()
        steady[k] = first == last and first.microseconds == 0
        offsets[k] = first // timedelta(seconds=1)
    local = seconds + offsets[where]
    day, in_day = np.divmod(local, 86400)
    first_day = int(day.min())
    days = np.arange(first_day, int(day.max()) + 1)
    working = np.array([calendar.is_working_day(date.fromordinal(d + _EPOCH_ORDINAL)) for d in days.tolist()])
    before = np.concatenate([[0], np.cumsum(working.astype(np.int64) * 86400)])  # working seconds before each day
    position = day - first_day
    at = before[position] + np.where(working[position], in_day, 0)
    n = len(start_us)
    out = at[n:] - at[:n]
    unsteady = np.flatnonzero(~(steady[where[:n]] & steady[where[n:]]))
    if len(unsteady):
        plain = WorkingHours(calendar, tz)
        for k in unsteady.tolist():
            out[k] = plain(from_micros(int(start_us[k])), from_micros(int(end_us[k])))
    return out


NO_TIME = int(np.iinfo(np.int64).min)  #: a missing timestamp in ``ReportColumns``


def _vocabulary(values: Iterable) -> tuple[np.ndarray, tuple]:
    """Each value as the index of its first appearance, and the values in that order."""
    seen: dict = {}
    codes = [seen.setdefault(v, len(seen)) for v in values]
    return np.array(codes, dtype=np.int64), tuple(seen)


@dataclass(frozen=True, eq=False)
class ReportColumns:
    """A month's reports as columns of equal length (numpy arrays): what the loader reads from the database
    without building an object per report, and what ``score_month``'s pass over arrays reads.

    Timestamps are int64 microseconds since 1970-01-01 UTC (``NO_TIME`` when missing); a missing community or
    spot is -1, a missing position nan. Texts are small ints into their vocabularies (``item_codes``,
    ``statuses``, ``finders``). ``columns[i]`` is row i as a plain tuple in ``ReportFact``'s field order,
    timestamps in microseconds and missing values None, as ``MonthFacts.micros`` rows are.
    """

    id: np.ndarray
    community_id: np.ndarray
    item: np.ndarray
    item_codes: tuple[str, ...]
    status: np.ndarray
    statuses: tuple[str, ...]
    observed_at: np.ndarray
    instances: np.ndarray
    found_by: np.ndarray
    finders: tuple[str, ...]
    spot_id: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    dispatched_at: np.ndarray
    due_at: np.ndarray
    rectified_at: np.ndarray
    closed_at: np.ndarray
    rework_count: np.ndarray

    @classmethod
    def from_rows(cls, rows: Sequence) -> ReportColumns:
        """Columns from tuples in ``ReportFact``'s field order with timestamps in microseconds."""
        rows = list(rows)
        n = len(rows)
        cols = list(zip(*rows, strict=True)) if n else [()] * 15

        def ints(k: int, none: int) -> np.ndarray:
            return np.fromiter((none if v is None else v for v in cols[k]), dtype=np.int64, count=n)

        def floats(k: int) -> np.ndarray:
            return np.fromiter((np.nan if v is None else v for v in cols[k]), dtype=np.float64, count=n)

        item, item_codes = _vocabulary(cols[2])
        status, statuses = _vocabulary(cols[3])
        found_by, finders = _vocabulary(cols[6])
        return cls(ints(0, 0), ints(1, -1), item, item_codes, status, statuses, ints(4, NO_TIME), ints(5, 0), found_by,
                   finders, ints(7, -1), floats(8), floats(9), ints(10, NO_TIME), ints(11, NO_TIME), ints(12, NO_TIME),
                   ints(13, NO_TIME), ints(14, 0))

    def __len__(self) -> int:
        return len(self.id)

    def __getitem__(self, i: int) -> tuple:
        return self.rows(np.array([i], dtype=np.int64))[0]

    def __iter__(self):
        return iter(self.rows(np.arange(len(self))))

    def is_status(self, name: str) -> np.ndarray:
        """Where the status is ``name``."""
        return self.status == (self.statuses.index(name) if name in self.statuses else -1)

    def rows(self, at: np.ndarray) -> list[tuple]:
        """Rows ``at`` (positions) as tuples, each value a plain Python value."""
        def ids(column: np.ndarray) -> list:
            return [None if v < 0 else v for v in column[at].tolist()]

        def times(column: np.ndarray) -> list:
            return [None if v == NO_TIME else v for v in column[at].tolist()]

        def floats(column: np.ndarray) -> list:
            return [None if v != v else v for v in column[at].tolist()]

        def words(column: np.ndarray, vocabulary: tuple) -> list:
            return [vocabulary[k] for k in column[at].tolist()]

        return list(zip(
            self.id[at].tolist(), ids(self.community_id), words(self.item, self.item_codes),
            words(self.status, self.statuses), times(self.observed_at), self.instances[at].tolist(),
            words(self.found_by, self.finders), ids(self.spot_id), floats(self.lat), floats(self.lon),
            times(self.dispatched_at), times(self.due_at), times(self.rectified_at), times(self.closed_at),
            self.rework_count[at].tolist(), strict=True))


class _RowsBy:
    """Community → its field reports, as ``score_month``'s ``field_by``, each list built when first read."""

    def __init__(self, reports: ReportColumns, positions: dict[int, np.ndarray]):
        self.reports, self.positions, self.built = reports, positions, {}

    def get(self, cid, default=()):
        rows = self.built.get(cid)
        if rows is None:
            at = self.positions.get(cid)
            if at is None:
                return default
            rows = self.built[cid] = self.reports.rows(at)
        return rows


def _tally_arrays(points: _Points, reports: ReportColumns, start: int, end: int, reference: int, radius_m: float,
                  window_us: int, calendar: WorkCalendar | None, tz: tzinfo):
    """``score_month``'s pass over a month in microseconds, over arrays: the same field reports by
    community, (community, item) deductions in units, repeats, and indicators."""
    n = len(reports)
    if not n:
        return {}, {}, {}, {}, {}, {}
    rid, cid, observed = reports.id, reports.community_id, reports.observed_at
    live = (cid >= 0) & ~reports.is_status(VOIDED)
    field = live & (observed != NO_TIME) & (observed >= start) & (observed < end)
    codes = {code: k for k, code in enumerate(points.items)}
    item = np.array([codes.get(code, -1) for code in reports.item_codes] or [-1], dtype=np.int64)[reports.item]
    known = field & (item >= 0)

    # Repeats: the field reports of a known item against every closed report.
    closed_at = reports.closed_at
    candidate = reports.is_status(CLOSED) & (closed_at != NO_TIME)
    spot, lat, lon = reports.spot_id, reports.lat, reports.lon
    c, q = np.flatnonzero(candidate), np.flatnonzero(known)
    c_item = np.where(item[c] >= 0, item[c], -2)  # an item not in the checklist matches no report asked
    found = _repeat_search((rid[c], c_item, spot[c], lat[c], lon[c], closed_at[c]),
                           (rid[q], item[q], spot[q], lat[q], lon[q], observed[q]), len(codes), radius_m, window_us)
    if found is None:
        return None
    at, source = found
    is_repeat = np.zeros(n, dtype=bool)
    is_repeat[q[at]] = True
    repeats = dict(zip(rid[q[at]].tolist(), source.tolist(), strict=True))

    # Deductions: one amount per (item, found_by, instances, repeat?), summed per (community, item).
    finders, finder = reports.finders, reports.found_by[q]
    instances = reports.instances[q]
    top = int(instances.max()) + 1 if len(q) else 1
    key = ((item[q] * len(finders) + finder) * top + instances) * 2 + is_repeat[q]
    combos, which = np.unique(key, return_inverse=True)
    items, names = list(points.items.values()), list(finders)
    units = [points.amount_units(items[k // 2 // top // len(finders)][0], names[k // 2 // top % len(finders)],
                                 k // 2 % top, bool(k % 2)) for k in combos.tolist()]
    communities, member = np.unique(cid[q], return_inverse=True)
    raw: dict[tuple[int, str], int] = {}
    if units and max(map(abs, units)) * len(q) < 2**62:
        sums = np.zeros(len(communities) * len(codes), dtype=np.int64)
        np.add.at(sums, member * len(codes) + item[q], np.array(units, dtype=np.int64)[which])
        code_names = list(codes)
        for k in np.flatnonzero(sums).tolist():
            raw[int(communities[k // len(codes)]), code_names[k % len(codes)]] = int(sums[k])
    else:  # amounts beyond 64 bits: add them as Python ints
        for m, i, w in zip(member.tolist(), item[q].tolist(), which.tolist(), strict=True):
            name = (int(communities[m]), list(codes)[i])
            raw[name] = raw.get(name, 0) + units[w]
    repeats_by = dict(zip(*np.unique(cid[q][is_repeat[q]], return_counts=True), strict=True))
    repeats_by = {int(k): int(v) for k, v in repeats_by.items()}

    # Field reports by community (for the breakdowns and the report counts).
    f = np.flatnonzero(field)
    order = f[np.argsort(cid[f], kind="stable")]
    owners, first, count = np.unique(cid[order], return_index=True, return_counts=True)
    field_by = _RowsBy(reports, {int(o): order[s:s + k] for o, s, k in zip(owners.tolist(), first.tolist(),
                                                                          count.tolist(), strict=True)})
    counts = dict(zip(owners.tolist(), count.tolist(), strict=True))

    # Items due (is_due, _count_due), counted per community.
    due_at = reports.due_at
    d = np.flatnonzero(live & ~reports.is_status(SUSPENDED) & (due_at != NO_TIME) & (due_at >= start) & (due_at < end)
                       & (due_at < reference))
    ind_by: dict[int, Indicators] = {}
    if len(d):
        dispatched, rectified, closed = reports.dispatched_at[d], reports.rectified_at[d], closed_at[d]
        rework = reports.rework_count[d]
        has_dispatch, has_rectified = dispatched != NO_TIME, rectified != NO_TIME
        is_closed = reports.is_status(CLOSED)[d] & (closed != NO_TIME) & (closed <= reference)
        on_time = is_closed & has_rectified & (rectified <= due_at[d])
        rectified_by = has_rectified & (rectified <= reference) & (~has_dispatch | (rectified >= dispatched))
        overdue = ~is_closed & ~reports.is_status(APPEALED)[d] & ~rectified_by
        owners, member = np.unique(cid[d], return_inverse=True)
        size = len(owners)

        def per(mask):
            return np.bincount(member[mask], minlength=size).tolist()

        every = np.ones(len(d), dtype=bool)
        timed = has_rectified & has_dispatch & (rectified >= dispatched) if calendar is not None else ~every
        seconds = np.zeros(size, dtype=np.int64)
        if timed.any():
            np.add.at(seconds, member[timed], working_seconds(calendar, tz, dispatched[timed], rectified[timed]))
        columns = (per(every), per(is_closed), per(on_time), per(overdue), per(has_rectified),
                   per(has_rectified & (rework > 0)), per(timed), seconds.tolist())
        for k, owner in enumerate(owners.tolist()):
            due, closed_n, on_time_n, overdue_n, reached, rework_n, timed_n, secs = (col[k] for col in columns)
            ind_by[owner] = Indicators(due=due, closed=closed_n, on_time=on_time_n, overdue_open=overdue_n,
                                       reached_verification=reached, rework=rework_n, rectified_timed=timed_n,
                                       rectify_seconds=secs)
    return field_by, counts, raw, repeats, repeats_by, ind_by


# ---------------------------------------------------------------------------------------------------
# The month


class _Points:
    """The checklist's points as integers of one common unit (1/``scale`` point), so a month's
    deductions add up as plain ints; exact, converted back to ``Fraction`` per community."""

    def __init__(self, checklist: Checklist):
        self.checklist = checklist
        self.items: dict[str, tuple[Item, Category]] = {i.code: (i, c) for c in checklist.categories for i in c.items}
        self._amounts: dict[tuple, tuple[Decimal, Decimal, Decimal]] = {}
        self._units: dict[tuple, int] = {}
        # Amounts are points × found_by multiplier × instances × repeat multiplier: their denominators
        # divide the product of the factors' common denominators, whatever the instances.
        def den(values) -> int:
            return math.lcm(*(Fraction(v).denominator for v in values)) if values else 1

        points = [i.points for i, _c in self.items.values()]
        amounts = den(points) * den([*checklist.found_by.values()]) * den([checklist.repeat.multiplier])
        caps = [i.cap for i, _c in self.items.values()]
        self.scale = math.lcm(amounts, den(caps), den([c.weight for c in checklist.categories]))

    def unit(self, value: Decimal) -> int:
        exact = Fraction(value) * self.scale
        if exact.denominator != 1:  # cannot happen with the scale above; refuse rather than round
            raise ValueError(f"{value} is not a multiple of 1/{self.scale}")
        return exact.numerator

    def amount(self, item: Item, found_by: str, instances: int, repeat: bool) -> tuple[Decimal, Decimal, Decimal]:
        """(found_by multiplier, amount, repeat multiplier) of a report, as Decimals (memoised)."""
        key = (item.code, found_by, instances, repeat)
        known = self._amounts.get(key)
        if known is None:
            one = Decimal(1)
            multiplier = self.checklist.found_by.get(found_by, one)
            rmult = self.checklist.repeat.multiplier if repeat else one
            known = self._amounts[key] = (multiplier, item.points * multiplier * instances * rmult, rmult)
        return known

    def amount_units(self, item: Item, found_by: str, instances: int, repeat: bool) -> int:
        key = (item.code, found_by, instances, repeat)
        known = self._units.get(key)
        if known is None:
            known = self._units[key] = self.unit(self.amount(item, found_by, instances, repeat)[1])
        return known


class _Breakdowns:
    """What a community's breakdown is built from, kept by ``score_month`` for ``CommunityScore``'s
    ``entries`` and ``categories``: the month's field reports by community and the repeats found."""

    def __init__(self, checklist: Checklist, points: _Points, field_by: dict[int, list], repeats: dict[int, int],
                 applies: dict[tuple, dict[str, bool]]):
        self.checklist, self.points, self.field_by, self.repeats, self._applies = (
            checklist, points, field_by, repeats, applies)

    def applies(self, community: CommunityFact) -> dict[str, bool]:
        return self._applies[community.spot_types]

    def facts(self, community: CommunityFact) -> tuple[list[tuple], list[str]]:
        applies = self.applies(community)
        items, repeats = self.points.items, self.repeats
        out = []
        for r in sorted(self.field_by.get(community.id, ()), key=_first):
            rid, _cid, code, _status, _obs, instances, found_by = r[:7]
            hit = items.get(code)
            if hit is None:
                out.append((rid, code, instances, found_by, None, "item_not_in_checklist"))
            else:
                out.append((rid, code, instances, found_by, repeats.get(rid),
                            None if applies[hit[1].code] else "category_not_applicable"))
        return out, [c.code for c in self.checklist.categories if not applies[c.code]]

    def fact_columns(self, communities: Sequence[CommunityFact]) -> BreakdownFacts:
        """``facts`` of every community at once (see ``BreakdownFacts``): over arrays when the field
        reports are columns (``_RowsBy``), else one community at a time."""
        rows_by = self.field_by
        exclusions = BreakdownFacts.EXCLUSIONS
        if not isinstance(rows_by, _RowsBy):
            facts = {c.code: self.facts(c) for c in communities}
            return BreakdownFacts.from_rows({code: rows for code, (rows, _n) in facts.items()},
                                            {code: n for code, (_r, n) in facts.items()})
        reports, order = rows_by.reports, sorted(communities, key=lambda c: c.code)
        parts = [(k, rows_by.positions.get(c.id)) for k, c in enumerate(order)]
        parts = [(k, at) for k, at in parts if at is not None and len(at)]
        at = np.concatenate([a for _k, a in parts]) if parts else np.zeros(0, dtype=np.int64)
        community = np.repeat(np.array([k for k, _a in parts], dtype=np.int64), [len(a) for _k, a in parts])
        rid = reports.id[at]
        # Items and finders as their codes' places among the codes present, in code order.
        item_codes = sorted(set(reports.item_codes[k] for k in np.unique(reports.item[at]).tolist()))
        finders = sorted(set(reports.finders[k] for k in np.unique(reports.found_by[at]).tolist()))
        item_at = np.array([item_codes.index(c) if c in item_codes else -1 for c in reports.item_codes] or [-1],
                           dtype=np.int64)
        finder_at = np.array([finders.index(c) if c in finders else -1 for c in reports.finders] or [-1],
                             dtype=np.int64)
        item, finder = item_at[reports.item[at]], finder_at[reports.found_by[at]]
        repeat_of = np.full(len(at), -1, dtype=np.int64)
        if self.repeats and len(at):
            keys = np.fromiter(self.repeats.keys(), dtype=np.int64, count=len(self.repeats))
            values = np.fromiter(self.repeats.values(), dtype=np.int64, count=len(self.repeats))
            by_key = np.argsort(keys)
            keys, values = keys[by_key], values[by_key]
            found = np.minimum(np.searchsorted(keys, rid), len(keys) - 1)
            hit = keys[found] == rid
            repeat_of[hit] = values[found[hit]]
        # Exclusion per (community, item): the item not in the checklist, or its category not applying.
        table = np.zeros((len(order), max(len(item_codes), 1)), dtype=np.int64)
        not_applicable = {}
        for k, c in enumerate(order):
            applies = self.applies(c)
            for i, code in enumerate(item_codes):
                hit = self.points.items.get(code)
                table[k, i] = (exclusions.index("item_not_in_checklist") if hit is None
                               else 0 if applies[hit[1].code] else exclusions.index("category_not_applicable"))
            not_applicable[c.code] = [cat.code for cat in self.checklist.categories if not applies[cat.code]]
        excluded = table[community, item] if len(at) else np.zeros(0, dtype=np.int64)
        repeat_of[excluded == exclusions.index("item_not_in_checklist")] = -1  # as ``facts`` gives them
        columns = np.stack([community, rid, item, reports.instances[at], finder, repeat_of, excluded])
        columns = columns[:, np.lexsort((rid, community))]
        return BreakdownFacts([c.code for c in order], not_applicable, item_codes, finders, columns)

    def entries(self, community: CommunityFact) -> tuple[Deduction, ...]:
        applies = self.applies(community)
        items, points, repeats = self.points.items, self.points, self.repeats
        one = Decimal(1)
        out = []
        for r in sorted(self.field_by.get(community.id, ()), key=_first):
            rid, _cid, code, _status, _obs, instances, found_by = r[:7]
            hit = items.get(code)
            if hit is None:
                multiplier = self.checklist.found_by.get(found_by, one)
                out.append(Deduction(rid, community.id, code, None, instances, _ZERO, found_by, multiplier, None, one,
                                     _ZERO, "item_not_in_checklist"))
                continue
            item, category = hit
            repeat_of = repeats.get(rid)
            multiplier, amount, rmult = points.amount(item, found_by, instances, repeat_of is not None)
            excluded = None if applies[category.code] else "category_not_applicable"
            out.append(Deduction(rid, community.id, code, category.code, instances, item.points, found_by, multiplier,
                                 repeat_of, rmult, amount, excluded))
        return tuple(out)

    def categories(self, community: CommunityFact, entries: Sequence[Deduction]) -> tuple[CategoryScore, ...]:
        applies = self.applies(community)
        by_item: dict[str, list[Deduction]] = defaultdict(list)
        for e in entries:
            if e.excluded is None:
                by_item[e.item_code].append(e)
        categories = []
        for category in self.checklist.categories:
            item_scores = []
            for item in category.items:
                hits = by_item.get(item.code)
                if hits:
                    raw = sum([e.amount for e in hits], _ZERO)
                    item_scores.append(ItemScore(item.code, raw, item.cap, item_deduction([raw], item.cap),
                                                 tuple([e.report_id for e in hits])))
            raw = sum([i.deducted for i in item_scores], _ZERO)
            applicable = applies[category.code]
            deducted = category_deduction([raw], category.weight) if applicable else _ZERO
            categories.append(CategoryScore(category.code, category.weight, applicable, raw, deducted, tuple(item_scores)))
        return tuple(categories)


def _first(row) -> int:
    return row[0]


def _tally(points: _Points, reports: Sequence, start, end, reference, find, hours):
    """``score_month``'s pass over the reports one by one: field reports by community, (community, item)
    deductions before the caps in units, repeats (report → source), repeats per community, indicators."""
    items = points.items
    field_by: dict[int, list] = defaultdict(list)
    raw: dict[tuple[int, str], int] = defaultdict(int)
    repeats: dict[int, int] = {}
    repeats_by: dict[int, int] = defaultdict(int)
    ind_by: dict[int, Indicators] = defaultdict(Indicators)
    units: dict[tuple, int] = {}  # (item, found_by, instances, repeat?) → amount in units
    # is_field_report and is_due, inlined: this loop sees every report.
    for r in reports:
        rid, cid, code, status, observed, instances, found_by, spot, lat, lon, dispatched, due_at, rectified, closed, \
            rework = r
        if cid is None or status == VOIDED:
            continue
        if start <= observed < end:
            field_by[cid].append(r)
            hit = items.get(code)
            if hit is not None:
                repeat_of = find(rid, code, observed, spot, lat, lon)
                if repeat_of is not None:
                    repeats[rid] = repeat_of
                    repeats_by[cid] += 1
                key = (code, found_by, instances, repeat_of is not None)
                amount = units.get(key)
                if amount is None:
                    amount = units[key] = points.amount_units(hit[0], found_by, instances, repeat_of is not None)
                raw[cid, code] += amount
        if due_at is not None and start <= due_at < end and due_at < reference and status != SUSPENDED:
            _count_due(ind_by[cid], status, due_at, dispatched, rectified, closed, rework, reference, hours)
    return field_by, raw, repeats, repeats_by, ind_by


def score_month(
    checklist: Checklist,
    facts: MonthFacts,
    now: datetime,
    *,
    calendar: WorkCalendar | None = None,
    tz: tzinfo = UTC,
) -> MonthResult:
    """Score every community for the month, rank them and the sub-districts, and draw up the lists.

    One pass over the reports: a field report adds its amount, in integer units of ``_Points``, to its
    community's item; an item due adds to its community's counts. Then per community the item caps,
    category weights and the field score (``field_score``'s formula on those integers), the rectification
    score and the rest. The per-report breakdown is built only when ``entries`` or ``categories`` is read.

    A month in microseconds (``MonthFacts.micros``, what the loader passes) makes that pass over arrays
    (``_tally_arrays``, numpy): the masks of field reports and items due, repeats by ``_repeat_search`` and
    working hours by ``working_seconds`` instead of ``RepeatIndex`` and ``WorkingHours`` one report at a
    time. Same results (tests/unit/test_scoring_arrays.py); about 0.65 s instead of 1.1 s of CPU on the
    bench's 200,000-report month.
    """
    start, end = facts.start, facts.end
    reference = at = min(now, end)
    points = _Points(checklist)
    repeat = checklist.repeat
    reports = facts.reports
    window = timedelta(days=repeat.window_days)
    tallied = None
    if facts.micros:  # timestamps are ints: the pass over arrays, bounds in microseconds
        columns = reports if isinstance(reports, ReportColumns) else ReportColumns.from_rows(reports)
        tallied = _tally_arrays(points, columns, micros(start), micros(end), micros(reference),
                                float(repeat.radius_m), window // _US, calendar, tz)
        if tallied is None:  # cells beyond 64-bit keys (a radius of micrometres): the plain pass, in datetimes
            reports = [tuple(from_micros(v) if i in _TIMES else v for i, v in enumerate(r)) for r in reports]
    if tallied is not None:
        field_by, counts, raw, repeats, repeats_by, ind_by = tallied
    else:
        field_by, raw, repeats, repeats_by, ind_by = _tally(points, reports, start, end, reference,
                                                            RepeatIndex(reports, float(repeat.radius_m), window).find,
                                                            WorkingHours(calendar, tz) if calendar is not None else None)
        counts = {cid: len(rows) for cid, rows in field_by.items()}

    field_total = Fraction(checklist.field_total)
    # Per category: (code, spot types, weight in units, ((item code, cap in units), ...)).
    plan = [
        (c.code, frozenset(c.spot_types), points.unit(c.weight), tuple((i.code, points.unit(i.cap)) for i in c.items))
        for c in checklist.categories
    ]
    applies_by: dict[tuple, dict[str, bool]] = {}
    scores = []
    for community in facts.communities:
        cid = community.id
        applies = applies_by.get(community.spot_types)
        if applies is None:  # category_applies, once per set of spot types
            have = set(community.spot_types)
            applies = applies_by[community.spot_types] = {code: not have or bool(have & spots)
                                                          for code, spots, _w, _i in plan}
        ind = ind_by.get(cid) or Indicators()
        ind.reports = counts.get(cid, 0)
        ind.repeats = repeats_by.get(cid, 0)
        inspected = ind.reports > 0 or cid in facts.visited
        rect = rectification_score(checklist, ind)
        if inspected:
            kept = weights = 0
            for code, _spots, weight, caps in plan:
                if not applies[code]:
                    continue
                deducted = 0
                for item_code, cap in caps:
                    value = raw.get((cid, item_code))
                    if value:
                        deducted += value if value < cap else cap  # item_deduction
                weights += weight
                kept += weight - (deducted if deducted < weight else weight)  # category_deduction
            field = field_total * Fraction(kept, weights) if weights else field_total  # field_score
            score, lost = field + rect, field_total - field
        else:
            field = score = None
            lost = Fraction(0)
        scores.append(CommunityScore(community, inspected, field, rect, score, lost, ind))
    detail = _Breakdowns(checklist, points, field_by, repeats, applies_by)
    for s in scores:
        s._detail = detail

    ranked = sorted((s for s in scores if s.inspected), key=lambda s: rank_key(s.score, s.indicators, s.community.code))
    for position, s in enumerate(ranked, 1):
        s.rank = position
    rest = sorted((s for s in scores if not s.inspected), key=lambda s: s.community.code)
    total = Indicators()
    for s in scores:
        total.add(s.indicators)
    red, black = red_black_lists(checklist, ranked)
    return MonthResult(
        month=facts.month,
        reference=at,
        communities=ranked + rest,
        subdistricts=subdistrict_scores(scores),
        red_list=red,
        black_list=black,
        indicators=total,
        coverage=(len(ranked), len(scores)),
    )


def subdistrict_scores(scores: Sequence[CommunityScore]) -> list[SubdistrictScore]:
    """Each sub-district's mean score over its inspected communities, ranked like communities."""
    groups: dict[str, list[CommunityScore]] = defaultdict(list)
    for s in scores:
        groups[s.community.subdistrict_code].append(s)
    out = []
    for code, members in groups.items():
        ind = Indicators()
        for s in members:
            ind.add(s.indicators)
        inspected = [s.score for s in members if s.inspected]
        mean = sum(inspected, Fraction(0)) / len(inspected) if inspected else None
        first = members[0].community
        out.append(SubdistrictScore(first.subdistrict_id, code, first.subdistrict_name, mean, len(members), len(inspected), ind))
    ranked = sorted((s for s in out if s.score is not None), key=lambda s: rank_key(s.score, s.indicators, s.code))
    for position, s in enumerate(ranked, 1):
        s.rank = position
    return ranked + sorted((s for s in out if s.score is None), key=lambda s: s.code)


def red_black_lists(checklist: Checklist, ranked: Sequence[CommunityScore]) -> tuple[list[str], list[str]]:
    """Red: top N not below the threshold. Black: below the threshold, plus the bottom M not on the red list."""
    below = Fraction(checklist.black_list_below)
    red = [s.community.code for s in ranked if s.score >= below][: checklist.red_list_size]
    black = [s.community.code for s in ranked if s.score < below]
    candidates = [s.community.code for s in ranked if s.community.code not in red]
    bottom = candidates[-checklist.black_list_size :] if checklist.black_list_size else []
    black_set = set(black) | set(bottom)
    return red, [s.community.code for s in ranked if s.community.code in black_set]
