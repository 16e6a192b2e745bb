"""The array searches (numpy) equal the plain ones: ``find_repeats`` equals ``RepeatIndex.earlier``,
``working_seconds`` equals ``WorkingHours``, and a month scored with its timestamps in microseconds (what
the loader passes) equals the same month scored with datetimes, on generated data and at the edges:
exactly ``radius_m`` apart (to the last bit of ``geo.distance_m``), closed exactly ``window_days`` before,
at the moment observed or a microsecond after, reports either side of the city's month and day boundaries,
holidays, make-up working days and a zone with daylight saving time."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldcheck.calendar import WorkCalendar
from fieldcheck.checklist.files import parse_checklist
from fieldcheck.geo import distance_m
from fieldcheck.scoring import (
    Indicators,
    MonthFacts,
    RepeatIndex,
    ReportColumns,
    ReportFact,
    WorkingHours,
    arrays,
    from_micros,
    in_micros,
    micros,
    repeat_sources,
    rules,
    score_month,
    working_seconds,
)
from fieldcheck.scoring.arrays import tally_columns
from fieldcheck.scoring.points import Points
from fieldcheck.scoring.tally import tally_plain
from tests.unit.test_scoring import (
    CHECKLIST,
    CHECKLIST_TEXT,
    COMMUNITIES,
    END,
    FRACTIONAL,
    MONTH,
    MONTHS,
    NOW,
    NOW_IN_MONTH,
    SETTINGS,
    START,
    TZ,
)

RADIUS = float(CHECKLIST.repeat.radius_m)
WINDOW = timedelta(days=CHECKLIST.repeat.window_days)
WINDOW_US = WINDOW // timedelta(microseconds=1)
LAT0, LON0 = 34.65, 112.40


def _edge_offset() -> float:
    """The largest northward step (degrees) from (LAT0, LON0) still within RADIUS by geo.distance_m."""
    low, high = 0.0, 0.001
    while math.nextafter(low, high) < high:
        mid = (low + high) / 2
        if mid in (low, high):
            break
        low, high = (mid, high) if distance_m(LAT0, LON0, LAT0 + mid, LON0) <= RADIUS else (low, mid)
    return low


EDGE = _edge_offset()
# Positions: the origin, exactly the radius north of it and the next float beyond, a point 30 m east,
# one far away, and none.
POSITIONS = [
    (LAT0, LON0),
    (LAT0 + EDGE, LON0),
    (LAT0 + math.nextafter(EDGE, 1.0), LON0),
    (LAT0, LON0 + 30 / (111_195 * math.cos(math.radians(LAT0)))),
    (LAT0 + 0.01, LON0),
    (None, None),
]
# Observed moments: either side of the city's month start and end, midday in the month.
OBSERVED = [
    START - timedelta(microseconds=1),
    START,
    START + timedelta(days=9, hours=3, microseconds=17),
    END - timedelta(microseconds=1),
    END,
]
# Closings relative to an observed moment: exactly the window before and a microsecond earlier, at the
# moment and a microsecond after, in between.
CLOSED_OFFSETS = [
    -WINDOW,
    -WINDOW - timedelta(microseconds=1),
    timedelta(0),
    timedelta(microseconds=1),
    -timedelta(days=3, seconds=5),
]


def test_the_edge_positions_straddle_the_radius():
    assert distance_m(LAT0, LON0, *POSITIONS[1]) <= RADIUS < distance_m(LAT0, LON0, *POSITIONS[2])


@st.composite
def edge_reports(draw):
    observed = draw(st.sampled_from(OBSERVED))
    lat, lon = draw(st.sampled_from(POSITIONS))
    status = draw(
        st.sampled_from(("closed", "closed", "dispatched", "rectified", "voided", "appealed", "suspended"))
    )
    closed = None
    if status == "closed" and draw(st.booleans()):
        closed = draw(st.sampled_from(OBSERVED)) + draw(st.sampled_from(CLOSED_OFFSETS))
    # Deadlines at the in-month reference time or the month's last microsecond; rectified exactly at the
    # deadline or a microsecond either side, before the latest dispatch (returned) or not at all.
    due = draw(
        st.sampled_from(
            [None, observed + timedelta(hours=2), START + timedelta(days=12), END - timedelta(microseconds=1)]
        )
    )
    dispatched = draw(st.sampled_from([None, observed, observed + timedelta(hours=1)]))
    one = timedelta(microseconds=1)
    anchors = [a for a in (due, dispatched, closed) if a is not None]
    rectified = (
        draw(
            st.one_of(
                st.none(), st.sampled_from(anchors).flatmap(lambda a: st.sampled_from([a - one, a, a + one]))
            )
        )
        if anchors
        else None
    )
    return ReportFact(
        id=draw(st.integers(1, 60)),
        community_id=draw(st.sampled_from([c.id for c in COMMUNITIES] + [None])),
        item_code=draw(st.sampled_from(("ENV-01", "ORD-01", "NOP-01"))),
        status=status,
        observed_at=observed,
        instances=draw(st.integers(1, 3)),
        found_by=draw(st.sampled_from(("city", "district"))),
        spot_id=draw(st.one_of(st.none(), st.integers(1, 2))),
        lat=lat,
        lon=lon,
        dispatched_at=dispatched,
        due_at=due,
        rectified_at=rectified,
        closed_at=closed,
        rework_count=draw(st.integers(0, 1)),
    )


EDGE_MONTHS = st.lists(edge_reports(), max_size=30, unique_by=lambda r: r.id)


def _asked(rs):
    return [
        r for r in rs if r.community_id is not None and r.status != "voided" and START <= r.observed_at < END
    ]


def find_repeats(rows, asked_at, radius=RADIUS, window_us=WINDOW_US):
    """``repeat_sources`` of the rows at positions ``asked_at`` among ``rows`` (timestamps in microseconds),
    every item code one int: report id → its source's id, or None (see ``repeat_sources``)."""
    columns = ReportColumns.from_rows(rows)
    asked_at = np.array(asked_at, dtype=np.int64)
    item = columns.item_in({code: k for k, code in enumerate(sorted(set(columns.item_codes)))})
    found = repeat_sources(columns, asked_at, item, radius, window_us)
    if found is None:
        return None
    at, sources = found
    return dict(zip(columns.id[asked_at[at]].tolist(), sources.tolist(), strict=True))


