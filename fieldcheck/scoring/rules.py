"""The scoring rules, one function each: the only copy of each formula (see the package docstring for the
rules in prose). Pure: numbers, checklists and report facts in, numbers and booleans out.

``month.score_month`` calls the rules of the field score, the rectification score, the ranking and the
lists for each community, on every month. The rules read per report (which report counts, a repeat's window
and distance, an item due's counts) are called one report at a time by the plain pass (``tally``); on the
loader's month they run over arrays (``arrays``, one function per rule, named after it), which
tests/unit/test_scoring_arrays.py holds equal to these, report by report.

A report ``r`` is a ``ReportFact`` (or anything with its fields by name); its timestamps may be aware
datetimes or ints (microseconds), as long as ``start``, ``end`` and ``reference`` are of the same kind. Amounts, caps and
weights may be Decimals, Fractions or ints of one common unit (``points.Points``): the rules only add,
subtract, compare and divide them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from ..geo import distance_m
from .facts import APPEALED, CLOSED, SUSPENDED, VOIDED, ReportFact

if TYPE_CHECKING:
    from ..checklist.spec import Checklist
    from .results import CommunityScore, Indicators

_ONE = Decimal(1)

#: The tie-breaks in order, as stated on exported sheets (``rank_key``).
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


def reference_time(now, end):
    """The moment the month is judged at: "closed by month end", "overdue at month end", or now if earlier."""
    return min(now, end)


# ---------------------------------------------------------------------------------------------------
# Which reports count


def is_field_report(r: ReportFact, start, end) -> bool:
    """Observed in the month, assigned to a community, not voided."""
    return r.community_id is not None and r.status != VOIDED and start <= r.observed_at < end


def is_due(r: ReportFact, start, end, reference) -> bool:
    """Its deadline falls in the month and has passed at the reference time; assigned, neither voided nor
    suspended (挂账)."""
    return (
        r.community_id is not None
        and r.status not in (VOIDED, SUSPENDED)
        and r.due_at is not None
        and start <= r.due_at < end
        and r.due_at < reference
    )


def is_inspected(reports: int, visited: bool) -> bool:
    """A community with a field report or a visit in the month is inspected: scored and ranked."""
    return reports > 0 or visited


# ---------------------------------------------------------------------------------------------------
# Repeats (回潮)


def repeat_window(checklist: Checklist) -> timedelta:
    """How long before a report a closing can make it a repeat (so the month's reports can be repeats of
    closings from ``start - repeat_window`` on)."""
    return timedelta(days=checklist.repeat.window_days)


def closed_report(r: ReportFact) -> bool:
    """A report that can make a later one a repeat: closed, with its closing time."""
    return r.status == CLOSED and r.closed_at is not None


def closes_in_window(closed_at, observed_at, window) -> bool:
    """A closing within ``window`` before a report observed at ``observed_at`` (both moments included)
    makes that report a repeat, when the closed report is another of the same item at the same spot, or
    ``near`` it."""
    return observed_at - window <= closed_at <= observed_at


def near(lat: float, lon: float, other_lat: float, other_lon: float, radius_m: float) -> bool:
    """Two positions within ``radius_m`` metres of each other (great-circle distance, ``geo.distance_m``)."""
    return distance_m(lat, lon, other_lat, other_lon) <= radius_m


def repeat_preference(closed_at, report_id: int) -> tuple:
    """Of several closings that make a report a repeat, the greatest key is its source: the latest closing,
    then the lowest id."""
    return closed_at, -report_id


# ---------------------------------------------------------------------------------------------------
# The field score (实地测评)


def found_by_multiplier(checklist: Checklist, found_by: str) -> Decimal:
    """Who found a report scales its deduction (1 for a finder the checklist does not name)."""
    return checklist.found_by.get(found_by, _ONE)


def repeat_multiplier(checklist: Checklist, repeat: bool) -> Decimal:
    return checklist.repeat.multiplier if repeat else _ONE


def deduction_amount(
    points: Decimal, instances: int, found_by_multiplier: Decimal, repeat_multiplier: Decimal
):
    """A report's deduction before caps: ``instances × points × found_by multiplier × repeat multiplier``."""
    return points * found_by_multiplier * instances * repeat_multiplier


def category_applies(category_spot_types: Collection[str], spot_types: Iterable[str]) -> bool:
    """Whether a community with these spot types is scored on a category found at ``category_spot_types``
    (``Category.spot_types``): it has one of them, or has none recorded (then every category applies)."""
    have = set(spot_types)
    return not have or not have.isdisjoint(category_spot_types)


def item_deduction(total, cap):
    """An item's deduction in a month: the ``total`` of its reports' amounts, at most its cap."""
    return total if total <= cap else cap


def category_deduction(total, weight):
    """A category's deduction: the ``total`` of its items' deductions, at most its weight (扣完为止)."""
    return total if total <= weight else weight


