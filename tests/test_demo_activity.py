"""The demo's history: filed and moved through the real services, consistent, and useful on every page."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from fieldcheck.auth.models import User
from fieldcheck.demo import seed_demo
from fieldcheck.demo.activity import seed_activity
from fieldcheck.extensions import db
from fieldcheck.permissions import Principal
from fieldcheck.ranking import services as ranking
from fieldcheck.reports.models import Event, Photo, Report
from fieldcheck.workflow import queries, rules

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # a Friday, 10:00 in the city


def test_demo_history_is_real_and_fills_every_queue(app):
    with app.app_context():
        seed_demo()
        db.session.commit()
        storage = app.extensions["fieldcheck.storage"]
        counts = seed_activity(NOW, TZ, storage, communities=12)
        assert counts["reports"] > 20 and counts["moves"] > 20

        statuses = Counter(db.session.scalars(select(Report.status)))
        assert {"closed", "dispatched", "rectified", "voided"} <= set(statuses)
        assert statuses["reported"] == 1  # one report outside the district, for the office to assign

        # The after-photos are new photos of the same places: none looks like its report's earlier photo.
        flagged = [
            r.id for r in db.session.scalars(select(Report)) if "after_photo_reused" in (r.flags or [])
        ]
        assert flagged == []

        # Nothing happened after "now", and every photo row has its original and thumbnail; its display copy
        # is made on its first view, as for any filing (the demo files through the same services).
        assert db.session.scalar(select(func.max(Event.at))) <= NOW
        for photo in db.session.scalars(select(Photo)):
            assert storage.exists(photo.original_key) and storage.exists(photo.thumb_key)
            assert not storage.exists(photo.display_key)

        # The `community` account's community has an overdue item and one awaiting verification.
        first = db.session.scalar(select(User.community_id).where(User.username == "community"))
        mine = db.session.scalars(select(Report).where(Report.community_id == first)).all()
        assert any(rules.is_overdue(r.status, r.due_at, NOW) for r in mine)
        assert any(r.status == "rectified" for r in mine)

        office = Principal(0, "office")
        assert queries.queue_counts(office)["verify"] > 0
        assert queries.queue_counts(office)["unassigned"] == 1

        # Last month is a whole month worth ranking: inspected communities, some never inspected.
        doc = ranking.ranking("2026-10", now=NOW, tz_name="Asia/Shanghai")
        inspected = [c for c in doc["communities"] if c["inspected"]]
        assert len(inspected) >= 10
        assert doc["indicators"]["due"] > 0 and doc["indicators"]["closed"] > 0