@SETTINGS
@given(st.one_of(EDGE_MONTHS, MONTHS))
def test_find_repeats_equals_repeat_index(rs):
    index = RepeatIndex(rs, RADIUS, WINDOW)
    expected = {r.id: index.earlier(r) for r in _asked(rs)}
    facts = in_micros(MonthFacts(MONTH, START, END, COMMUNITIES, rs))
    rows = facts.reports
    asked = [
        k
        for k, row in enumerate(rows)
        if row[1] is not None and row[3] != "voided" and micros(START) <= row[4] < micros(END)
    ]
    found = find_repeats(rows, asked)
    assert {rid: found.get(rid) for rid in expected} == expected
    assert set(found) <= set(expected)


def test_a_closing_exactly_the_window_before_and_exactly_the_radius_away_counts():
    observed = START + timedelta(days=10)
    earlier = ReportFact(
        1,
        1,
        "ENV-01",
        "closed",
        observed - WINDOW - timedelta(days=1),
        lat=POSITIONS[1][0],
        lon=POSITIONS[1][1],
        closed_at=observed - WINDOW,
    )
    beyond = earlier._replace(id=2, lat=POSITIONS[2][0])
    late = earlier._replace(id=3, closed_at=observed + timedelta(microseconds=1))
    report = ReportFact(4, 1, "ENV-01", "dispatched", observed, lat=LAT0, lon=LON0)
    rows = in_micros(MonthFacts(MONTH, START, END, COMMUNITIES, [earlier, beyond, late, report])).reports
    assert find_repeats(rows, [3]) == {4: 1}
    assert RepeatIndex([earlier, beyond, late, report], RADIUS, WINDOW).earlier(report) == 1


