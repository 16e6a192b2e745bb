"""The pass over a month's reports over arrays (numpy): what runs on the loader's month (``ReportColumns``,
timestamps in microseconds), the same ``Tally`` as ``tally.tally_rows`` gives one report at a time.

Each function here is a rule of ``rules`` applied to every row at once, and named after it;
tests/unit/test_scoring_arrays.py holds each equal to its rule, row by row, on generated months and at the
edges (exactly the radius apart, exactly the window before, a microsecond either side of the month, the
deadline and the reference time), and the whole month equal to the plain pass. Scoring a month of 200,000
reports like the bench's takes about 0.25 s of CPU this way, 1.5 s one report at a time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import NamedTuple

import numpy as np

from ..calendar import WorkCalendar
from ..geo import EARTH_RADIUS_M
from .facts import APPEALED, CLOSED, NO_TIME, SUSPENDED, VOIDED, ReportColumns, from_micros
from .hours import WorkingHours
from .points import Points
from .repeats import ROW, cell_size
from .results import Indicators
from .rules import near
from .tally import Tally

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EMPTY = np.zeros(0, dtype=np.int64)


# ---------------------------------------------------------------------------------------------------
# Which reports count, and an item due's counts (rules.is_field_report, is_due, count_due)


def field_reports(reports: ReportColumns, start: int, end: int) -> np.ndarray:
    """``rules.is_field_report`` of every row."""
    observed = reports.observed_at
    return (
        (reports.community_id >= 0)
        & ~reports.is_status(VOIDED)
        & (observed != NO_TIME)
        & (observed >= start)
        & (observed < end)
    )


def due_items(reports: ReportColumns, start: int, end: int, reference: int) -> np.ndarray:
    """``rules.is_due`` of every row."""
    due_at = reports.due_at
    return (
        (reports.community_id >= 0)
        & ~reports.is_status(VOIDED)
        & ~reports.is_status(SUSPENDED)
        & (due_at != NO_TIME)
        & (due_at >= start)
        & (due_at < end)
        & (due_at < reference)
    )


class DueFlags(NamedTuple):
    """The rules ``count_due`` counts by, each of the rows asked."""

    closed_by: np.ndarray
    on_time: np.ndarray
    overdue_open: np.ndarray
    reached_verification: np.ndarray
    reworked: np.ndarray
    timed: np.ndarray


def due_flags(reports: ReportColumns, at: np.ndarray, reference: int) -> DueFlags:
    """``rules.closed_by``, ``on_time``, ``overdue_open``, ``reached_verification``, ``reworked`` and
    ``timed`` of the rows at positions ``at`` (items due: each has a deadline)."""
    dispatched, rectified, closed_at = (
        reports.dispatched_at[at],
        reports.rectified_at[at],
        reports.closed_at[at],
    )
    has_dispatch, has_rectified = dispatched != NO_TIME, rectified != NO_TIME
    closed_by = reports.is_status(CLOSED)[at] & (closed_at != NO_TIME) & (closed_at <= reference)
    rectified_by = has_rectified & (rectified <= reference) & (~has_dispatch | (rectified >= dispatched))
    return DueFlags(
        closed_by=closed_by,
        on_time=closed_by & has_rectified & (rectified <= reports.due_at[at]),
        overdue_open=~closed_by & ~reports.is_status(APPEALED)[at] & ~rectified_by,
        reached_verification=has_rectified,
        reworked=has_rectified & (reports.rework_count[at] > 0),
        timed=has_rectified & has_dispatch & (rectified >= dispatched),
    )


def due_counts(
    reports: ReportColumns, at: np.ndarray, reference: int, calendar: WorkCalendar | None, tz: tzinfo
) -> dict[int, Indicators]:
    """``rules.count_due`` of the items due at positions ``at``, summed by community."""
    if not len(at):
        return {}
    flags = due_flags(reports, at, reference)
    owners, member = np.unique(reports.community_id[at], return_inverse=True)
    size = len(owners)

    def per(mask):
        return np.bincount(member[mask], minlength=size).tolist()

    timed = flags.timed if calendar is not None else np.zeros(len(at), dtype=bool)
    seconds = np.zeros(size, dtype=np.int64)
    if calendar is not None and timed.any():
        spent = working_seconds(
            calendar, tz, reports.dispatched_at[at][timed], reports.rectified_at[at][timed]
        )
        np.add.at(seconds, member[timed], spent)
    columns = (
        np.bincount(member, minlength=size).tolist(),
        per(flags.closed_by),
        per(flags.on_time),
        per(flags.overdue_open),
        per(flags.reached_verification),
        per(flags.reworked),
        per(timed),
        seconds.tolist(),
    )
    return {
        owner: Indicators(
            due=due,
            closed=closed,
            on_time=in_time,
            overdue_open=overdue,
            reached_verification=reached,
            rework=rework,
            rectified_timed=timed_n,
            rectify_seconds=secs,
        )
        for owner, (due, closed, in_time, overdue, reached, rework, timed_n, secs) in zip(
            owners.tolist(), zip(*columns, strict=True), strict=True
        )
    }


# ---------------------------------------------------------------------------------------------------
# Repeats (rules.closed_report, closes_in_window, near, repeat_preference; the cells of repeats.py)


def closed_reports(reports: ReportColumns) -> np.ndarray:
    """``rules.closed_report`` of every row."""
    return reports.is_status(CLOSED) & (reports.closed_at != NO_TIME)


def repeat_sources(
    reports: ReportColumns, asked: np.ndarray, item: np.ndarray, radius_m: float, window_us: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """``RepeatIndex.earlier`` of the reports at positions ``asked``: (the places in ``asked`` of those that
    are repeats, the ids of their sources). ``item``: each row's item code as an int (equal codes, equal
    ints; a negative one is never a source). None when the keys would not fit in 64-bit integers (a radius
    of micrometres): search with ``RepeatIndex`` then.

    The same cells as ``RepeatIndex`` give the candidate pairs (same item and spot, or same item in the
    report's block of four cells), then one filter for all of them: another report, closed within the
    window, and for pairs by position near. Distances are computed by numpy, whose last bit may differ
    from ``geo.distance_m``'s: a pair within a micrometre of the radius is decided by ``rules.near``
    itself, so the outcome is the same.
    """
    c = np.flatnonzero(closed_reports(reports) & (item >= 0))

    def columns(at, moment):
        return reports.id[at], item[at], reports.spot_id[at], reports.lat[at], reports.lon[at], moment[at]

    return _search(
        columns(c, reports.closed_at), columns(asked, reports.observed_at), float(radius_m), window_us
    )


def _search(candidates, asking, radius: float, window_us: int):
    """``repeat_sources`` over columns ``(id, item, spot, lat, lon, closed_at or observed_at)``: a missing
    spot -1, a missing position nan (lat or lon)."""
    c_id, c_item, *_c, closed_at = candidates
    q_id, q_item, *_q, observed = asking
    if not len(c_id) or not len(q_id):
        return _EMPTY, _EMPTY
    n_items = max(int(c_item.max()), int(q_item.max())) + 2
    by_spot, by_cell = (
        _spot_pairs(candidates, asking, n_items),
        _cell_pairs(candidates, asking, n_items, radius),
    )
    if by_spot is None or by_cell is None:
        return None
    pq = np.concatenate([*by_spot[0], *by_cell[0], _EMPTY])
    pc = np.concatenate([*by_spot[1], *by_cell[1], _EMPTY])
    positional = np.repeat([False, True], [sum(map(len, by_spot[0])), sum(map(len, by_cell[0]))])
    qo, ca = observed[pq], closed_at[pc]
    keep = (c_id[pc] != q_id[pq]) & (ca >= qo - window_us) & (ca <= qo)  # rules.closes_in_window
    pq, pc, positional = pq[keep], pc[keep], positional[keep]
    far = np.flatnonzero(positional)[~_near(candidates, asking, pq[positional], pc[positional], radius)]
    keep = np.ones(len(pq), dtype=bool)
    keep[far] = False
    pq, pc = pq[keep], pc[keep]
    # Per report asked, the greatest rules.repeat_preference: the latest closing, then the lowest id.
    order = np.lexsort((c_id[pc], -closed_at[pc], pq))
    pq, pc = pq[order], pc[order]
    first = np.ones(len(pq), dtype=bool)
    first[1:] = pq[1:] != pq[:-1]
    return pq[first], c_id[pc[first]]


def _near(candidates, asking, pq: np.ndarray, pc: np.ndarray, radius: float) -> np.ndarray:
    """``rules.near`` of each pair: numpy's ``geo.distance_m``, and within a micrometre of the radius
    ``rules.near`` itself."""
    lat1, lon1, lat2, lon2 = asking[3][pq], asking[4][pq], candidates[3][pc], candidates[4][pc]
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    h = (
        np.sin((phi2 - phi1) / 2) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    d = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    out = d <= radius
    for k in np.flatnonzero(np.abs(d - radius) <= 1e-6).tolist():
        out[k] = near(float(lat1[k]), float(lon1[k]), float(lat2[k]), float(lon2[k]), radius)
    return out


def _matching(
    c_sel: np.ndarray, c_keys: np.ndarray, q_sel: np.ndarray, q_key_sets: list
) -> tuple[list, list]:
    """Every (asked, candidate) pair of positions with equal keys, for each of ``q_key_sets`` (the keys of
    the rows ``q_sel``): one sort of the candidates, one search per key."""
    by_c_key = np.argsort(c_keys, kind="stable")
    order, sorted_keys = c_sel[by_c_key], c_keys[by_c_key]
    # np.unique of the sorted keys, without sorting them twice more.
    starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    keys, counts = sorted_keys[starts], np.diff(np.append(starts, len(sorted_keys)))
    pair_q, pair_c = [], []
    for k in q_key_sets:
        by_key = np.argsort(k)  # searching in key order keeps each search near the last (2x faster)
        k, q_at = k[by_key], q_sel[by_key]
        at = np.minimum(np.searchsorted(keys, k), len(keys) - 1)
        n = np.where(keys[at] == k, counts[at], 0)
        total = int(n.sum())
        if total:
            pair_c.append(order[np.arange(total) + np.repeat(starts[at] - (np.cumsum(n) - n), n)])
            pair_q.append(np.repeat(q_at, n))
    return pair_q, pair_c


def _spot_pairs(candidates, asking, n_items: int) -> tuple[list, list] | None:
    """The pairs of the same item and spot: one key per (item, spot); None beyond 64-bit keys."""
    c_item, c_spot, q_item, q_spot = candidates[1], candidates[2], asking[1], asking[2]
    width = max(int(c_spot.max()), int(q_spot.max())) + 2
    if n_items * width >= 2**62:
        return None
    c_sel, q_sel = np.flatnonzero(c_spot >= 0), np.flatnonzero(q_spot >= 0)
    if not len(c_sel) or not len(q_sel):
        return [], []
    return _matching(
        c_sel, c_item[c_sel] * width + c_spot[c_sel], q_sel, [q_item[q_sel] * width + q_spot[q_sel]]
    )


def _cell_pairs(candidates, asking, n_items: int, radius: float) -> tuple[list, list] | None:
    """The pairs of the same item, the candidate in the asked report's cell or the three around its nearest
    corner (``repeats.block``), as one key per (item, cell): the cell shifted to start at ROW + 2 so that
    the neighbours stay positive. None beyond 64-bit keys."""
    c_item, c_lat, c_lon = candidates[1], candidates[3], candidates[4]
    q_item, q_lat, q_lon = asking[1], asking[3], asking[4]
    c_sel = np.flatnonzero(~(np.isnan(c_lat) | np.isnan(c_lon)))
    q_sel = np.flatnonzero(~(np.isnan(q_lat) | np.isnan(q_lon)))
    if not len(c_sel) or not len(q_sel):
        return [], []
    dlat, dlon = cell_size(radius, float(np.abs(c_lat[~np.isnan(c_lat)]).max()))
    cy, cx = np.floor(c_lat[c_sel] / dlat), np.floor(c_lon[c_sel] / dlon)
    y, x = q_lat[q_sel] / dlat, q_lon[q_sel] / dlon
    qy, qx = np.floor(y), np.floor(x)
    big = max(
        float(np.abs(cy).max()), float(np.abs(cx).max()), float(np.abs(qy).max()), float(np.abs(qx).max())
    )
    if (big + 2) * (ROW + 1) * 4 * n_items >= 2**62:
        return None
    c_cell = cy.astype(np.int64) * ROW + cx.astype(np.int64)
    q_cell = qy.astype(np.int64) * ROW + qx.astype(np.int64)
    low = min(int(c_cell.min()), int(q_cell.min())) - ROW - 2
    span = max(int(c_cell.max()), int(q_cell.max())) + ROW + 2 - low + 1
    c_key = c_item[c_sel] * span + (c_cell - low)
    q_key = q_item[q_sel] * span + (q_cell - low)
    dy = np.where(y - qy >= 0.5, ROW, -ROW).astype(np.int64)
    dx = np.where(x - qx >= 0.5, 1, -1).astype(np.int64)
    return _matching(c_sel, c_key, q_sel, [q_key, q_key + dy, q_key + dx, q_key + dy + dx])


# ---------------------------------------------------------------------------------------------------
# Working time (hours.WorkingHours)


def _at(us: int) -> datetime:
    """A moment given in microseconds (never None) as an aware datetime."""
    moment = from_micros(us)
    assert moment is not None
    return moment


def working_seconds(calendar: WorkCalendar, tz: tzinfo, start_us, end_us) -> np.ndarray:
    """``WorkingHours(calendar, tz)(start, end)`` for each pair of moments in microseconds (end >= start),
    over arrays: a cumulative count of working seconds at the start of each local day, plus the seconds
    of the day when it is a working day, subtracted. Whole seconds of local time, as ``WorkingHours``.

    Local time is UTC plus the zone's offset, looked up once per UTC hour the moments fall in; an hour in
    which the offset changes (daylight saving) is computed the plain way.
    """
    if not len(start_us):
        return np.zeros(0, dtype=np.int64)
    seconds = np.floor_divide(
        np.concatenate([np.asarray(start_us, dtype=np.int64), np.asarray(end_us, dtype=np.int64)]), 1_000_000
    )
    hours, where = np.unique(seconds // 3600, return_inverse=True)
    offsets = np.empty(len(hours), dtype=np.int64)
    steady = np.ones(len(hours), dtype=bool)
    for k, hour in enumerate(hours.tolist()):
        first = _at(hour * 3_600_000_000).astimezone(tz).utcoffset() or timedelta(0)
        last = _at(hour * 3_600_000_000 + 3_599_000_000).astimezone(tz).utcoffset()
        steady[k] = first == last and first.microseconds == 0
        offsets[k] = first // timedelta(seconds=1)
    day, in_day = np.divmod(seconds + offsets[where], 86400)
    first_day = int(day.min())
    days = np.arange(first_day, int(day.max()) + 1)
    working = np.array([calendar.is_working_day(date.fromordinal(d + _EPOCH_ORDINAL)) for d in days.tolist()])
    before = np.concatenate(
        [[0], np.cumsum(working.astype(np.int64) * 86400)]
    )  # working seconds before each day
    position = day - first_day
    at = before[position] + np.where(working[position], in_day, 0)
    n = len(start_us)
    out = at[n:] - at[:n]
    unsteady = np.flatnonzero(~(steady[where[:n]] & steady[where[n:]]))
    if len(unsteady):
        plain = WorkingHours(calendar, tz)
        for k in unsteady.tolist():
            out[k] = plain(_at(int(start_us[k])), _at(int(end_us[k])))
    return out


# ---------------------------------------------------------------------------------------------------
# The pass


class RowsBy:
    """Community id → its field reports as rows (``Tally.field_by``), each list built when first read."""

    def __init__(self, reports: ReportColumns, positions: dict[int, np.ndarray]):
        self.reports, self.positions = reports, positions
        self.built: dict[int, list] = {}

    def get(self, cid, default=()):
        rows = self.built.get(cid)
        if rows is None:
            at = self.positions.get(cid)
            if at is None:
                return default
            rows = self.built[cid] = self.reports.rows(at)
        return rows


def tally_columns(
    points: Points,
    reports: ReportColumns,
    start: int,
    end: int,
    reference: int,
    window_us: int,
    calendar: WorkCalendar | None,
    tz: tzinfo,
) -> Tally | None:
    """``tally.tally_rows`` over arrays (bounds and reference in microseconds); None when the repeats cannot
    be searched over arrays (see ``repeat_sources``)."""
    if not len(reports):
        return Tally({}, {}, {}, {}, {}, {})
    item = reports.item_in({code: k for k, code in enumerate(points.items)})
    field = field_reports(reports, start, end)
    known = np.flatnonzero(field & (item >= 0))  # field reports of the checklist's items
    found = repeat_sources(reports, known, item, float(points.checklist.repeat.radius_m), window_us)
    if found is None:
        return None
    at, sources = found
    is_repeat = np.zeros(len(known), dtype=bool)
    is_repeat[at] = True
    repeats = dict(zip(reports.id[known[at]].tolist(), sources.tolist(), strict=True))
    owners, counts = np.unique(reports.community_id[known[at]], return_counts=True)
    repeats_by = dict(zip(owners.tolist(), counts.tolist(), strict=True))
    raw = _amounts(points, reports, known, item, is_repeat)
    field_by, counts_by = _by_community(reports, np.flatnonzero(field))
    ind_by = due_counts(
        reports, np.flatnonzero(due_items(reports, start, end, reference)), reference, calendar, tz
    )
    return Tally(field_by, counts_by, raw, repeats, repeats_by, ind_by)


def _by_community(reports: ReportColumns, at: np.ndarray) -> tuple[RowsBy, dict[int, int]]:
    """The rows at positions ``at`` by community, and how many each."""
    cid = reports.community_id
    order = at[np.argsort(cid[at], kind="stable")]
    owners, first, count = np.unique(cid[order], return_index=True, return_counts=True)
    positions = {
        o: order[s : s + k] for o, s, k in zip(owners.tolist(), first.tolist(), count.tolist(), strict=True)
    }
    return RowsBy(reports, positions), dict(zip(owners.tolist(), count.tolist(), strict=True))


def _amounts(
    points: Points, reports: ReportColumns, known: np.ndarray, item: np.ndarray, is_repeat: np.ndarray
) -> dict[int, dict[str, int]]:
    """``Tally.raw``: the amounts (``Points.amount_units``: one per item, finder, instances and repeat or
    not) of the field reports at positions ``known``, summed per community and item."""
    codes, finders = list(points.items), reports.finders
    instances, item_k = reports.instances[known], item[known]
    top = int(instances.max()) + 1 if len(known) else 1
    key = ((item_k * len(finders) + reports.found_by[known]) * top + instances) * 2 + is_repeat
    combos, which = np.unique(key, return_inverse=True)
    items = list(points.items.values())
    units = [
        points.amount_units(
            items[k // 2 // top // len(finders)][0],
            finders[k // 2 // top % len(finders)],
            k // 2 % top,
            bool(k % 2),
        )
        for k in combos.tolist()
    ]
    communities, member = np.unique(reports.community_id[known], return_inverse=True)
    raw: dict[int, dict[str, int]] = {}
    if units and max(map(abs, units)) * len(known) < 2**62:
        sums = np.zeros(len(communities) * len(codes), dtype=np.int64)
        np.add.at(sums, member * len(codes) + item_k, np.array(units, dtype=np.int64)[which])
        for k in np.flatnonzero(sums).tolist():
            raw.setdefault(int(communities[k // len(codes)]), {})[codes[k % len(codes)]] = int(sums[k])
    else:  # amounts beyond 64 bits: add them as Python ints
        for m, i, w in zip(member.tolist(), item_k.tolist(), which.tolist(), strict=True):
            amounts = raw.setdefault(int(communities[m]), {})
            amounts[codes[i]] = amounts.get(codes[i], 0) + units[w]
    return raw
