"""The ranking loader gives each report's timestamps as exact microseconds since 1970-01-01 UTC, on both
backends: a fraction of .999999 (which SQLite's date functions would round up to the next second), whole
seconds, the last microsecond of the city's month and dates before 1970."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from fieldcheck.checklist import services as checklist_services
from fieldcheck.extensions import db
from fieldcheck.ranking import services
from fieldcheck.reports.models import Report
from fieldcheck.scoring import micros
from tests.ranking_district import MONTH, TZ, build

EDGES = {
    "r1": dict(observed_at=datetime(2026, 3, 5, 2, 0, 59, 999999, tzinfo=UTC),
               dispatched_at=datetime(2026, 3, 5, 2, 1, tzinfo=UTC),
               rectified_at=datetime(2026, 3, 5, 3, 0, 0, 1, tzinfo=UTC)),
    "r2": dict(observed_at=datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=TZ).astimezone(UTC),
               closed_at=datetime(2026, 3, 31, 15, 59, 59, 500000, tzinfo=UTC)),
    "r9": dict(observed_at=datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
               due_at=datetime(2026, 3, 1, 0, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)),
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
            expected = [micros(v) for v in (r.observed_at, r.dispatched_at, r.due_at, r.rectified_at, r.closed_at)]
            assert [row[4], row[10], row[11], row[12], row[13]] == expected, rid
            assert all(v is None or isinstance(v, int) for v in expected)
        assert loaded[ids["r1"]][4] == micros(EDGES["r1"]["observed_at"]) and loaded[ids["r1"]][4] % 10**6 == 999999
        assert loaded[ids["r2"]][4] == micros(facts.end) - 1
        assert loaded[ids["r9"]][4] == -1 and loaded[ids["r9"]][11] == micros(facts.start)
        assert timedelta(microseconds=loaded[ids["r2"]][13]) == EDGES["r2"]["closed_at"] - datetime(1970, 1, 1, tzinfo=UTC)