# Working hours: March-April 2026 with a holiday on a Monday and a make-up working Saturday, in the city's
# zone; and a zone whose clocks change (New York, 8 March 2026), where local days are 23 and 25 hours long.
CALENDAR = WorkCalendar(
    holidays=frozenset({date(2026, 3, 9), date(2026, 4, 6)}),
    workdays=frozenset({date(2026, 3, 14)}),
    loaded_years=frozenset({2026}),
)
MOMENT = st.integers(min_value=0, max_value=50 * 86400 * 10**6).map(
    lambda us: datetime(2026, 2, 25, tzinfo=UTC) + timedelta(microseconds=us)
)
BOUNDARY = st.sampled_from(
    [
        datetime(2026, 3, d, h, tzinfo=TZ).astimezone(UTC) + timedelta(microseconds=e)
        for d in (8, 9, 10, 13, 14, 15)
        for h in (0, 23)
        for e in (-1, 0, 1)
    ]
)


@SETTINGS
@given(
    st.lists(st.tuples(st.one_of(MOMENT, BOUNDARY), st.one_of(MOMENT, BOUNDARY)), max_size=40),
    st.sampled_from([TZ, ZoneInfo("America/New_York"), UTC]),
)
def test_working_seconds_equal_working_hours(pairs, tz):
    pairs = [(min(a, b), max(a, b)) for a, b in pairs]
    plain = WorkingHours(CALENDAR, tz)
    expected = [plain(a, b) for a, b in pairs]

    assert (
        working_seconds(CALENDAR, tz, [micros(a) for a, _ in pairs], [micros(b) for _, b in pairs]).tolist()
        == expected
    )


def test_microseconds_round_trip():
    for moment in (
        START,
        END - timedelta(microseconds=1),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ):
        assert from_micros(micros(moment)) == moment
    assert micros(None) is None and from_micros(None) is None


@SETTINGS
@given(st.one_of(EDGE_MONTHS, MONTHS))
def test_report_columns_give_back_the_rows_they_were_made_from(rs):
    """Columns (what the loader makes) hold every value of every row: row i comes back as the same plain
    tuple, None where a value is missing, whatever the statuses, finders and items."""
    rows = [tuple(r) for r in in_micros(MonthFacts(MONTH, START, END, [], rs)).reports]
    columns = ReportColumns.from_rows(rows)
    assert len(columns) == len(rows) and list(columns) == rows
    assert [columns[i] for i in range(len(rows))] == rows
    for got, want in zip(columns, rows, strict=True):
        assert [type(v) for v in got] == [type(v) for v in want]


def _summary(result):
    """What both paths must give alike; the breakdown facts of every community at once (over arrays on the
    array path, one community at a time on the other) are compared by digest."""
    return (
        result.breakdown_facts().digest(),
        result.reference,
        [
            (
                s.community.code,
                s.rank,
                s.inspected,
                s.score,
                s.field_score,
                s.rectification_score,
                s.deductions,
                s.indicators,
                list(s.entries),
                s.categories,
            )
            for s in result.communities
        ],
        [(s.code, s.rank, s.score, s.indicators) for s in result.subdistricts],
        result.red_list,
        result.black_list,
        result.indicators,
        result.coverage,
    )


@SETTINGS
@given(st.one_of(EDGE_MONTHS, MONTHS), NOW_IN_MONTH, st.sampled_from([WorkCalendar(), CALENDAR, None]))
def test_a_month_in_microseconds_scores_like_the_month_in_datetimes(rs, now, calendar):
    facts = MonthFacts(MONTH, START, END, list(COMMUNITIES), rs, frozenset({3}))
    plain = score_month(CHECKLIST, facts, now, calendar=calendar, tz=TZ)
    arrays = score_month(CHECKLIST, in_micros(facts), now, calendar=calendar, tz=TZ)
    assert _summary(arrays) == _summary(plain)


