"""GET /api/v1/reports reads plain rows (reports/listing.py, issue 16): its answer is byte for byte the
previous one (ORM objects and ``serialize.report``, kept as ``listing.objects_page``) for every role, with
disclosure off and on, over a page of reports with and without photos, events, community and spot."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update

from fieldcheck import settings
from fieldcheck.extensions import db
from fieldcheck.geography.models import Community, Spot
from fieldcheck.reports import listing
from fieldcheck.reports.models import Photo

NOV = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


def test_the_rows_answer_the_same_bytes_as_the_objects(app, client, people, clock, make_report, monkeypatch):
    clock.set(NOV + timedelta(days=3))
    with app.app_context():
        c001 = db.session.scalar(select(Community).where(Community.code == "C001"))
        spot = Spot(code="C001-MKT-9", name="王城市场", spot_type="MKT", community=c001)
        db.session.add(spot)
        db.session.commit()
        spot_id = spot.id
    at = iter(NOV + timedelta(hours=h) for h in range(20))
    make_report("reported", at=next(at), photos=0)  # no community, no photo
    make_report("dispatched", at=next(at), spot_id=spot_id, flags=["repeat"], photos=2)
    make_report("dispatched", community="C002", inspector="insp2", at=next(at), due_at=NOV)  # overdue
    make_report("rectified", community="C003", at=next(at), photo_seed=3)  # an after-photo on an event
    make_report("closed", at=next(at), photo_seed=4)
    make_report("suspended", community="C002", at=next(at), planned_date=date(2026, 12, 1))
    make_report("appealed", inspector="insp2", at=next(at), item="ENV-01")
    make_report("voided", at=next(at), photos=0)
    with app.app_context():
        first = db.session.scalar(select(Photo.id).order_by(Photo.id))
        db.session.execute(
            update(Photo)
            .where(Photo.id == first)
            .values(exif_lat=34.6, exif_lon=112.4, exif_taken_at="2026:11:10 10:00:00", exif_make="X")
        )
        db.session.commit()

    def answers(path: str, headers) -> tuple[bytes, bytes]:
        new = client.get(path, headers=headers)
        with monkeypatch.context() as m:
            m.setattr(listing, "rows_page", listing.objects_page)
            old = client.get(path, headers=headers)
        assert new.status_code == old.status_code == 200
        return new.get_data(), old.get_data()

    seen = set()
    for disclosed in (False, True):
        with app.app_context():
            settings.set_values(
                {settings.INSPECTOR: disclosed, settings.PHOTO_METADATA: disclosed}, user_id=None
            )
            db.session.commit()
        for name in ("insp", "c1", "sd1", "office", "admin"):  # each role once
            new, old = answers("/api/v1/reports?per_page=5", people[name])
            assert new == old, name
            seen.add(new)
        cursor = json.loads(new)["next_cursor"]  # the admin's next page, by cursor
        new, old = answers(f"/api/v1/reports?per_page=5&cursor={cursor}", people["admin"])
        assert new == old and json.loads(new)["reports"]
    # Five roles, four different pages; disclosure changes what community and sub-district staff see.
    assert len(seen) == 6
    office = client.get("/api/v1/reports?per_page=200", headers=people["office"]).get_json()["reports"]
    assert len(office) == 8
    assert {bool(r["photos"]) for r in office} == {True, False}
    assert {r["spot"] is None for r in office} == {True, False}
    assert {r["community"] is None for r in office} == {True, False}
    assert any(p["event"] is not None for r in office for p in r["photos"])
    assert any(p["exif"]["lat"] == 34.6 for r in office for p in r["photos"])
    assert any(e["photos"] for r in office for e in r["events"])
