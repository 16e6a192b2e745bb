"""Loading a month's facts for scoring: a few set-based queries, the reports read as columns.

The reports (about 210,000 rows on a month of 200,000) come back as one row of aggregates, one per column,
decoded by numpy into ``scoring.ReportColumns``: no Python object per report or per value. Building 15
values per row through the driver cost more than scoring the month (measured on bench/ranking.py).

* PostgreSQL: each column is ``string_agg`` of its values in binary (``int8send``, ``float8send``,
  ``timestamptz_send``), read by ``np.frombuffer``: exact, with nothing to parse. Each aggregate costs
  the server about as much as the scan, so the eight integer columns go as four, two int4 values to
  an int8.
* SQLite has no binary functions: each column is ``group_concat`` of decimal text, parsed by numpy.
  Integers are exact; timestamps are SQLite's stored text, read by numpy as fixed-width bytes and
  parsed as ``datetime64[us]`` (exact, and much cheaper than SQLite's date functions); a position is
  sent as two integers whose sum is exactly the stored double (``x·2³²`` truncated, then the rest times
  2⁶²: SQLite prints a double with 15 significant digits, which would move some positions by a few
  nanometres). Any row with a coordinate within 2⁻⁴² of zero (where the two integers might not give it
  exactly) is read again as a plain value.

A large month is read as two halves at once (``_split_at``): two ranges of ids, the second on a helper
thread and a connection of its own, so the database works on two cores. Every report falls in exactly
one half; a transaction that has written anything reads the month itself, in one query, since another
connection would not see its writes.

All aggregates of one SELECT read the same rows in the same order, so the columns line up; each column's
length is checked against the row count, and a mismatch is an error, never a silent misalignment.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    LargeBinary,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union,
)
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from ..calendar import month_bounds
from ..checklist.models import ChecklistItem
from ..checklist.spec import Checklist
from ..database import READER, has_written
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..reports.models import FOUND_BY, STATUSES, Report, Visit
from ..scoring import NO_TIME, CommunityFact, MonthFacts, ReportColumns, repeat_window
from ..spots.rules import community_spot_types
from ..spots.services import spot_types_found

__all__ = ["load_facts", "report_columns", "report_ranges"]

# PostgreSQL keeps a timestamp as microseconds since 2000-01-01 UTC.
_PG_EPOCH_US = 946_684_800_000_000
_NO_TIME_BYTES = int(NO_TIME).to_bytes(8, "big", signed=True)
_POSITION_SCALE, _REST_SCALE = 2.0**32, 2.0**62
_MISSING_REST = NO_TIME  # the "rest" integer of a missing position (a real rest is below 2⁶² in size)
_NEAR_ZERO = 2.0**-42  # a coordinate this close to zero is read again (see _sqlite_near_zero)
PARALLEL = (os.cpu_count() or 1) > 1  #: read a large month in two halves at once (``_split_at``)
SPLIT_MIN_REPORTS = 20_000  #: reports in the month (estimated) below which they are read in one query
_SPLIT_PROBES = 1024


def report_ranges(
    start: datetime,
    end: datetime,
    window_start: datetime,
    *,
    sqlite: bool,
    scan: bool = False,
    ids: tuple[int | None, int | None] = (None, None),
):
    """The condition on Report for a month's scoring facts: observed in [start, end), due in it, or closed in
    [window_start, end); not voided, assigned to a community. ``scan``: for a full scan of the table (SQLite,
    see ``_sqlite_scan_is_cheaper``), the plain OR. ``ids``: only ids in [low, high) (None: unbounded), for
    reading the month in two parts."""
    # Three ranges, each on its own index ("closed" is left to scoring so the third stays on closed_at).
    # PostgreSQL combines the OR of them itself (BitmapOr, heap pages in order). SQLite's MULTI-INDEX OR
    # fetches rows in index order, all over the table; instead, the ids in the ranges come from the three
    # indexes alone (covering: an index entry holds its rowid), deduplicated, then rows in id order.
    low, high = ids
    part = [
        c
        for c in (None if low is None else Report.id >= low, None if high is None else Report.id < high)
        if c is not None
    ]
    ranges = _ranges(start, end, window_start, plain=scan)
    if sqlite and not scan:
        in_ranges = Report.id.in_(union(*(select(Report.id).where(*bounds, *part) for bounds in ranges)))
    else:
        in_ranges = and_(or_(*(and_(*bounds) for bounds in ranges)), *part)
    return and_(Report.community_id.is_not(None), Report.status != "voided", in_ranges)


def _ranges(start: datetime, end: datetime, window_start: datetime, *, plain: bool = False):
    """The three ranges; ``plain`` keeps them off the indexes (SQLite's idiom: a unary + on the column)."""

    def column(c):
        return UnaryExpression(c, operator=custom_op("+"), type_=c.type) if plain else c

    observed, due, closed = column(Report.observed_at), column(Report.due_at), column(Report.closed_at)
    return (
        (observed >= start, observed < end),
        (due >= start, due < end),
        (closed >= window_start, closed < end),
    )


def _sqlite_scan_is_cheaper(start: datetime, end: datetime, window_start: datetime) -> bool:
    """Whether reading the whole report table costs SQLite less than the three index ranges: when the
    ranges hold at least half as many entries as the table has rows (a month that is most of the table: a
    new deployment, or bench/ranking.py). Measured on the bench month: a scan reads a row in about half the
    time the ranges take per entry (deduplicating the ids, then finding each row). Counting the entries
    reads the three indexes alone (a few hundredths of a second on the bench month)."""
    counts = [
        select(func.count()).where(*bounds).scalar_subquery() for bounds in _ranges(start, end, window_start)
    ]
    *entries, rows = db.session.execute(select(*counts, select(func.max(Report.id)).scalar_subquery())).one()
    return bool(rows) and 2 * sum(entries) >= rows


def _index_of(column, values: tuple[str, ...]):
    """The text column as the index of its value in ``values`` (the model's CHECK constraint holds it to
    them; anything else would be -1, which scoring treats as unknown)."""
    return case({v: k for k, v in enumerate(values)}, value=column, else_=-1)


_INTS = (  # (column, value when NULL)
    (Report.id, 0),
    (Report.community_id, -1),
    (Report.item_id, -1),
    (_index_of(Report.status, STATUSES), -1),
    (Report.instances, 0),
    (_index_of(Report.found_by, FOUND_BY), -1),
    (Report.spot_id, -1),
    (Report.rework_count, 0),
)
_TIMES = (Report.observed_at, Report.dispatched_at, Report.due_at, Report.rectified_at, Report.closed_at)
_FLOATS = (Report.lat, Report.lon)


def _of_length(column: np.ndarray, n: int) -> np.ndarray:
    """The column, if it has a value for each of the ``n`` rows; otherwise an error, never a misalignment."""
    if len(column) != n:
        raise RuntimeError(f"a column of the month's reports gave {len(column)} values for {n} rows")
    return column


def _postgresql_query(condition):
    def agg(value):
        return func.string_agg(value, literal(b"", LargeBinary))

    def int4(column, none):  # an integer column; a value beyond int4 is an error, never a wrong value
        return cast(cast(func.coalesce(column, none), Integer), BigInteger)

    # Two int4 values to an int8 (the first in the high half): each aggregate costs the server about as
    # much as the scan, so the eight integers go as four. The CHECK constraints keep them in int4.
    pairs = [
        agg(
            func.int8send(
                int4(a, a_none)
                .op("<<", return_type=BigInteger)(literal(32, Integer))
                .op("|", return_type=BigInteger)(
                    int4(b, b_none).op("&", return_type=BigInteger)(literal(0xFFFFFFFF, BigInteger))
                )
            )
        )
        for (a, a_none), (b, b_none) in zip(_INTS[0::2], _INTS[1::2], strict=True)
    ]
    times = [
        agg(func.coalesce(func.timestamptz_send(c), literal(_NO_TIME_BYTES, LargeBinary))) for c in _TIMES
    ]
    floats = [agg(func.float8send(func.coalesce(c, cast(literal("NaN"), Float)))) for c in _FLOATS]
    return select(func.count(), *pairs, *times, *floats).where(condition)


_INT_PAIR = np.dtype([("high", ">i4"), ("low", ">i4")])


def _postgresql_decode(row) -> tuple[list, list, list, bool]:
    n, values = row[0], [b or b"" for b in row[1:]]

    def decode(data: bytes, dtype) -> np.ndarray:
        return _of_length(np.frombuffer(data, dtype=dtype), n)

    pairs = len(_INTS) // 2
    int_cols = []
    for v in values[:pairs]:
        pair = decode(v, _INT_PAIR)
        int_cols += [pair["high"].astype(np.int64), pair["low"].astype(np.int64)]
    time_cols = []
    for v in values[pairs : pairs + len(_TIMES)]:
        raw = decode(v, ">i8").astype(np.int64)
        time_cols.append(np.where(raw == NO_TIME, NO_TIME, raw + _PG_EPOCH_US))
    float_cols = [decode(v, ">f8").astype(np.float64) for v in values[pairs + len(_TIMES) :]]
    return int_cols, time_cols, float_cols, False


def _sqlite_position_integers():
    """Per position column, the two integers SQLite sends: ``x·2³²`` truncated, and the rest times 2⁶²
    (every step exact: scaling by powers of two, truncation, and the low bits subtracted)."""
    out = []
    for c in _FLOATS:
        scaled = c * literal(_POSITION_SCALE, Float)
        whole = cast(scaled, Integer)
        out.append((whole, cast((scaled - whole) * literal(_REST_SCALE, Float), Integer)))
    return out


def _sqlite_near_zero():
    """Where a position may not come back exactly from its two integers, and is read again: a coordinate
    other than zero within 2⁻⁴² of it. Beyond that a double has no bit below 2⁻⁹⁴, which the two integers
    hold. (Zero comes back as 0.0: SQLite stores -0.0 as the integer 0, and reads it back as 0.0.)"""
    return or_(*(and_(c != 0, func.abs(c) < literal(_NEAR_ZERO, Float)) for c in _FLOATS))


def _sqlite_query(condition):
    ints = [func.group_concat(func.coalesce(c, none)) for c, none in _INTS]
    # Stored text, "YYYY-MM-DD HH:MM:SS.ffffff" in UTC; NULL as a text of the same width no time has.
    times = [func.group_concat(func.coalesce(type_coerce(c, String), _SQLITE_NO_TIME)) for c in _TIMES]
    floats = []
    for whole, rest in _sqlite_position_integers():
        floats += [
            func.group_concat(func.coalesce(whole, 0)),
            func.group_concat(func.coalesce(rest, _MISSING_REST)),
        ]
    near_zero = func.coalesce(func.sum(case((_sqlite_near_zero(), 1), else_=0)), 0)
    return select(func.count(), *ints, *times, *floats, near_zero).where(condition)


_SQLITE_NO_TIME = "0000-00-00 00:00:00.000000"  # month 0: never a stored time
_SQLITE_TIME = np.dtype([("time", "S26"), ("comma", "S1")])


def _sqlite_moments(text: str, n: int) -> np.ndarray:
    """SQLite's stored timestamps, comma-separated, as microseconds since 1970 (NO_TIME where missing).
    Every one is 26 characters as SQLAlchemy writes them, so numpy reads them as fixed-width bytes (half
    the cost of splitting the text); any other width is split at its commas and parsed the same way."""
    raw = text.encode("ascii") + b","
    if len(raw) == n * _SQLITE_TIME.itemsize:
        fixed = np.frombuffer(raw, dtype=_SQLITE_TIME)
        if (fixed["comma"] == b",").all():
            times = fixed["time"].copy()
            times[times == _SQLITE_NO_TIME.encode()] = b"NaT"
            return times.astype("datetime64[us]").view(np.int64)
    times = np.array(text.split(","), dtype=object)
    times[times == _SQLITE_NO_TIME] = "NaT"
    return times.astype("datetime64[us]").view(np.int64)


def _sqlite_decode(row) -> tuple[list, list, list, bool]:
    n = row[0]

    def numbers(text: str | None) -> np.ndarray:
        return _of_length(np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, np.int64), n)

    def moments(text: str | None) -> np.ndarray:
        return _of_length(_sqlite_moments(text, n) if text else np.zeros(0, np.int64), n)

    k = 1
    int_cols = [numbers(v) for v in row[k : k + len(_INTS)]]
    k += len(_INTS)
    time_cols = [moments(v) for v in row[k : k + len(_TIMES)]]
    k += len(_TIMES)
    float_cols = []
    for j in range(len(_FLOATS)):
        whole, rest = numbers(row[k + 2 * j]), numbers(row[k + 2 * j + 1])
        missing = rest == _MISSING_REST
        if np.abs(whole).max(initial=0) >= 2**53:  # beyond what float64 holds exactly: never a position
            raise RuntimeError("a report's position is out of range")
        value = (
            whole.astype(np.float64) + np.where(missing, 0, rest).astype(np.float64) / _REST_SCALE
        ) / _POSITION_SCALE
        value[missing] = np.nan
        float_cols.append(value)
    return int_cols, time_cols, float_cols, any(row[k + 2 * len(_FLOATS) :])


