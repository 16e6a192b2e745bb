"""The map's GeoJSON API: scope per role, filters, truncation, bad input (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fieldcheck.auth.models import User
from fieldcheck.checklist.models import ChecklistItem
from fieldcheck.extensions import db
from fieldcheck.geography.models import Community
from fieldcheck.reports.models import Report

NOW = datetime.now(UTC)
THIS_MONTH = NOW.strftime("%Y-%m")  # only used where the month boundary cannot matter (mid-month rows)


def add_report(
    app,
    *,
    inspector: str,
    community: str | None,
    item: str = "ENV-02",
    status: str = "dispatched",
    lon: float | None = None,
    lat: float | None = None,
    observed_at: datetime | None = None,
    due_at: datetime | None = None,
    found_by: str = "city",
) -> int:
    """A report row as filing and dispatch leave it (no photos: the map reads none)."""
    with app.app_context():
        c = db.session.scalar(select(Community).where(Community.code == community)) if community else None
        offset = {"C001": 112.405, "C002": 112.415, "C003": 112.425, "C004": 112.435}
        observed = observed_at or NOW - timedelta(hours=1)
        r = Report(
            client_id=str(uuid.uuid4()),
            content_hash="0" * 64,
            inspector_id=db.session.scalar(select(User.id).where(User.username == inspector)),
            item_id=db.session.scalar(select(ChecklistItem.id).where(ChecklistItem.code == item)),
            community_id=c.id if c else None,
            lat=lat if lat is not None else 34.655,
            lon=lon if lon is not None else offset.get(community, 112.5),
            accuracy_m=5,
            location_source="device",
            observed_at=observed,
            received_at=observed,
            found_by=found_by,
            status=status,
            dispatched_at=observed if status != "reported" else None,
            due_at=due_at
            if due_at is not None
            else (observed + timedelta(days=3) if status == "dispatched" else None),
        )
        db.session.add(r)
        db.session.commit()
        return r.id


@pytest.fixture
def reports(app, people):
    """Six reports over four communities: one overdue in C001, one unassigned outside every community."""
    ids = {
        "c1_open": add_report(app, inspector="insp", community="C001"),
        "c1_overdue": add_report(
            app,
            inspector="insp",
            community="C001",
            item="ORD-01",
            due_at=NOW - timedelta(days=1),
            observed_at=NOW - timedelta(days=5),
        ),
        "c2_closed": add_report(
            app, inspector="insp2", community="C002", status="closed", found_by="subdistrict"
        ),
        "c3_open": add_report(app, inspector="insp2", community="C003", found_by="subdistrict"),
        "c4_rectified": add_report(app, inspector="insp", community="C004", status="rectified"),
        "nowhere": add_report(app, inspector="insp", community=None, status="reported", lon=112.6, lat=34.7),
    }
    return ids


def ids_of(body) -> set[int]:
    return {f["properties"]["id"] for f in body["features"]}


def get(client, headers, url):
    response = client.get(url, headers=headers)
    return response.status_code, response.get_json()


# ---------------------------------------------------------------------------------------------------
# Communities


def test_office_gets_every_polygon_with_counts(client, people, reports):
    status, body = get(client, people["office"], "/api/v1/map/communities")
    assert status == 200
    assert body["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f for f in body["features"]}
    assert sorted(by_code) == ["C001", "C002", "C003", "C004"]
    c1 = by_code["C001"]
    assert c1["geometry"]["type"] == "Polygon"
    assert c1["properties"]["subdistrict_code"] == "SD01"
    assert (c1["properties"]["open"], c1["properties"]["overdue"]) == (2, 1)
    assert (by_code["C002"]["properties"]["open"], by_code["C002"]["properties"]["overdue"]) == (0, 0)
    assert by_code["C004"]["properties"]["open"] == 1  # awaiting verification is open, not overdue
    # The month's ranking: every community ranked, with a score as an exact decimal string.
    assert body["ranking"] == "live"
    assert all(isinstance(f["properties"]["rank"], int) for f in body["features"])
    assert all(isinstance(f["properties"]["score"], str) for f in body["features"])
    assert sorted(f["properties"]["rank"] for f in body["features"])[0] == 1


def test_scope_of_polygons_per_role(client, people, reports):
    codes = {}
    for user in ("sd1", "sd2", "c1", "c2", "insp", "admin"):
        status, body = get(client, people[user], "/api/v1/map/communities")
        assert status == 200, user
        codes[user] = sorted(f["properties"]["code"] for f in body["features"])
    assert codes["sd1"] == ["C001", "C002"]
    assert codes["sd2"] == ["C003", "C004"]
    assert codes["c1"] == ["C001"]
    assert codes["c2"] == ["C002"]
    assert codes["admin"] == ["C001", "C002", "C003", "C004"]
    assert codes["insp"] == ["C001", "C002", "C003", "C004"]


def test_inspector_sees_no_scores_and_only_own_counts(client, people, reports):
    _, body = get(client, people["insp2"], "/api/v1/map/communities")
    props = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    assert all(p["score"] is None and p["rank"] is None for p in props.values())
    assert props["C001"]["open"] == 0  # filed by insp, not insp2
    assert props["C003"]["open"] == 1


def test_published_month_reads_the_snapshot(app, client, people, reports, monkeypatch):
    from fieldcheck.ranking import services

    month = "2026-03"
    add_report(
        app,
        inspector="insp",
        community="C001",
        observed_at=datetime(2026, 3, 10, 2, tzinfo=UTC),
        status="closed",
    )
    with app.app_context():
        office_id = db.session.scalar(select(User.id).where(User.username == "office"))
        snapshot = services.publish(
            month, office_id, now=datetime(2026, 4, 2, tzinfo=UTC), tz_name="Asia/Shanghai"
        )
        db.session.commit()
        published = {c["code"]: (c["score"], c["rank"]) for c in json.loads(snapshot.summary)["communities"]}

    def no_computing(*args, **kwargs):
        raise AssertionError("a published month is read, not computed")

    monkeypatch.setattr(services, "compute", no_computing)
    status, body = get(client, people["office"], f"/api/v1/map/communities?month={month}")
    assert status == 200
    assert body["ranking"] == "published"
    shown = {
        f["properties"]["code"]: (f["properties"]["score"], f["properties"]["rank"]) for f in body["features"]
    }
    assert shown == published
    assert shown["C001"][1] is not None


def test_computed_month_is_read_from_the_month_cache(app, client, people, reports, monkeypatch):
    """Shared through the database (ranking/monthcache.py): scored once, then read, until its data change."""
    from zoneinfo import ZoneInfo

    from fieldcheck.calendar import local_month
    from fieldcheck.ranking import services

    url = (
        f"/api/v1/map/communities?month={local_month(NOW, ZoneInfo(app.config['TIMEZONE']))}"  # the reports'
    )
    calls = []
    real = services.compute
    monkeypatch.setattr(services, "compute", lambda *a, **k: calls.append(1) or real(*a, **k))
    for _ in range(3):
        assert get(client, people["office"], url)[0] == 200
    assert len(calls) == 1
    with app.app_context():
        report = db.session.scalar(select(Report).order_by(Report.id).limit(1))
        report.instances += 1
        db.session.commit()
    assert get(client, people["office"], url)[0] == 200
    assert len(calls) == 2


@pytest.mark.parametrize("month", ["2026-13", "26-01", "2026-1", "abc", "2026-01-01"])
def test_communities_bad_month(client, people, month):
    status, body = get(client, people["office"], f"/api/v1/map/communities?month={month}")
    assert status == 400
    assert body["error"]["code"] == "bad_month"


def test_map_needs_a_login(client, district):
    assert client.get("/api/v1/map/communities").status_code == 401
    assert client.get("/api/v1/map/reports").status_code == 401


# ---------------------------------------------------------------------------------------------------
# Reports


def test_reports_scope_per_role(client, people, reports):
    seen = {
        u: ids_of(get(client, people[u], "/api/v1/map/reports")[1])
        for u in ("office", "sd1", "sd2", "c1", "c2", "insp", "insp2")
    }
    r = reports
    assert seen["office"] == set(r.values())
    assert seen["sd1"] == {r["c1_open"], r["c1_overdue"], r["c2_closed"]}
    assert seen["sd2"] == {r["c3_open"], r["c4_rectified"]}
    assert seen["c1"] == {r["c1_open"], r["c1_overdue"]}
    assert seen["c2"] == {r["c2_closed"]}
    assert seen["insp"] == {r["c1_open"], r["c1_overdue"], r["c4_rectified"], r["nowhere"]}
    assert seen["insp2"] == {r["c2_closed"], r["c3_open"]}


def test_report_features_shape(client, people, reports):
    _, body = get(client, people["office"], "/api/v1/map/reports")
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    f = next(f for f in body["features"] if f["properties"]["id"] == reports["c1_overdue"])
    assert f["geometry"] == {"type": "Point", "coordinates": [112.405, 34.655]}
    assert f["properties"]["status"] == "dispatched"
    assert f["properties"]["item_code"] == "ORD-01"
    assert f["properties"]["overdue"] is True
    assert datetime.fromisoformat(f["properties"]["observed_at"])


def test_reports_filters(client, people, reports):
    r = reports
    office = people["office"]

    def ids(query):
        status, body = get(client, office, "/api/v1/map/reports?" + query)
        assert status == 200, body
        return ids_of(body)

    # Only C001's square (112.40..112.41 x 34.65..34.66).
    assert ids("bbox=112.40,34.65,112.41,34.66") == {r["c1_open"], r["c1_overdue"]}
    assert ids("status=closed") == {r["c2_closed"]}
    assert ids("status=closed,rectified") == {r["c2_closed"], r["c4_rectified"]}
    assert ids("overdue=1") == {r["c1_overdue"]}
    assert ids("overdue=0") == set(r.values())
    assert ids("item=ORD-01") == {r["c1_overdue"]}
    assert ids("category=ORD") == {r["c1_overdue"]}
    assert ids("category=ENV") == set(r.values()) - {r["c1_overdue"]}
    assert ids("found_by=subdistrict") == {r["c2_closed"], r["c3_open"]}
    assert ids("community=C003") == {r["c3_open"]}
    assert ids("bbox=112.40,34.65,112.43,34.66&status=dispatched&overdue=1") == {r["c1_overdue"]}
    assert ids("month=2020-01") == set()


def test_reports_month_filter_uses_local_month(app, client, people):
    # 2026-03-31 16:30 UTC is 2026-04-01 00:30 in Shanghai: an April report.
    rid = add_report(
        app, inspector="insp", community="C001", observed_at=datetime(2026, 3, 31, 16, 30, tzinfo=UTC)
    )
    assert ids_of(get(client, people["office"], "/api/v1/map/reports?month=2026-04")[1]) == {rid}
    assert ids_of(get(client, people["office"], "/api/v1/map/reports?month=2026-03")[1]) == set()


def test_reports_truncated_at_limit_newest_first(app, client, people, reports):
    status, body = get(client, people["office"], "/api/v1/map/reports?limit=2")
    assert status == 200
    assert body["truncated"] is True and body["limit"] == 2
    # Newest observation first, then the later filing: c1_overdue was observed days earlier than the rest.
    assert [f["properties"]["id"] for f in body["features"]] == [reports["nowhere"], reports["c4_rectified"]]
    _, body = get(client, people["office"], "/api/v1/map/reports?limit=5")
    assert reports["c1_overdue"] not in ids_of(body)
    _, body = get(client, people["office"], "/api/v1/map/reports?limit=6")
    assert body["truncated"] is False and len(body["features"]) == 6


def test_reports_without_position_are_not_points(app, client, people):
    rid = add_report(app, inspector="insp", community="C001")
    with app.app_context():
        row = db.session.get(Report, rid)
        row.lat = row.lon = None
        row.location_source = "manual"
        db.session.commit()
    assert ids_of(get(client, people["office"], "/api/v1/map/reports")[1]) == set()


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("bbox=1,2,3", "bad_bbox"),
        ("bbox=a,b,c,d", "bad_bbox"),
        ("bbox=112.5,34.6,112.4,34.7", "bad_bbox"),  # min after max
        ("bbox=-200,0,10,10", "bad_bbox"),
        ("bbox=0,-95,10,10", "bad_bbox"),
        ("bbox=nan,0,10,10", "bad_bbox"),
        ("bbox=0,0,inf,10", "bad_bbox"),
        ("month=2026-00", "bad_month"),
        ("month=2026/01", "bad_month"),
        ("status=open", "bad_status"),
        ("status=closed,nope", "bad_status"),
        ("found_by=mayor", "bad_found_by"),
        ("overdue=maybe", "bad_overdue"),
        ("limit=0", "bad_limit"),
        ("limit=5001", "bad_limit"),
        ("limit=-1", "bad_limit"),
        ("limit=ten", "bad_limit"),
        ("item=" + "X" * 60, "bad_item"),
    ],
)
def test_reports_bad_input_is_400(client, people, query, code):
    status, body = get(client, people["office"], "/api/v1/map/reports?" + query)
    assert status == 400, body
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_limit_bounds_accepted(client, people, reports):
    assert get(client, people["office"], "/api/v1/map/reports?limit=5000")[0] == 200
    assert get(client, people["office"], "/api/v1/map/reports?limit=1")[0] == 200