def test_the_bench_like_month_scores_alike_at_both_reference_times():
    """A denser month than hypothesis draws: 3,000 reports on a few spots and positions."""
    import random

    rng = random.Random(5)
    rows = []
    for i in range(1, 3001):
        observed = START + timedelta(seconds=rng.uniform(-20 * 86400, 32 * 86400))
        status = rng.choice(
            ("closed", "closed", "dispatched", "rectified", "voided", "appealed", "suspended")
        )
        rectified = (
            observed + timedelta(hours=rng.uniform(1, 200)) if status in ("closed", "rectified") else None
        )
        closed = rectified + timedelta(hours=rng.uniform(1, 48)) if status == "closed" else None
        lat, lon = (
            (None, None)
            if rng.random() < 0.1
            else (LAT0 + rng.uniform(0, 0.003), LON0 + rng.uniform(0, 0.003))
        )
        rows.append(
            ReportFact(
                i,
                rng.choice(COMMUNITIES).id,
                rng.choice(("ENV-01", "ENV-02", "ORD-01", "MKT-01")),
                status,
                observed,
                rng.randint(1, 3),
                rng.choice(("city", "district", "subdistrict")),
                rng.choice((None, 1, 2, 3)),
                lat,
                lon,
                observed,
                observed + timedelta(hours=rng.choice((2, 24, 72))),
                rectified,
                closed,
                rng.randint(0, 1),
            )
        )
    facts = MonthFacts(MONTH, START, END, list(COMMUNITIES), rows)
    for now in (START + timedelta(days=12), NOW):
        plain = score_month(CHECKLIST, facts, now, calendar=CALENDAR, tz=TZ)
        arrays = score_month(CHECKLIST, in_micros(facts), now, calendar=CALENDAR, tz=TZ)
        assert _summary(arrays) == _summary(plain)
        assert sum(s.indicators.repeats for s in plain.communities) > 50


def test_closings_at_the_same_moment_go_to_the_lowest_id_on_both_paths():
    observed = START + timedelta(days=10)
    closed_at = observed - timedelta(days=2)
    rows = [
        ReportFact(9, 1, "ENV-01", "closed", closed_at, spot_id=1, closed_at=closed_at),  # same spot
        ReportFact(
            5, 1, "ENV-01", "closed", closed_at, lat=LAT0, lon=LON0, closed_at=closed_at
        ),  # same place
        ReportFact(7, 1, "ENV-01", "closed", closed_at, spot_id=1, lat=LAT0, lon=LON0, closed_at=closed_at),
        ReportFact(20, 1, "ENV-01", "dispatched", observed, spot_id=1, lat=LAT0, lon=LON0),
        ReportFact(21, 1, "ENV-01", "dispatched", observed, spot_id=1),
    ]
    micro = in_micros(MonthFacts(MONTH, START, END, COMMUNITIES, rows)).reports
    index = RepeatIndex(rows, RADIUS, WINDOW)
    assert [index.earlier(r) for r in rows[3:]] == [5, 7]
    assert find_repeats(micro, [3, 4]) == {20: 5, 21: 7}


def test_working_seconds_across_a_half_hour_clock_change():
    """Lord Howe Island moves its clocks by 30 minutes at 15:30 UTC on 3 October 2026: an hour of UTC in
    which the offset changes, computed the plain way. (It is 02:00 on Sunday there: a make-up working day.)"""
    tz = ZoneInfo("Australia/Lord_Howe")
    calendar = WorkCalendar(workdays=frozenset({date(2026, 10, 4)}))
    change = datetime(2026, 10, 3, 15, 30, tzinfo=UTC)
    assert (change - timedelta(seconds=1)).astimezone(tz).utcoffset() != change.astimezone(tz).utcoffset()
    moments = [
        change + timedelta(minutes=m, microseconds=u)
        for m in (-90, -31, -30, -1, 0, 1, 29, 30, 600, 3000)
        for u in (-1, 0, 1)
    ]
    pairs = [(a, b) for a in moments for b in moments if a <= b]
    plain = WorkingHours(calendar, tz)
    assert working_seconds(
        calendar, tz, [micros(a) for a, _ in pairs], [micros(b) for _, b in pairs]
    ).tolist() == [plain(a, b) for a, b in pairs]


