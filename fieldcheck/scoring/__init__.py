"""Scoring a month: each community's score, the ranking, sub-districts, coverage, red and black lists
and the indicators (pure: plain data in, plain data out; the clock, the month and the checklist are
arguments). Every number comes from the checklist version given; nothing here holds a point value.

The package, in the order a month is scored:

- ``facts``: what a month is scored from (communities, reports as rows or as the loader's columns);
- ``rules``: the rules below, one function each, the only copy of each formula;
- ``tally``: the pass over the reports, one report at a time by the rules (with ``repeats`` and ``hours``);
- ``arrays``: the same pass over arrays (numpy), what runs on the loader's month, each array function
  held equal to its rule by tests/unit/test_scoring_arrays.py;
- ``points``: the checklist's numbers as exact integers of one unit, so deductions add up as ints;
- ``month``: ``score_month``, each community scored, ranked and listed by the rules;
- ``results`` and ``breakdown``: what it gives, the breakdown down to each report built when read.

Which reports count (``ReportFact`` rows; the loader may pass more, this package picks):

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

from .arrays import repeat_sources, working_seconds
from .facts import (
    APPEALED,
    CLOSED,
    NO_TIME,
    SUSPENDED,
    VOIDED,
    CommunityFact,
    MonthFacts,
    ReportColumns,
    ReportFact,
    from_micros,
    in_micros,
    micros,
)
from .hours import WorkingHours
from .month import score_month, subdistrict_scores
from .repeats import RepeatIndex
from .results import (
    BreakdownFacts,
    CategoryScore,
    CommunityScore,
    Deduction,
    Indicators,
    ItemScore,
    MonthResult,
    SubdistrictScore,
)
from .rules import (
    TIE_BREAKS,
    TIE_BREAKS_ZH,
    category_applies,
    category_deduction,
    closed_by,
    count_due,
    field_score,
    is_due,
    is_field_report,
    item_deduction,
    rank_key,
    rectification_score,
    rectified_by,
    red_black_lists,
    repeat_window,
)

__all__ = [
    "APPEALED",
    "CLOSED",
    "NO_TIME",
    "SUSPENDED",
    "TIE_BREAKS",
    "TIE_BREAKS_ZH",
    "VOIDED",
    "BreakdownFacts",
    "CategoryScore",
    "CommunityFact",
    "CommunityScore",
    "Deduction",
    "Indicators",
    "ItemScore",
    "MonthFacts",
    "MonthResult",
    "RepeatIndex",
    "ReportColumns",
    "ReportFact",
    "SubdistrictScore",
    "WorkingHours",
    "category_applies",
    "category_deduction",
    "closed_by",
    "count_due",
    "field_score",
    "from_micros",
    "in_micros",
    "is_due",
    "is_field_report",
    "item_deduction",
    "micros",
    "rank_key",
    "rectification_score",
    "rectified_by",
    "red_black_lists",
    "repeat_sources",
    "repeat_window",
    "score_month",
    "subdistrict_scores",
    "working_seconds",
]
