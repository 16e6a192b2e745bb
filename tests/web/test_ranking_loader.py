"""The ranking loader gives each report's timestamps as exact microseconds since 1970-01-01 UTC, on both
backends: a fraction of .999999 (which SQLite's date functions would round up to the next second), whole
seconds, the last microsecond of the city's month and dates before 1970."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from fieldcheck.calendar import services as calendar_services
from fieldcheck.checklist import services as checklist_services
from fieldcheck.extensions import db
from fieldcheck.ranking import services
from fieldcheck.reports.models import Report
from fieldcheck.scoring import MonthFacts, micros, score_month
from tests.ranking_district import MONTH, TZ, build

EDGES = {
    "r1": dict(
        observed_at=datetime(2026, 3, 5, 2, 0, 59, 999999, tzinfo=UTC),
        dispatched_at=datetime(2026, 3, 5, 2, 1, tzinfo=UTC),
        rectified_at=datetime(2026, 3, 5, 3, 0, 0, 1, tzinfo=UTC),
    ),
    "r2": dict(
        observed_at=datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=TZ).astimezone(UTC),
        closed_at=datetime(2026, 3, 31, 15, 59, 59, 500000, tzinfo=UTC),
    ),
    "r9": dict(
        observed_at=datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        due_at=datetime(2026, 3, 1, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC),
    ),
}


def test_the_loader_gives_timestamps_as_exact_microseconds(app, make_user):
    inspector = make_user("inspector", username="insp", level="district")
    ids = build(app, inspector_id=inspector.id)
    with app.app_context():
        for label, values in EDGES.items():
            db.session.execute(update(Report).where(Report.id == ids[label]).values(**values))
        db.session.commit()
        checklist = checklist_services.parse_checklist_document(checklist_services.version_in_force(MONTH))
        facts = services.load_facts(MONTH, TZ, checklist)
        assert facts.micros
        loaded = {row[0]: row for row in facts.reports}
        stored = {r.id: r for r in db.session.scalars(select(Report).where(Report.id.in_(list(loaded))))}
        assert {ids[label] for label in EDGES} <= set(loaded)
        for rid, row in loaded.items():
            r = stored[rid]
            expected = [
                micros(v) for v in (r.observed_at, r.dispatched_at, r.due_at, r.rectified_at, r.closed_at)
            ]
            assert [row[4], row[10], row[11], row[12], row[13]] == expected, rid
            assert all(v is None or isinstance(v, int) for v in expected)
        assert (
            loaded[ids["r1"]][4] == micros(EDGES["r1"]["observed_at"])
            and loaded[ids["r1"]][4] % 10**6 == 999999
        )
        assert loaded[ids["r2"]][4] == micros(facts.end) - 1
        assert loaded[ids["r9"]][4] == -1 and loaded[ids["r9"]][11] == micros(facts.start)
        assert timedelta(microseconds=loaded[ids["r2"]][13]) == EDGES["r2"]["closed_at"] - datetime(
            1970, 1, 1, tzinfo=UTC
        )


# Positions the loader must give back to the last bit: SQLite prints a double with 15 significant digits,
# so these would move if read as text; 1e-15 is too close to zero for the two integers SQLite sends and
# is read again on its own; negative values cross the truncation towards zero.
POSITIONS = {
    "r1": (34.612345678901234, 112.45678901234567),
    "r2": (-33.868820679776105, -151.20929550000001),
    "r3": (1e-15, -0.0),
    "r7": (89.99999999999999, 179.99999999999997),
    "r5": (0.1, 0.30000000000000004),
    "r6": (None, None),
    "r0": (34.61, -0.0),  # -0.0 beside an ordinary latitude (SQLite stores it as 0: 0.0 on both sides)
}


def _build_with_positions(app, make_user) -> dict[str, int]:
    """The worked-example district with ``POSITIONS`` written over its reports' positions."""
    inspector = make_user("inspector", username="insp", level="district")
    ids = build(app, inspector_id=inspector.id)
    with app.app_context():
        for label, (lat, lon) in POSITIONS.items():
            db.session.execute(update(Report).where(Report.id == ids[label]).values(lat=lat, lon=lon))
        db.session.commit()
    return ids


