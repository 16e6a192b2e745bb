"""Scoring rules, one test per rule, and properties over generated months (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldcheck.calendar import WorkCalendar, month_bounds
from fieldcheck.checklist.files import parse_checklist
from fieldcheck.scoring import (
    CommunityFact,
    Indicators,
    MonthFacts,
    ReportFact,
    WorkingHours,
    rank_key,
    rectification_score,
    score_month,
)

TZ = ZoneInfo("Asia/Shanghai")
MONTH = "2026-03"
START, END = month_bounds(MONTH, TZ)
NOW = datetime(2026, 4, 10, tzinfo=UTC)  # after the month: the reference time is the month's end

# Weights 50 + 30 + 20 = 100, field total 70: one weight point is worth 0.7 field points.
CHECKLIST_TEXT = """
label: unit
effective_month: "2026-01"
scoring:
  field_total: 70
  rectification_total: 30
  rectification: {on_time: 15, closure: 10, rework: 5}
  found_by: {third_party: 1.5, city: 1.5, district: 1.0, subdistrict: 0.5}
  repeat: {window_days: 30, radius_m: 50, multiplier: 2}
  red_list_size: 1
  black_list_size: 1
  black_list_below: 85
severity_deadlines: {S0: 2h, S1: 24h, S2: 3wd, S3: 7wd, S4: plan}
categories:
  - code: ENV
    name_zh: 环境卫生
    name_en: Sanitation
    weight: 50
    items:
      - {code: ENV-01, name_zh: 暴露垃圾, name_en: Rubbish, spot_types: [RES, ALY], severity: S1, points: 1, cap: 3}
      - {code: ENV-02, name_zh: 楼道, name_en: Stairwell, spot_types: [RES], severity: S1, points: 2, cap: 40}
  - code: ORD
    name_zh: 市容秩序
    name_en: Order
    weight: 30
    items:
      - {code: ORD-01, name_zh: 小广告, name_en: Flyers, spot_types: [RES, ALY], severity: S1, points: 5, cap: 25}
      - {code: ORD-02, name_zh: 占道, name_en: Vending, spot_types: [ALY], severity: S1, points: 5, cap: 25}
  - code: MKT
    name_zh: 农贸市场
    name_en: Markets
    weight: 20
    applies_only_to: [MKT]
    items:
      - {code: MKT-01, name_zh: 市场, name_en: Market, spot_types: [MKT], severity: S1, points: 1, cap: 5}