def test_when_the_cells_would_not_fit_in_64_bits_the_month_is_scored_the_plain_way(monkeypatch):
    observed = START + timedelta(days=10)
    rows = [
        ReportFact(
            1,
            1,
            "ENV-01",
            "closed",
            observed - timedelta(days=3),
            spot_id=1,
            dispatched_at=observed,
            due_at=observed,
            rectified_at=observed + timedelta(hours=1),
            closed_at=observed - timedelta(days=2),
        ),
        ReportFact(
            2,
            1,
            "ENV-01",
            "dispatched",
            observed,
            spot_id=1,
            dispatched_at=observed,
            due_at=observed + timedelta(days=1),
            rectified_at=observed + timedelta(hours=30),
        ),
    ]
    facts = MonthFacts(MONTH, START, END, list(COMMUNITIES), rows)
    plain = score_month(CHECKLIST, facts, NOW, calendar=CALENDAR, tz=TZ)
    monkeypatch.setattr(arrays, "_search", lambda *args: None)
    over_arrays = score_month(CHECKLIST, in_micros(facts), NOW, calendar=CALENDAR, tz=TZ)
    assert _summary(over_arrays) == _summary(plain) and plain.communities[0].indicators.repeats == 1
    assert find_repeats(in_micros(facts).reports, [1]) is None


def test_the_facts_of_every_community_at_once_are_each_communitys_facts():
    """``MonthResult.breakdown_facts`` (columns, over arrays) holds exactly what each community's
    ``breakdown_facts`` gives, and its digest moves when one fact does."""
    import random

    from fieldcheck.scoring import BreakdownFacts

    rng = random.Random(11)
    rows = [
        ReportFact(
            i,
            rng.choice(COMMUNITIES).id,
            rng.choice(("ENV-01", "ENV-02", "ORD-01", "MKT-01", "GONE-1")),
            "closed",
            START + timedelta(hours=i),
            rng.randint(1, 3),
            rng.choice(("city", "district")),
            rng.choice((None, 1)),
            LAT0,
            LON0,
            START + timedelta(hours=i),
            START + timedelta(hours=i + 2),
            START + timedelta(hours=i + 1),
            START + timedelta(hours=i + 1, minutes=30),
            0,
        )
        for i in range(1, 400)
    ]
    result = score_month(
        CHECKLIST, in_micros(MonthFacts(MONTH, START, END, list(COMMUNITIES), rows)), NOW, tz=TZ
    )
    at_once = result.breakdown_facts()
    one_by_one = BreakdownFacts.from_rows(
        {s.community.code: s.breakdown_facts()[0] for s in result.communities},
        {s.community.code: s.breakdown_facts()[1] for s in result.communities},
    )
    assert at_once.codes == one_by_one.codes and at_once.not_applicable == one_by_one.not_applicable
    assert (at_once.item_codes, at_once.finders) == (one_by_one.item_codes, one_by_one.finders)
    assert at_once.columns.tolist() == one_by_one.columns.tolist() and at_once.columns.shape[1] > 300
    excluded = set(at_once.columns[6].tolist())
    assert {0, BreakdownFacts.EXCLUSIONS.index("item_not_in_checklist")} <= excluded
    assert (at_once.columns[5] >= 0).any()  # some repeats
    assert at_once.digest() == one_by_one.digest()
    changed = BreakdownFacts(
        at_once.codes, at_once.not_applicable, at_once.item_codes, at_once.finders, at_once.columns.copy()
    )
    changed.columns[3, 0] += 1
    assert changed.digest() != at_once.digest()