def test_the_loader_gives_every_column_as_the_database_holds_it(app, make_user):
    """Each report the loader reads equals, column by column, what the ORM reads of the same row: ids,
    community, item code, status, instances, finder, spot, position (to the last bit), timestamps, rework."""
    ids = _build_with_positions(app, make_user)
    with app.app_context():
        checklist = checklist_services.parse_checklist_document(checklist_services.version_in_force(MONTH))
        facts = services.load_facts(MONTH, TZ, checklist)
        loaded = {row[0]: row for row in facts.reports}
        assert len(loaded) == len(facts.reports)
        stored = db.session.scalars(select(Report).where(Report.id.in_(list(loaded)))).all()
        assert len(stored) == len(loaded) and {ids[label] for label in POSITIONS} <= set(loaded)
        for r in stored:
            expected = (
                r.id,
                r.community_id,
                r.item.code,
                r.status,
                micros(r.observed_at),
                r.instances,
                r.found_by,
                r.spot_id,
                r.lat,
                r.lon,
                micros(r.dispatched_at),
                micros(r.due_at),
                micros(r.rectified_at),
                micros(r.closed_at),
                r.rework_count,
            )
            row = loaded[r.id]
            assert row == expected, r.id
            assert [type(v) for v in row] == [type(v) for v in expected], r.id  # plain Python values
            for got, want in ((row[8], r.lat), (row[9], r.lon)):
                assert want is None or math.copysign(1, got) == math.copysign(1, want)  # -0.0 stays -0.0
        # Scoring the loaded columns gives what scoring the same rows as tuples gives.
        now = datetime(2026, 4, 10, tzinfo=UTC)
        calendar = calendar_services.work_calendar()
        from_columns = score_month(checklist, facts, now, calendar=calendar, tz=TZ)
        as_rows = MonthFacts(
            facts.month,
            facts.start,
            facts.end,
            facts.communities,
            list(facts.reports),
            facts.visited,
            micros=True,
        )
        from_rows = score_month(checklist, as_rows, now, calendar=calendar, tz=TZ)
        for a, b in zip(from_columns.communities, from_rows.communities, strict=True):
            assert (a.community.code, a.score, a.rank, a.entries) == (
                b.community.code,
                b.score,
                b.rank,
                b.entries,
            )


def test_a_month_without_reports_loads_and_scores(app, make_user):
    """An empty month: no rows, columns of length 0, every community not inspected."""
    inspector = make_user("inspector", username="insp", level="district")
    build(app, inspector_id=inspector.id)
    with app.app_context():
        checklist = checklist_services.parse_checklist_document(checklist_services.version_in_force(MONTH))
        facts = services.load_facts("2027-02", TZ, checklist)
        assert len(facts.reports) == 0 and list(facts.reports) == []
        result = score_month(checklist, facts, datetime(2027, 3, 10, tzinfo=UTC), tz=TZ)
        assert result.coverage == (0, len(facts.communities)) and all(
            not s.inspected for s in result.communities
        )


def test_a_column_with_a_value_missing_is_an_error_not_a_misalignment():
    import numpy as np
    import pytest

    from fieldcheck.ranking.loading import _of_length

    assert list(_of_length(np.arange(3), 3)) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="2 values for 3 rows"):
        _of_length(np.arange(2), 3)


def _columns_by_id(reports):
    """A loaded month's rows, keyed by report id (the two halves come back in their own order)."""
    return {row[0]: row for row in reports}


