"""Scoring a month: one pass over the reports (``Tally``), then each community scored, ranked and listed
by the rules (``rules``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from fractions import Fraction

from ..calendar import WorkCalendar
from ..checklist.spec import Checklist
from .arrays import tally_columns
from .breakdown import Breakdowns
from .facts import CommunityFact, MonthFacts, ReportColumns, in_datetimes, micros
from .hours import WorkingHours
from .points import Points
from .results import CommunityScore, Indicators, MonthResult, SubdistrictScore
from .rules import (
    category_applies,
    category_deduction,
    field_score,
    is_inspected,
    item_deduction,
    mean_score,
    rank_key,
    rectification_score,
    red_black_lists,
    reference_time,
    repeat_window,
)
from .tally import Tally, tally_plain


def score_month(
    checklist: Checklist,
    facts: MonthFacts,
    now: datetime,
    *,
    calendar: WorkCalendar | None = None,
    tz: tzinfo = UTC,
) -> MonthResult:
    """Score every community for the month, rank them and the sub-districts, and draw up the lists.

    One pass over the reports (``tally``): a field report adds its amount, in integer units of ``Points``,
    to its community's item; an item due adds to its community's counts. Then per community the item caps,
    category weights and the field score, the rectification score and the rest, by the rules. The
    per-report breakdown is built only when ``entries`` or ``categories`` is read.
    """
    points = Points(checklist)
    reference = reference_time(now, facts.end)
    tally = _tally(points, facts, reference, calendar, tz)
    field_total = Fraction(checklist.field_total)
    applies_by: dict[tuple, dict[str, bool]] = {}
    scores = []
    for community in facts.communities:
        applies = applies_by.get(community.spot_types)
        if applies is None:
            applies = applies_by[community.spot_types] = {
                code: category_applies(spots, community.spot_types)
                for code, spots in points.category_spots.items()
            }
        scores.append(
            _community_score(
                checklist, points, tally, community, applies, field_total, community.id in facts.visited
            )
        )
    detail = Breakdowns(checklist, points, tally.field_by, tally.repeats, applies_by)
    for s in scores:
        s._detail = detail
    ranked = _ranked(scores)
    total = Indicators()
    for s in scores:
        total.add(s.indicators)
    red, black = red_black_lists(checklist, ranked)
    return MonthResult(
        month=facts.month,
        reference=reference,
        communities=ranked + sorted((s for s in scores if not s.inspected), key=lambda s: s.community.code),
        subdistricts=subdistrict_scores(scores),
        red_list=red,
        black_list=black,
        indicators=total,
        coverage=(len(ranked), len(scores)),
    )


def _tally(
    points: Points, facts: MonthFacts, reference: datetime, calendar: WorkCalendar | None, tz: tzinfo
) -> Tally:
    """The pass over the month's reports: over arrays for a month in microseconds (what the loader passes),
    else one report at a time (and for a month whose repeats cannot be searched over arrays)."""
    window = repeat_window(points.checklist)
    reports = facts.reports
    if facts.micros:
        columns = reports if isinstance(reports, ReportColumns) else ReportColumns.from_rows(reports)
        tally = tally_columns(
            points,
            columns,
            micros(facts.start),
            micros(facts.end),
            micros(reference),
            window // timedelta(microseconds=1),
            calendar,
            tz,
        )
        if tally is not None:
            return tally
        reports = in_datetimes(reports)
    hours = WorkingHours(calendar, tz) if calendar is not None else None
    return tally_plain(points, reports, facts.start, facts.end, reference, window, hours)


def _community_score(
    checklist: Checklist,
    points: Points,
    tally: Tally,
    community: CommunityFact,
    applies: dict[str, bool],
    field_total: Fraction,
    visited: bool,
) -> CommunityScore:
    cid = community.id
    ind = tally.indicators.get(cid) or Indicators()
    ind.reports = tally.reports.get(cid, 0)
    ind.repeats = tally.repeats_by.get(cid, 0)
    rect = rectification_score(checklist, ind)
    if not is_inspected(ind.reports, visited):
        return CommunityScore(community, False, None, rect, None, Fraction(0), ind)
    caps, weights, category_of = points.caps, points.weights, points.category_of
    deducted = {code: 0 for code, applicable in applies.items() if applicable}
    for item_code, total in tally.raw.get(cid, {}).items():
        category = category_of[item_code]
        if applies[category]:
            deducted[category] += item_deduction(total, caps[item_code])
    applicable = [
        (weights[code], category_deduction(total, weights[code])) for code, total in deducted.items()
    ]
    field = field_score(field_total, applicable)
    return CommunityScore(community, True, field, rect, field + rect, field_total - field, ind)


def _ranked(scores: Sequence[CommunityScore]) -> list[CommunityScore]:
    """The inspected communities in rank order (``rules.rank_key``), each given its rank."""
    ranked = sorted((s for s in scores if s.inspected), key=_community_key)
    for position, s in enumerate(ranked, 1):
        s.rank = position
    return ranked


def _community_key(s: CommunityScore) -> tuple:
    assert s.score is not None  # every inspected community has a score
    return rank_key(s.score, s.indicators, s.community.code)


def _subdistrict_key(s: SubdistrictScore) -> tuple:
    assert s.score is not None  # only sub-districts with an inspected community are ranked
    return rank_key(s.score, s.indicators, s.code)


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
        inspected = [s.score for s in members if s.inspected and s.score is not None]
        first = members[0].community
        out.append(
            SubdistrictScore(
                first.subdistrict_id,
                code,
                first.subdistrict_name,
                mean_score(inspected),
                len(members),
                len(inspected),
                ind,
            )
        )
    ranked = sorted((sd for sd in out if sd.score is not None), key=_subdistrict_key)
    for position, sd in enumerate(ranked, 1):
        sd.rank = position
    return ranked + sorted((sd for sd in out if sd.score is None), key=lambda sd: sd.code)