# --- each rule over arrays equals the rule, report by report -------------------------------------------


def _both(rs):
    """The reports as columns (timestamps in microseconds, what the array rules read) and as ReportFacts
    (datetimes, what the rules read)."""
    return ReportColumns.from_rows(in_micros(MonthFacts(MONTH, START, END, [], rs)).reports), list(rs)


# Two moments in the month: every timestamp of a clustered report is one of them, a microsecond either side
# or missing, so deadlines, rectifications, dispatches, closings and the reference time often coincide or
# miss each other by a microsecond.
CLUSTER = [START + timedelta(days=5), START + timedelta(days=6)]


@st.composite
def clustered_reports(draw):
    base = draw(st.sampled_from(CLUSTER))

    def moment():
        offset = draw(st.sampled_from([0, -1, 1, None]))
        return None if offset is None else base + timedelta(microseconds=offset)

    lat, lon = draw(st.sampled_from(POSITIONS))
    return ReportFact(
        id=draw(st.integers(1, 60)),
        community_id=draw(st.sampled_from([c.id for c in COMMUNITIES] + [None])),
        item_code=draw(st.sampled_from(("ENV-01", "ORD-01", "NOP-01"))),
        status=draw(
            st.sampled_from(
                ("closed", "closed", "dispatched", "rectified", "voided", "appealed", "suspended")
            )
        ),
        observed_at=base + timedelta(microseconds=draw(st.sampled_from([0, -1, 1]))),
        instances=draw(st.integers(1, 3)),
        found_by=draw(st.sampled_from(("city", "district"))),
        spot_id=draw(st.one_of(st.none(), st.integers(1, 2))),
        lat=lat,
        lon=lon,
        dispatched_at=moment(),
        due_at=moment(),
        rectified_at=moment(),
        closed_at=moment(),
        rework_count=draw(st.integers(0, 1)),
    )


CLUSTERED_MONTHS = st.lists(clustered_reports(), min_size=5, max_size=30, unique_by=lambda r: r.id)


@st.composite
def months_and_references(draw):
    """A month and a reference time: one of the month's own moments, a microsecond either side, or the
    usual ones (so that closings, rectifications and deadlines fall exactly on it)."""
    rs = draw(st.one_of(EDGE_MONTHS, MONTHS, CLUSTERED_MONTHS))
    moments = [m for r in rs for m in (r.due_at, r.closed_at, r.rectified_at) if m is not None]
    one = timedelta(microseconds=1)
    anchor = draw(
        st.one_of(st.sampled_from([START + timedelta(days=12), NOW]), st.sampled_from(moments or [END]))
    )
    return rs, rules.reference_time(anchor + draw(st.sampled_from([-one, timedelta(0), one])), END)


@SETTINGS
@given(months_and_references())
def test_which_reports_count_over_arrays_equals_the_rules(month):
    rs, reference = month
    columns, facts = _both(rs)
    start, end, ref = micros(START), micros(END), micros(reference)
    assert arrays.field_reports(columns, start, end).tolist() == [
        rules.is_field_report(r, START, END) for r in facts
    ]
    assert arrays.due_items(columns, start, end, ref).tolist() == [
        rules.is_due(r, START, END, reference) for r in facts
    ]
    assert arrays.closed_reports(columns).tolist() == [rules.closed_report(r) for r in facts]


@SETTINGS
@given(months_and_references())
def test_an_item_dues_counts_over_arrays_equal_the_rules(month):
    rs, reference = month
    columns, facts = _both(rs)
    with_deadline = [k for k, r in enumerate(facts) if r.due_at is not None]
    flags = arrays.due_flags(columns, np.array(with_deadline, dtype=np.int64), micros(reference))
    assert list(flags._fields) == [
        "closed_by",
        "on_time",
        "overdue_open",
        "reached_verification",
        "reworked",
        "timed",
    ]
    expected = [
        (
            rules.closed_by(r, reference),
            rules.on_time(r, reference),
            rules.overdue_open(r, reference),
            rules.reached_verification(r),
            rules.reworked(r),
            rules.timed(r),
        )
        for r in (facts[k] for k in with_deadline)
    ]
    assert list(zip(*(f.tolist() for f in flags), strict=True)) == expected