def test_a_large_month_read_in_two_halves_at_once_equals_the_one_read(app, make_user, monkeypatch):
    """With the threshold lowered so that the small district splits, the month is read as two id ranges
    at once, the second on a helper thread and a connection of its own, while the session holds its
    transaction open (on SQLite, BEGIN IMMEDIATE: the helper must read beside it, not wait for it).
    Every report comes back exactly once, every column as the one read gives it."""
    from fieldcheck.ranking import loading

    _build_with_positions(app, make_user)
    with app.app_context():
        checklist = checklist_services.parse_checklist_document(checklist_services.version_in_force(MONTH))
        monkeypatch.setattr(loading, "PARALLEL", False)
        whole = services.load_facts(MONTH, TZ, checklist)
        db.session.commit()

        monkeypatch.setattr(loading, "PARALLEL", True)
        monkeypatch.setattr(loading, "SPLIT_MIN_REPORTS", 1)
        threads = []
        read_apart = loading._read_apart

        def counted(*args):
            import threading

            threads.append(threading.current_thread().name)
            return read_apart(*args)

        monkeypatch.setattr(loading, "_read_apart", counted)
        at = loading._split_at(
            db.session.connection(), whole.start, whole.end, whole.start - timedelta(days=30)
        )
        assert at is not None and min(r[0] for r in whole.reports) < at <= max(r[0] for r in whole.reports)
        halves = services.load_facts(MONTH, TZ, checklist)
        assert threads and threads[0].startswith("ranking-read")
        assert len(halves.reports) == len(whole.reports)
        assert _columns_by_id(halves.reports) == _columns_by_id(whole.reports)
        now = datetime(2026, 4, 10, tzinfo=UTC)
        a = score_month(checklist, whole, now, calendar=calendar_services.work_calendar(), tz=TZ)
        b = score_month(checklist, halves, now, calendar=calendar_services.work_calendar(), tz=TZ)
        assert [(s.community.code, s.score, s.rank) for s in a.communities] == [
            (s.community.code, s.score, s.rank) for s in b.communities
        ]


def test_a_transaction_that_has_written_is_read_in_one_query_and_sees_its_own_writes(
    app, make_user, monkeypatch
):
    """A second connection cannot see what the session has written and not committed, so a session that has
    written reads the month itself, in one query, and its own writes are what it reads."""
    from fieldcheck.database import has_written
    from fieldcheck.ranking import loading

    inspector = make_user("inspector", username="insp", level="district")
    ids = build(app, inspector_id=inspector.id)
    monkeypatch.setattr(loading, "PARALLEL", True)
    monkeypatch.setattr(loading, "SPLIT_MIN_REPORTS", 1)
    with app.app_context():
        checklist = checklist_services.parse_checklist_document(checklist_services.version_in_force(MONTH))
        conn = db.session.connection()
        assert not has_written(conn)
        before = services.load_facts(MONTH, TZ, checklist)
        assert ids["r1"] in _columns_by_id(before.reports)
        assert loading._split_at(conn, before.start, before.end, before.start) is not None
        # Every report of the month changed, uncommitted: a helper connection would still see them unchanged.
        db.session.execute(
            update(Report).where(Report.id.in_(list(_columns_by_id(before.reports)))).values(instances=7)
        )
        assert has_written(db.session.connection())
        assert loading._split_at(db.session.connection(), before.start, before.end, before.start) is None
        after = services.load_facts(MONTH, TZ, checklist)
        assert len(after.reports) == len(before.reports) and {row[5] for row in after.reports} == {7}
        db.session.rollback()
        assert not has_written(db.session.connection())


def test_sqlite_timestamps_are_read_as_fixed_width_text_or_else_split():
    """SQLite's stored timestamps: 26 characters each (read as fixed-width bytes), the missing ones as a
    text no time has; a text of any other width (whole seconds, say) is split at its commas instead."""
    import numpy as np

    from fieldcheck.ranking.loading import _SQLITE_NO_TIME, _sqlite_moments
    from fieldcheck.scoring import NO_TIME

    fixed = [
        "2026-03-01 00:00:00.000001",
        _SQLITE_NO_TIME,
        "1969-12-31 23:59:59.999999",
        "2026-03-31 15:59:59.999999",
    ]
    want = [
        micros(datetime(2026, 3, 1, 0, 0, 0, 1, tzinfo=UTC)),
        NO_TIME,
        -1,
        micros(datetime(2026, 3, 31, 15, 59, 59, 999999, tzinfo=UTC)),
    ]
    assert _sqlite_moments(",".join(fixed), 4).tolist() == want
    mixed = ["2026-03-01 00:00:00", _SQLITE_NO_TIME, "2026-03-01 00:00:00.5"]
    assert _sqlite_moments(",".join(mixed), 3).tolist() == [
        micros(datetime(2026, 3, 1, tzinfo=UTC)),
        NO_TIME,
        micros(datetime(2026, 3, 1, 0, 0, 0, 500000, tzinfo=UTC)),
    ]
    assert _sqlite_moments(",".join(mixed), 3).dtype == np.int64
