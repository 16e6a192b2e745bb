"""The pass over a month's reports that ``score_month`` scores from (``Tally``), one report at a time by
the rules. ``arrays.tally_columns`` makes the same pass over arrays (what runs on the loader's month);
tests/unit/test_scoring_arrays.py holds the two equal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

from .facts import ReportFact
from .points import Points
from .repeats import RepeatIndex
from .results import Indicators
from .rules import count_due, is_due, is_field_report

if TYPE_CHECKING:
    from .arrays import RowsBy


class Tally(NamedTuple):
    """A month's reports as ``score_month`` reads them, by community id."""

    #: The field reports (``rules.is_field_report``), as rows in ``ReportFact``'s field order (read by the
    #: breakdowns only: a mapping with ``get``, built when read on the array pass).
    field_by: dict[int, list] | RowsBy
    #: How many field reports.
    reports: dict[int, int]
    #: Item code → the sum of its field reports' amounts (``rules.deduction_amount``) before the caps, in
    #: the units of ``Points``; items the checklist has only.
    raw: dict[int, dict[str, int]]
    #: Report id → the id of the report whose closing makes it a repeat (field reports of the checklist's
    #: items only).
    repeats: dict[int, int]
    #: How many field reports are repeats.
    repeats_by: dict[int, int]
    #: The counts of the items due (``rules.count_due``); ``reports`` and ``repeats`` are left at 0.
    indicators: dict[int, Indicators]


def tally_rows(
    points: Points, reports: Iterable, start, end, reference, find: Callable, hours: Callable | None
) -> Tally:
    """The pass one report at a time: ``find`` gives a report's repeat source (``RepeatIndex.earlier``) and
    ``hours`` the working seconds between two moments (or None)."""
    field_by: dict[int, list] = defaultdict(list)
    raw: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    repeats: dict[int, int] = {}
    repeats_by: dict[int, int] = defaultdict(int)
    ind_by: dict[int, Indicators] = defaultdict(Indicators)
    for row in reports:
        r = ReportFact._make(row)
        cid = r.community_id
        if cid is None:  # neither a field report nor due (both need a community)
            continue
        if is_field_report(r, start, end):
            field_by[cid].append(row)
            hit = points.items.get(r.item_code)
            if hit is not None:
                repeat_of = find(r)
                if repeat_of is not None:
                    repeats[r.id] = repeat_of
                    repeats_by[cid] += 1
                raw[cid][r.item_code] += points.amount_units(
                    hit[0], r.found_by, r.instances, repeat_of is not None
                )
        if is_due(r, start, end, reference):
            count_due(ind_by[cid], r, reference, hours)
    counts = {cid: len(rows) for cid, rows in field_by.items()}
    return Tally(field_by, counts, raw, repeats, repeats_by, ind_by)


def tally_plain(points: Points, reports: Iterable, start, end, reference, window, hours) -> Tally:
    """``tally_rows`` with repeats searched by ``RepeatIndex``."""
    reports = list(reports)
    index = RepeatIndex(reports, float(points.checklist.repeat.radius_m), window)
    return tally_rows(points, reports, start, end, reference, index.earlier, hours)