@SETTINGS
@given(months_and_references(), st.sampled_from([CALENDAR, None]))
def test_the_counts_by_community_over_arrays_equal_count_due(month, calendar):
    rs, reference = month
    columns, facts = _both(rs)
    hours = WorkingHours(calendar, TZ) if calendar is not None else None
    expected = defaultdict(Indicators)
    for r in facts:
        if rules.is_due(r, START, END, reference):
            rules.count_due(expected[r.community_id], r, reference, hours)
    due = np.flatnonzero(arrays.due_items(columns, micros(START), micros(END), micros(reference)))
    assert arrays.due_counts(columns, due, micros(reference), calendar, TZ) == dict(expected)


def _nonzero(raw):
    return {
        cid: {code: v for code, v in items.items() if v} for cid, items in raw.items() if any(items.values())
    }


@pytest.mark.parametrize("checklist", [CHECKLIST, FRACTIONAL], ids=["whole", "fractional"])
@SETTINGS
@given(month=months_and_references(), calendar=st.sampled_from([CALENDAR, None]))
def test_the_pass_over_arrays_equals_the_pass_one_report_at_a_time(checklist, month, calendar):
    """``tally_columns`` (what runs on the loader's month) gives what ``tally_rows`` gives by the rules:
    the field reports and their count, the amounts before caps per community and item, the repeats and
    the items due's counts."""
    rs, reference = month
    columns, facts = _both(rs)
    points = Points(checklist)
    hours = WorkingHours(calendar, TZ) if calendar is not None else None
    plain = tally_plain(points, facts, START, END, reference, WINDOW, hours)
    over = tally_columns(
        points, columns, micros(START), micros(END), micros(reference), WINDOW_US, calendar, TZ
    )
    assert over.reports == plain.reports
    assert {cid: [r[0] for r in over.field_by.get(cid)] for cid in over.reports} == {
        cid: [r.id for r in rows] for cid, rows in plain.field_by.items()
    }
    assert _nonzero(over.raw) == _nonzero(plain.raw)
    assert over.repeats == plain.repeats and over.repeats_by == dict(plain.repeats_by)
    assert over.indicators == dict(plain.indicators)


def test_a_radius_of_zero_is_searched_one_report_at_a_time_and_scores_alike():
    """With a radius of 0 m the cells' keys would not fit in 64 bits: the month is scored by the plain pass,
    and a report at exactly the position of an earlier closed one is still a repeat."""
    checklist = parse_checklist(CHECKLIST_TEXT.replace("radius_m: 50", "radius_m: 0"))
    observed = START + timedelta(days=10)
    rows = [
        ReportFact(
            1,
            1,
            "ENV-01",
            "closed",
            observed - timedelta(days=3),
            lat=LAT0,
            lon=LON0,
            closed_at=observed - timedelta(days=2),
        ),
        ReportFact(2, 1, "ENV-01", "dispatched", observed, lat=LAT0, lon=LON0),
        ReportFact(3, 1, "ENV-01", "dispatched", observed, lat=LAT0 + 1e-9, lon=LON0),
    ]
    facts = MonthFacts(MONTH, START, END, list(COMMUNITIES), rows)
    columns = ReportColumns.from_rows(in_micros(facts).reports)
    assert (
        tally_columns(
            Points(checklist), columns, micros(START), micros(END), micros(END), WINDOW_US, None, TZ
        )
        is None
    )
    plain = score_month(checklist, facts, NOW, tz=TZ)
    over_arrays = score_month(checklist, in_micros(facts), NOW, tz=TZ)
    assert _summary(over_arrays) == _summary(plain)
    assert {e.report_id: e.repeat_of for e in plain.communities[0].entries} == {1: None, 2: 1, 3: None}