def _reread_positions(condition, ids: np.ndarray, float_cols: list) -> None:
    """Positions the two integers might not give exactly, read again one value at a time (in practice
    never: it takes a coordinate within 2⁻⁴² degrees of zero)."""
    order = np.argsort(ids)
    rows = db.session.connection().execute(select(Report.id, *_FLOATS).where(condition))  # those rows only
    for rid, *values in rows:
        at = order[np.searchsorted(ids, rid, sorter=order)]
        for column, value in zip(float_cols, values, strict=True):
            column[at] = np.nan if value is None else value


def _split_at(conn, start: datetime, end: datetime, window_start: datetime) -> int | None:
    """An id that parts the month's reports in two halves of about equal size, for reading them on two
    connections at once; None to read them in one (a small month, one core, a database no second
    connection can reach, or a transaction that has written what a second connection would not see).

    The halves are ranges of ids, so each reads its own part of the table (halves by parity both read
    every page, and gained little). The split is the median of the month's reports among ids spread
    evenly over the table (``_SPLIT_PROBES`` primary-key lookups). It only shares out the work: every
    id falls in exactly one half wherever the split is.
    """
    if not PARALLEL or conn.dialect.name not in ("postgresql", "sqlite"):
        return None
    if conn.dialect.name == "sqlite" and conn.engine.url.database in (None, "", ":memory:"):
        return None  # a database in memory: another connection would open another database
    if has_written(conn):
        return None
    # Each bound its own subquery: SQLite answers a lone min() or max() of the id from the table's b-tree,
    # but scans the table for the two together.
    low, high = conn.execute(
        select(select(func.min(Report.id)).scalar_subquery(), select(func.max(Report.id)).scalar_subquery())
    ).one()
    if low is None or high - low < SPLIT_MIN_REPORTS:
        return None
    step = max(1, (high - low) // _SPLIT_PROBES)
    probes = select(literal(low, Integer).label("id")).cte("probes", recursive=True)
    probes = probes.union_all(select(probes.c.id + step).where(probes.c.id + step <= high))
    sqlite = conn.dialect.name == "sqlite"  # (on SQLite, kept off the indexes: one lookup by id per probe)
    condition = report_ranges(start, end, window_start, sqlite=sqlite, scan=sqlite)
    found = conn.scalars(
        select(Report.id).where(Report.id.in_(select(probes.c.id)), condition).order_by(Report.id)
    ).all()
    if len(found) * step < SPLIT_MIN_REPORTS:
        return None
    return found[len(found) // 2]


def _read_apart(engine, statement, decode):
    """The one row of ``statement``, read on a connection of its own that only reads (see
    database.READER), decoded."""
    with engine.connect().execution_options(**{READER: True}) as conn:
        row = conn.execute(statement).one()
    return decode(row)


def report_columns(start: datetime, end: datetime, window_start: datetime) -> ReportColumns:
    """The month's reports (``report_ranges``) as columns, from one row of aggregates, or two for a large
    month read in halves at once (``_split_at``).

    Long by a few lines: the dialect's query and decoder, the split of a large month and the columns' assembly
    are one sequence over the same connection.
    """
    conn = db.session.connection()
    sqlite = conn.dialect.name == "sqlite"
    scan = sqlite and _sqlite_scan_is_cheaper(start, end, window_start)
    condition = report_ranges(start, end, window_start, sqlite=sqlite, scan=scan)
    query, decode = (_sqlite_query, _sqlite_decode) if sqlite else (_postgresql_query, _postgresql_decode)
    at = _split_at(conn, start, end, window_start)
    if at is None:
        parts = [decode(conn.execute(query(condition)).one())]
    else:

        def half(ids):
            return query(report_ranges(start, end, window_start, sqlite=sqlite, scan=scan, ids=ids))

        with ThreadPoolExecutor(1, thread_name_prefix="ranking-read") as helper:
            upper = helper.submit(_read_apart, conn.engine, half((at, None)), decode)
            lower = conn.execute(half((None, at))).one()
            parts = [decode(lower), upper.result()]
    ints, times, floats = (
        [np.concatenate(c) for c in zip(*(p[k] for p in parts), strict=True)] for k in range(3)
    )
    if any(p[3] for p in parts):
        _reread_positions(and_(condition, _sqlite_near_zero()), ints[0], floats)
    rid, community, item_id, status, instances, found_by, spot, rework = ints
    if (status < 0).any() or (found_by < 0).any():  # the model's CHECK constraints make this impossible
        raise RuntimeError("a report's status or finder is not one the model allows")
    observed, dispatched, due, rectified, closed = times
    lat, lon = floats
    # Item ids as indexes into the codes of the items they name.
    item_ids, item = np.unique(item_id, return_inverse=True)
    names = (
        dict(
            db.session.execute(
                select(ChecklistItem.id, ChecklistItem.code).where(ChecklistItem.id.in_(item_ids.tolist()))
            ).all()
        )
        if len(item_ids)
        else {}
    )
    item_codes = tuple(names.get(i, "") for i in item_ids.tolist())
    return ReportColumns(
        rid,
        community,
        item.astype(np.int64).reshape(-1),
        item_codes,
        status,
        STATUSES,
        observed,
        instances,
        found_by,
        FOUND_BY,
        spot,
        lat,
        lon,
        dispatched,
        due,
        rectified,
        closed,
        rework,
    )


def load_facts(month: str, tz: ZoneInfo, checklist: Checklist) -> MonthFacts:
    """Everything scoring reads for the month, in four queries (five with the item codes): the communities
    with their sub-districts, the reports (``report_columns``), and the communities visited.

    Which reports count, and how, is scoring's business: it picks from these.
    """
    start, end = month_bounds(month, tz)
    communities = [
        CommunityFact(cid, code, name, sd_code, sd_name, tuple(spots or ()), sd_id)
        for cid, code, name, spots, sd_id, sd_code, sd_name in db.session.execute(
            select(
                Community.id,
                Community.code,
                Community.name,
                Community.spot_types,
                Subdistrict.id,
                Subdistrict.code,
                Subdistrict.name,
            )
            .join(Subdistrict, Community.subdistrict_id == Subdistrict.id)
            .order_by(Community.code)
        )
    ]
    reports = report_columns(start, end, start - repeat_window(checklist))
    communities = _with_spot_types(communities, reports, start, end)
    visited = frozenset(
        db.session.scalars(
            select(Visit.community_id)
            .where(Visit.community_id.is_not(None), Visit.observed_at >= start, Visit.observed_at < end)
            .distinct()
        )
    )
    return MonthFacts(month, start, end, communities, reports, visited, micros=True)


def _with_spot_types(
    communities: list[CommunityFact], reports: ReportColumns, start: datetime, end: datetime
) -> list[CommunityFact]:
    """Each community with the spot types it has (``spots.rules.community_spot_types``): recorded with its
    boundary, of its active registered spots, and of the spots the month's counted reports name."""
    lo, hi = (int(moment.timestamp()) * 1_000_000 for moment in (start, end))
    at = (reports.spot_id >= 0) & (reports.community_id >= 0) & (reports.observed_at >= lo)
    at &= (reports.observed_at < hi) & ~reports.is_status("voided")
    named = set(zip(reports.community_id[at].tolist(), reports.spot_id[at].tolist(), strict=True))
    found = spot_types_found(named)
    return [
        replace(c, spot_types=community_spot_types(c.spot_types, found[c.id])) if c.id in found else c
        for c in communities
    ]