def field_score(field_total, applicable: Iterable[tuple]) -> Fraction:
    """``field_total × Σ(weight − deducted) / Σ weight`` over the applicable categories' ``(weight,
    deducted)``, ``deducted`` being ``category_deduction``'s: the categories that apply are scaled up to the
    field total, so a community without a market is neither favoured nor punished. Weights and deductions
    in any one unit (the ratio is the same)."""
    weights = kept = 0
    for weight, deducted in applicable:
        weights += weight
        kept += weight - deducted
    if not weights:
        return Fraction(field_total)
    return Fraction(field_total) * Fraction(kept) / Fraction(weights)


# ---------------------------------------------------------------------------------------------------
# The rectification score (整改落实), over the items due


def closed_by(r: ReportFact, reference) -> bool:
    """Accepted (closed) by the reference time."""
    return r.status == CLOSED and r.closed_at is not None and r.closed_at <= reference


def rectified_by(r: ReportFact, reference) -> bool:
    """Rectified by the reference time and not returned since (a return sets a new dispatch time)."""
    return (
        r.rectified_at is not None
        and r.rectified_at <= reference
        and (r.dispatched_at is None or r.rectified_at >= r.dispatched_at)
    )


def on_time(r: ReportFact, reference) -> bool:
    """Closed by the reference time, and last rectified no later than its deadline."""
    return (
        closed_by(r, reference)
        and r.rectified_at is not None
        and r.due_at is not None
        and r.rectified_at <= r.due_at
    )


def overdue_open(r: ReportFact, reference) -> bool:
    """Neither closed nor rectified by the reference time, and not under appeal."""
    return not closed_by(r, reference) and r.status != APPEALED and not rectified_by(r, reference)


def reached_verification(r: ReportFact) -> bool:
    return r.rectified_at is not None


def reworked(r: ReportFact) -> bool:
    """Reached verification and was returned at least once."""
    return r.rectified_at is not None and r.rework_count > 0


def timed(r: ReportFact) -> bool:
    """Its time to rectify counts (working time from the latest dispatch to the rectification)."""
    return r.rectified_at is not None and r.dispatched_at is not None and r.rectified_at >= r.dispatched_at


def count_due(ind: Indicators, r: ReportFact, reference, hours=None) -> None:
    """Add one item due to the counts (``hours``: working seconds between two moments, or None)."""
    ind.due += 1
    ind.closed += closed_by(r, reference)
    ind.on_time += on_time(r, reference)
    ind.overdue_open += overdue_open(r, reference)
    ind.reached_verification += reached_verification(r)
    ind.rework += reworked(r)
    if hours is not None and timed(r):
        ind.rectified_timed += 1
        ind.rectify_seconds += hours(r.dispatched_at, r.rectified_at)


def rate(part: int, whole: int) -> Fraction | None:
    """A rate as an exact fraction; None when there is nothing to rate."""
    return Fraction(part, whole) if whole else None


def rectification_score(checklist: Checklist, ind: Indicators) -> Fraction:
    """on_time × on-time rate + closure × closure rate + rework × (1 − rework rate); nothing due: full."""
    weights = checklist.rectification
    if not ind.due:
        return Fraction(weights.total)
    rework_rate = ind.rework_rate or Fraction(0)
    on_time_rate, closure_rate = ind.on_time_rate or Fraction(0), ind.closure_rate or Fraction(0)
    return (
        Fraction(weights.on_time) * on_time_rate
        + Fraction(weights.closure) * closure_rate
        + Fraction(weights.rework) * (1 - rework_rate)
    )


# ---------------------------------------------------------------------------------------------------
# The ranking and the lists


def rank_key(score: Fraction, ind: Indicators, code: str) -> tuple:
    """Sort key of the ranking: see TIE_BREAKS (no items due counts as 100 % on time)."""
    on_time_rate = ind.on_time_rate if ind.on_time_rate is not None else Fraction(1)
    return (-score, ind.overdue_open, -on_time_rate, ind.reports, code)


def mean_score(scores: Sequence[Fraction]) -> Fraction | None:
    """A sub-district's score: the mean of its inspected communities' scores (none inspected: None)."""
    return sum(scores, Fraction(0)) / len(scores) if scores else None


def red_black_lists(checklist: Checklist, ranked: Sequence[CommunityScore]) -> tuple[list[str], list[str]]:
    """Red: the top N not below the threshold. Black: every one below the threshold, plus the bottom M not
    on the red list. No community is on both."""
    below = Fraction(checklist.black_list_below)
    red = [s.community.code for s in ranked if s.score is not None and s.score >= below]
    red = red[: checklist.red_list_size]
    black = [s.community.code for s in ranked if s.score is not None and s.score < below]
    candidates = [s.community.code for s in ranked if s.community.code not in red]
    bottom = candidates[-checklist.black_list_size :] if checklist.black_list_size else []
    black_set = set(black) | set(bottom)
    return red, [s.community.code for s in ranked if s.community.code in black_set]