"""
CHECKLIST = parse_checklist(CHECKLIST_TEXT)

WITH_MARKET = CommunityFact(1, "C001", "甲", "SD01", "一街道", ("RES", "ALY", "MKT"))
NO_MARKET = CommunityFact(2, "C002", "乙", "SD01", "一街道", ("RES", "ALY"))
OTHER = CommunityFact(3, "C003", "丙", "SD02", "二街道", ("RES", "ALY", "MKT"))

_ids = iter(range(1, 10**9))


def at(day: int, hour: int = 10, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=TZ).astimezone(UTC)


def rep(community=WITH_MARKET, item="ENV-01", **kw) -> ReportFact:
    fields = {"status": "dispatched", "observed_at": at(10), "found_by": "district"}
    fields.update(kw)
    return ReportFact(
        id=kw.pop("id", None) or next(_ids),
        community_id=community.id if community else None,
        item_code=item,
        **{k: v for k, v in fields.items() if k != "id"},
    )


def score(reports, communities=(WITH_MARKET, NO_MARKET, OTHER), visited=(), now=NOW, checklist=CHECKLIST):
    facts = MonthFacts(MONTH, START, END, list(communities), list(reports), frozenset(visited))
    return score_month(checklist, facts, now, calendar=WorkCalendar(), tz=TZ)


def of(result, community=WITH_MARKET):
    return next(s for s in result.communities if s.community.code == community.code)


# --- field score -------------------------------------------------------------------------------------


def test_a_report_deducts_instances_times_points_scaled_to_the_field_total():
    s = of(score([rep(item="ENV-01", instances=2)]))
    # 2 × 1 point out of 100 weight points → 70 × 98/100 = 68.6; nothing due → rectification 30.
    assert s.field_score == Fraction("68.6")
    assert s.rectification_score == 30
    assert s.score == Fraction("98.6")
    assert s.deductions == Fraction("1.4")


@pytest.mark.parametrize(
    ("found_by", "expected"), [("third_party", "3"), ("city", "3"), ("district", "2"), ("subdistrict", "1")]
)
def test_who_found_it_multiplies_the_deduction(found_by, expected):
    s = of(score([rep(item="ENV-02", found_by=found_by)]))
    assert s.entries[0].amount == Decimal(expected)
    assert s.categories[0].deducted == Decimal(expected)


def test_an_item_never_deducts_more_than_its_cap():
    s = of(score([rep(item="ENV-01", instances=2), rep(item="ENV-01", instances=5)]))
    item = s.categories[0].items[0]
    assert (item.raw, item.cap, item.deducted) == (Decimal(7), Decimal(3), Decimal(3))
    assert s.field_score == Fraction(70) * 97 / 100


def test_a_category_never_loses_more_than_its_weight():
    # ORD-01 and ORD-02 each capped at 25, together 50, but ORD weighs 30 (扣完为止).
    s = of(score([rep(item="ORD-01", instances=9), rep(item="ORD-02", instances=9)]))
    ord_ = s.categories[1]
    assert ord_.raw == Decimal(50) and ord_.deducted == Decimal(30)
    assert s.field_score == Fraction(70) * 70 / 100


def test_a_community_without_a_market_is_scaled_up_to_the_field_total():
    s = of(score([rep(NO_MARKET, item="ENV-01", instances=2)]), NO_MARKET)
    assert not s.categories[2].applicable
    # Applicable weights 50 + 30 = 80: 70 × (80 − 2) / 80 = 68.25.
    assert s.field_score == Fraction("68.25")


def test_a_report_against_a_category_the_community_lacks_deducts_nothing_and_says_why():
    s = of(score([rep(NO_MARKET, item="MKT-01", instances=3)]), NO_MARKET)
    assert s.entries[0].excluded == "category_not_applicable"
    assert s.field_score == 70
    assert s.indicators.reports == 1 and s.inspected


def test_a_community_with_no_spot_types_recorded_is_scored_on_every_category():
    unknown = CommunityFact(9, "C009", "丁", "SD02", "二街道", ())
    s = of(score([rep(unknown, item="MKT-01")], communities=(unknown,)), unknown)
    assert s.categories[2].applicable and s.categories[2].deducted == 1


def test_an_item_missing_from_the_checklist_in_force_deducts_nothing_and_says_why():
    s = of(score([rep(item="XYZ-99")]))
    assert s.entries[0].excluded == "item_not_in_checklist"
    assert s.field_score == 70


def test_voided_and_unassigned_reports_are_not_scored():
    result = score([rep(item="ENV-02", status="voided"), rep(None, item="ENV-02", status="reported")])
    s = of(result)
    assert s.indicators.reports == 0 and not s.inspected and s.rank is None
    assert result.indicators.reports == 0


def test_the_month_is_the_citys_month():
    late_on_the_31st = datetime(2026, 3, 31, 23, 30, tzinfo=TZ).astimezone(UTC)
    early_on_the_1st = datetime(2026, 4, 1, 0, 30, tzinfo=TZ).astimezone(UTC)
    before_the_1st = datetime(2026, 3, 1, 0, 30, tzinfo=TZ).astimezone(UTC) - timedelta(hours=1)
    inside = rep(observed_at=late_on_the_31st)
    s = of(score([inside, rep(observed_at=early_on_the_1st), rep(observed_at=before_the_1st)]))
    assert [e.report_id for e in s.entries] == [inside.id]
    assert early_on_the_1st.day == 31  # still March in UTC, yet April in the city


# --- repeats (回潮) -----------------------------------------------------------------------------------


def closed_before(days_before: float, observed: datetime, **kw) -> ReportFact:
    closed_at = observed - timedelta(days=days_before)
    return rep(
        status="closed",
        observed_at=closed_at - timedelta(days=2),
        rectified_at=closed_at,
        closed_at=closed_at,
        **kw,
    )


def test_a_repeat_at_the_same_spot_within_the_window_counts_double():
    earlier = closed_before(10, at(20), item="ENV-02", spot_id=7)
    later = rep(item="ENV-02", spot_id=7, observed_at=at(20))
    s = of(score([earlier, later]))
    entry = next(e for e in s.entries if e.report_id == later.id)
    assert entry.repeat_of == earlier.id and entry.repeat_multiplier == 2 and entry.amount == 4
    assert s.indicators.repeats == 1


def test_a_repeat_within_the_radius_counts_double_and_one_beyond_it_does_not():
    base = (34.65, 112.40)
    metre = 1 / 111_195  # degrees of latitude per metre
    earlier = closed_before(5, at(20), item="ENV-02", lat=base[0], lon=base[1])
    near = rep(item="ENV-02", lat=base[0] + 45 * metre, lon=base[1], observed_at=at(20))
    far = rep(item="ENV-02", lat=base[0] + 55 * metre, lon=base[1], observed_at=at(20))
    s = of(score([earlier, near, far]))
    repeats = {e.report_id: e.repeat_of for e in s.entries}
    assert repeats[near.id] == earlier.id and repeats[far.id] is None


def test_no_repeat_outside_the_window_for_another_item_or_when_the_earlier_one_is_not_closed():
    observed = at(25)
    cases = [
        closed_before(31, observed, item="ENV-02", spot_id=7),  # closed 31 days before
        closed_before(3, observed, item="ENV-01", spot_id=7),  # another item
        rep(
            item="ENV-02", spot_id=7, status="rectified", observed_at=at(2), rectified_at=at(3)
        ),  # not closed
    ]
    later = rep(item="ENV-02", spot_id=7, observed_at=observed)
    s = of(score([*cases, later]))
    assert next(e for e in s.entries if e.report_id == later.id).repeat_of is None


def test_the_earlier_report_may_belong_to_an_earlier_month():
    earlier = rep(
        item="ENV-02", spot_id=7, status="closed", observed_at=at(20, month=2), closed_at=at(25, month=2)
    )
    later = rep(item="ENV-02", spot_id=7, observed_at=at(3))
    s = of(score([earlier, later]))
    assert s.indicators.reports == 1 and s.entries[0].repeat_of == earlier.id


# --- rectification -----------------------------------------------------------------------------------


def due(day: int, **kw) -> ReportFact:
    kw.setdefault("observed_at", at(day - 1))
    kw.setdefault("dispatched_at", at(day - 1))
    return rep(due_at=at(day), **kw)


def test_nothing_due_gives_full_rectification_marks():
    assert rectification_score(CHECKLIST, Indicators()) == 30


def test_rectification_weighs_on_time_closure_and_rework_rates():
    items = [
        due(5, status="closed", rectified_at=at(4), closed_at=at(6)),  # on time
        due(5, status="closed", rectified_at=at(6), closed_at=at(7), rework_count=1),  # late, reworked
        due(5, status="dispatched"),  # overdue open
        due(5, status="rectified", rectified_at=at(7)),  # awaiting verification: neither closed nor overdue
    ]
    s = of(score(items))
    ind = s.indicators
    assert (ind.due, ind.closed, ind.on_time, ind.overdue_open, ind.reached_verification, ind.rework) == (
        4,
        2,
        1,
        1,
        3,
        1,
    )
    # 15 × 1/4 + 10 × 2/4 + 5 × (1 − 1/3) = 3.75 + 5 + 10/3
    assert s.rectification_score == Fraction(15, 4) + 5 + Fraction(10, 3)


def test_suspended_items_and_items_not_yet_due_are_not_judged():
    now = at(15)
    s = of(score([due(5, status="suspended"), due(20, status="dispatched"), rep(item="ENV-01")], now=now))
    assert s.indicators.due == 0 and s.rectification_score == 30


def test_a_deadline_in_the_month_counts_even_for_an_item_observed_earlier():
    item = due(2, observed_at=at(25, month=2), dispatched_at=at(25, month=2), status="dispatched")
    s = of(score([item], visited=[WITH_MARKET.id]))
    assert s.indicators.due == 1 and s.indicators.overdue_open == 1 and s.indicators.reports == 0


def test_closure_after_the_month_end_does_not_count_for_the_month():
    item = due(30, status="closed", rectified_at=at(29), closed_at=at(2, month=4))
    s = of(score([item]))
    assert (s.indicators.closed, s.indicators.on_time, s.indicators.overdue_open) == (0, 0, 0)


def test_an_item_returned_after_its_last_rectification_is_overdue_again():
    returned = due(20, status="dispatched", rectified_at=at(12), dispatched_at=at(14), rework_count=1)
    s = of(score([returned]))
    assert s.indicators.overdue_open == 1 and s.indicators.rework == 1


def test_an_item_under_appeal_is_not_overdue():
    s = of(score([due(5, status="appealed")]))
    assert s.indicators.due == 1 and s.indicators.overdue_open == 0


def test_working_hours_skip_weekends_and_holidays():
    hours = WorkingHours(WorkCalendar(), TZ)
    friday_16h = datetime(2026, 3, 6, 16, tzinfo=TZ)
    monday_10h = datetime(2026, 3, 9, 10, tzinfo=TZ)
    assert hours(friday_16h, monday_10h) == (8 + 10) * 3600
    assert hours(friday_16h, friday_16h + timedelta(hours=3)) == 3 * 3600
    holiday = WorkingHours(WorkCalendar(holidays=frozenset({datetime(2026, 3, 9).date()})), TZ)
    assert holiday(friday_16h, monday_10h) == 8 * 3600


def test_mean_time_to_rectify_is_in_working_hours():
    friday_16h = datetime(2026, 3, 6, 16, tzinfo=TZ).astimezone(UTC)
    monday_10h = datetime(2026, 3, 9, 10, tzinfo=TZ).astimezone(UTC)
    item = due(5, dispatched_at=friday_16h, status="rectified", rectified_at=monday_10h)
    assert of(score([item])).indicators.mean_hours_to_rectify == 18


# --- coverage, ranking, sub-districts, lists -----------------------------------------------------------


def test_a_community_with_no_report_and_no_visit_is_not_inspected_and_not_ranked():
    result = score([rep(item="ENV-01")], visited=[NO_MARKET.id])
    assert of(result).rank == 2
    # Visited, nothing found: inspected, full marks, ranked first.
    assert (
        of(result, NO_MARKET).inspected
        and of(result, NO_MARKET).score == 100
        and of(result, NO_MARKET).rank == 1
    )
    other = of(result, OTHER)
    assert not other.inspected and other.rank is None and other.score is None and other.field_score is None
    assert result.coverage == (2, 3)
    assert [s.community.code for s in result.communities] == ["C002", "C001", "C003"]


def key(score_, code="C001", **kw):
    ind = Indicators(**kw)
    return rank_key(Fraction(score_), ind, code)


def test_ties_go_to_fewer_overdue_then_higher_on_time_rate_then_fewer_reports_then_code():
    assert key(90) < key(89)
    assert key(90, due=2, overdue_open=0) < key(90, due=2, overdue_open=1)
    assert key(90, due=2, on_time=2) < key(90, due=2, on_time=1)
    assert key(90) < key(90, due=2, on_time=1)  # nothing due counts as 100 % on time
    assert key(90, reports=1) < key(90, reports=2)
    assert key(90, code="C001") < key(90, code="C002")


def test_sub_district_score_is_the_mean_of_its_inspected_communities():
    result = score([rep(item="ENV-02", instances=5), rep(NO_MARKET, item="ENV-01")])
    sd01 = next(s for s in result.subdistricts if s.code == "SD01")
    mean = (of(result).score + of(result, NO_MARKET).score) / 2
    assert sd01.score == mean and sd01.rank == 1 and sd01.inspected == 2
    sd02 = next(s for s in result.subdistricts if s.code == "SD02")
    assert sd02.score is None and sd02.rank is None


def test_red_and_black_lists():
    result = score(
        [
            rep(item="ORD-01", instances=5),
            rep(NO_MARKET, item="ENV-01"),
            rep(OTHER, item="ENV-01", instances=2),
        ]
    )
    # C001 loses 25 of 100 weight points: 52.5 + 30 = 82.5 < 85 → black whatever its rank.
    assert result.red_list == ["C002"]
    assert result.black_list == ["C001"]
    # With one below the threshold and black_list_size 1, the bottom one is that same community.
    ok = score([rep(NO_MARKET, item="ENV-01"), rep(OTHER, item="ENV-01", instances=2)])
    assert ok.red_list == ["C002"] and ok.black_list == ["C003"]


# --- properties ----------------------------------------------------------------------------------------

ITEMS = ("ENV-01", "ENV-02", "ORD-01", "ORD-02", "MKT-01", "NOP-01")
COMMUNITIES = (WITH_MARKET, NO_MARKET, OTHER)
STATUSES = ("dispatched", "rectified", "closed", "voided", "appealed", "suspended")
MOMENTS = st.integers(min_value=-40 * 24, max_value=40 * 24).map(lambda h: START + timedelta(hours=h))


@st.composite
def reports(draw, statuses=STATUSES):
    observed = draw(MOMENTS)
    status = draw(st.sampled_from(statuses))
    dispatched = observed
    due_at = draw(st.one_of(st.none(), st.integers(1, 30 * 24).map(lambda h: observed + timedelta(hours=h))))
    rectified = draw(
        st.one_of(st.none(), st.integers(1, 30 * 24).map(lambda h: observed + timedelta(hours=h)))
    )
    closed = (
        rectified + timedelta(hours=draw(st.integers(1, 48))) if status == "closed" and rectified else None
    )
    if status == "closed" and closed is None:
        status = "dispatched"
    return ReportFact(
        id=draw(st.integers(1, 10**6)),
        community_id=draw(st.sampled_from(COMMUNITIES)).id,
        item_code=draw(st.sampled_from(ITEMS)),
        status=status,
        observed_at=observed,
        instances=draw(st.integers(1, 6)),
        found_by=draw(st.sampled_from(("third_party", "city", "district", "subdistrict"))),
        spot_id=draw(st.one_of(st.none(), st.integers(1, 3))),
        lat=34.65 + draw(st.integers(0, 3)) * 0.0003,
        lon=112.40,
        dispatched_at=dispatched,
        due_at=due_at,
        rectified_at=rectified,
        closed_at=closed,
        rework_count=draw(st.integers(0, 2)),
    )


def unique(rs):
    seen, out = set(), []
    for r in rs:
        if r.id not in seen:
            seen.add(r.id)
            out.append(r)
    return out


MONTHS = st.lists(reports(), max_size=25).map(unique)
NOT_DUE = reports(statuses=("dispatched", "rectified", "closed", "appealed")).map(
    lambda r: r._replace(due_at=None)
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW_IN_MONTH = st.sampled_from([START + timedelta(days=12), NOW])


@SETTINGS
@given(MONTHS, NOW_IN_MONTH)
def test_scores_stay_within_zero_and_the_total_and_caps_hold(rs, now):
    for s in score(rs, now=now).communities:
        assert 0 <= s.rectification_score <= 30
        if s.inspected:
            assert 0 <= s.field_score <= 70 and 0 <= s.score <= 100
            # Independently of the breakdown: the field points lost are bounded by the caps of the items
            # reported, each category by its weight, scaled over the applicable categories.
            reported = {e.item_code for e in s.entries if e.excluded is None}
            bounds, weights = Fraction(0), Fraction(0)
            for category in CHECKLIST.categories:
                if category.code == "MKT" and "MKT" not in s.community.spot_types:
                    continue
                caps = sum((i.cap for i in category.items if i.code in reported), Decimal(0))
                bounds += Fraction(min(caps, category.weight))
                weights += Fraction(category.weight)
            assert s.deductions <= 70 * bounds / weights
        for category in s.categories:
            assert 0 <= category.deducted <= category.weight
            for item in category.items:
                assert item.deducted <= item.cap


@SETTINGS
@given(MONTHS, reports(statuses=("dispatched", "rectified", "closed", "appealed", "suspended")), NOW_IN_MONTH)
def test_adding_a_report_never_raises_a_field_score(rs, extra, now):
    extra = extra._replace(id=10**7)
    before, after = score(rs, now=now), score([*rs, extra], now=now)
    for b, a in zip(before.communities_by_code(), after.communities_by_code(), strict=True):
        if b.inspected:
            assert a.field_score <= b.field_score


@SETTINGS
@given(MONTHS, NOT_DUE, NOW_IN_MONTH)
def test_adding_a_report_not_due_in_the_month_never_raises_a_score(rs, extra, now):
    extra = extra._replace(id=10**7)
    before, after = score(rs, now=now), score([*rs, extra], now=now)
    for b, a in zip(before.communities_by_code(), after.communities_by_code(), strict=True):
        if b.inspected:
            assert a.score <= b.score


@SETTINGS
@given(MONTHS.filter(bool), st.data(), NOW_IN_MONTH)
def test_voiding_a_report_never_lowers_a_field_score_nor_a_score_when_it_was_not_due(rs, data, now):
    victim = data.draw(st.sampled_from(rs))
    voided = [r._replace(status="voided") if r.id == victim.id else r for r in rs]
    before, after = score(rs, now=now), score(voided, now=now)
    was_due = (
        victim.due_at is not None and START <= victim.due_at < min(now, END) and victim.status != "suspended"
    )
    for b, a in zip(before.communities_by_code(), after.communities_by_code(), strict=True):
        if a.inspected:
            assert a.field_score >= b.field_score
            if not was_due:
                assert a.score >= b.score


def test_closing_an_item_on_time_can_raise_a_score_which_is_why_the_properties_above_exclude_due_items():
    overdue = due(5, status="dispatched", item="NOP-01")
    on_time = due(5, status="closed", rectified_at=at(4), closed_at=at(4, 12), item="ENV-01")
    before, after = of(score([overdue])), of(score([overdue, on_time]))
    assert after.score > before.score  # one more item closed on time outweighs a 0.7-point deduction


@SETTINGS
@given(MONTHS, st.randoms(use_true_random=False))
def test_the_ranking_is_a_total_order_independent_of_input_order(rs, rnd):
    shuffled = list(rs)
    rnd.shuffle(shuffled)
    communities = list(COMMUNITIES)
    rnd.shuffle(communities)
    a, b = score(rs), score(shuffled, communities=communities)
    assert [(s.community.code, s.rank, s.score) for s in a.communities] == [
        (s.community.code, s.rank, s.score) for s in b.communities
    ]
    ranks = [s.rank for s in a.communities if s.inspected]
    assert ranks == list(range(1, len(ranks) + 1))
    keys = [rank_key(s.score, s.indicators, s.community.code) for s in a.communities if s.inspected]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


# --- the fast path against the rules applied one report at a time --------------------------------------

# Points, multipliers, caps and weights with awkward cents, so the integer units must be exact.
FRACTIONAL = parse_checklist(
    CHECKLIST_TEXT.replace("label: unit", "label: fractional")
    .replace(
        "{third_party: 1.5, city: 1.5, district: 1.0, subdistrict: 0.5}",
        "{third_party: 1.37, city: 1.25, district: 0.99, subdistrict: 0.33}",
    )
    .replace("multiplier: 2}", "multiplier: 1.75}")
    .replace("points: 1, cap: 3}", "points: 0.33, cap: 2.97}")
    .replace("points: 5, cap: 25}", "points: 1.07, cap: 3.13}")
    .replace("weight: 30", "weight: 29.99")
)


def eager(checklist, rs, now=NOW):
    """Each community's entries, categories and field score the plain way: every report through
    RepeatIndex.earlier, Decimal amounts, item_deduction, category_deduction and field_score."""
    from fieldcheck.scoring import (
        Deduction,
        RepeatIndex,
        category_applies,
        category_deduction,
        field_score,
        is_field_report,
        item_deduction,
    )

    index = RepeatIndex(rs, float(checklist.repeat.radius_m), timedelta(days=checklist.repeat.window_days))
    items = {i.code: (i, c) for c in checklist.categories for i in c.items}
    out = {}
    for community in COMMUNITIES:
        entries = []
        for r in sorted(
            (r for r in rs if r.community_id == community.id and is_field_report(r, START, END)),
            key=lambda r: r.id,
        ):
            multiplier = checklist.found_by.get(r.found_by, Decimal(1))
            if r.item_code not in items:
                entries.append(
                    Deduction(
                        r.id,
                        community.id,
                        r.item_code,
                        None,
                        r.instances,
                        Decimal(0),
                        r.found_by,
                        multiplier,
                        None,
                        Decimal(1),
                        Decimal(0),
                        "item_not_in_checklist",
                    )
                )
                continue
            item, category = items[r.item_code]
            repeat_of = index.earlier(r)
            rmult = checklist.repeat.multiplier if repeat_of is not None else Decimal(1)
            applies = category_applies(category.spot_types, community.spot_types)
            entries.append(
                Deduction(
                    r.id,
                    community.id,
                    r.item_code,
                    category.code,
                    r.instances,
                    item.points,
                    r.found_by,
                    multiplier,
                    repeat_of,
                    rmult,
                    item.points * multiplier * r.instances * rmult,
                    None if applies else "category_not_applicable",
                )
            )
        categories = []
        for category in checklist.categories:
            applies = category_applies(category.spot_types, community.spot_types)
            capped = [
                item_deduction(
                    sum(e.amount for e in entries if e.item_code == i.code and e.excluded is None), i.cap
                )
                for i in category.items
                if any(e.item_code == i.code and e.excluded is None for e in entries)
            ]
            raw = sum(capped, Decimal(0))
            categories.append(
                (category.code, applies, raw, category_deduction(raw, category.weight) if applies else 0)
            )
        field = field_score(
            checklist.field_total,
            [
                (c.weight, d)
                for c, (_code, applies, _raw, d) in zip(checklist.categories, categories, strict=True)
                if applies
            ],
        )
        out[community.code] = (entries, categories, field)
    return out


@pytest.mark.parametrize("checklist", [CHECKLIST, FRACTIONAL], ids=["whole", "fractional"])
@SETTINGS
@given(rs=MONTHS)
def test_scores_and_breakdowns_equal_the_rules_applied_one_report_at_a_time(checklist, rs):
    result = score(rs, checklist=checklist)
    expected = eager(checklist, rs)
    # Read the breakdowns in an order of their own, after the scores: they are built on first read.
    for s in reversed(result.communities):
        entries, categories, field = expected[s.community.code]
        assert list(s.entries) == entries
        assert [(c.code, c.applicable, c.raw, c.deducted) for c in s.categories] == categories
        if s.inspected:
            assert s.field_score == field and s.deductions == Fraction(checklist.field_total) - field
        assert s.indicators.repeats == sum(1 for e in entries if e.repeat_of is not None)


@SETTINGS
@given(MONTHS, NOW_IN_MONTH)
def test_plain_tuples_score_like_report_facts(rs, now):
    """The loader passes rows as plain tuples in ReportFact's field order."""
    a, b = score(rs, now=now), score([tuple(r) for r in rs], now=now)
    assert [
        (s.community.code, s.rank, s.score, s.field_score, s.rectification_score, s.indicators)
        for s in a.communities
    ] == [
        (s.community.code, s.rank, s.score, s.field_score, s.rectification_score, s.indicators)
        for s in b.communities
    ]
    assert [list(s.entries) for s in a.communities] == [list(s.entries) for s in b.communities]
    assert [s.categories for s in a.communities] == [s.categories for s in b.communities]


@SETTINGS
@given(st.lists(st.tuples(st.integers(1, 10_000), st.integers(0, 12_000)), max_size=8), st.integers(1, 10**6))
def test_the_field_score_is_the_same_in_any_unit(pairs, scale):
    """score_month applies field_score to weights and deductions in integer units of the checklist
    (1/scale point); the breakdown and the rules' tests to Decimals: both give the same score."""
    from fieldcheck.scoring import category_deduction, field_score

    in_points = [(Decimal(w) / 100, category_deduction(Decimal(d) / 100, Decimal(w) / 100)) for w, d in pairs]
    in_units = [(w * scale, category_deduction(d * scale, w * scale)) for w, d in pairs]
    assert field_score(CHECKLIST.field_total, in_units) == field_score(CHECKLIST.field_total, in_points)
    assert 0 <= field_score(CHECKLIST.field_total, in_points) <= 70
