"""Issue 15: boundary versions from the browser and the admin API.

An upload is checked whole (every bad feature named by number and code) and stored inactive; the
preview lists the differences from the version in force; activation puts it in force in one
transaction; reports keep the version they were located with. The CLI runs the same service.
"""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from fieldcheck import audit
from fieldcheck.audit import AuditEntry
from fieldcheck.extensions import db
from fieldcheck.geography import services as geo
from fieldcheck.geography.models import BoundaryVersion, Community, CommunityBoundary, Subdistrict
from fieldcheck.reports.models import Report
from tests.conftest import csrf_token_from, feature, small_district, square
from tests.web.reporting import post_report

TABLES = (BoundaryVersion, CommunityBoundary, Community, Subdistrict, AuditEntry)


def changed_district() -> dict:
    """The small district with one change of every kind against itself."""
    doc = small_district()
    features = doc["features"]
    features[0]["properties"]["community_name"] = "王城新社区"  # C001 renamed
    features[1]["properties"]["subdistrict_code"] = "SD02"  # C002 moved
    features[1]["properties"]["subdistrict_name"] = "涧西街道"
    features[2]["geometry"]["coordinates"] = square(112.42, 34.65, 0.0105)  # C003 grows by about 10 %
    del features[3]  # C004 removed
    features.append(feature("C005", "新区社区", "SD03", "新区街道", square(112.50, 34.65)))  # added
    return doc


def one_bad_feature() -> dict:
    doc = small_district()
    ring = doc["features"][2]["geometry"]["coordinates"][0]
    ring[1], ring[2] = ring[2], ring[1]  # a bow-tie: the ring crosses itself
    return doc


def upload(client, doc, headers, name="v2.geojson"):
    data = {"file": (io.BytesIO(json.dumps(doc, ensure_ascii=False).encode()), name)}
    return client.post("/api/v1/admin/boundaries", data=data, headers=headers)


def counts(app) -> dict:
    with app.app_context():
        return {t.__name__: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def in_force(app) -> int | None:
    with app.app_context():
        version = geo.current_boundary_version()
        return version.id if version else None


def names(app) -> dict:
    with app.app_context():
        rows = db.session.execute(
            select(Community.code, Community.name, Subdistrict.code).join(Community.subdistrict)
        ).all()
        return {code: (name, sub) for code, name, sub in rows}


def actions(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(e.actor, e.action, e.target) for e in audit.entries(audit.Query(), limit=0)][::-1]


def page_post(c, page_url, url, data=None, **kwargs):
    token = csrf_token_from(c.get(page_url).get_data(as_text=True))
    return c.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


def test_api_upload_names_every_bad_feature_and_stores_nothing(app, client, people):
    doc = one_bad_feature()
    doc["features"][0]["properties"]["community_code"] = "C 1"
    before = counts(app)
    response = upload(client, doc, people["admin"])
    assert response.status_code == 400
    body = response.get_json()
    assert body["id"] is None and body["diff"] is None
    assert body["error"]["code"] == "invalid_boundaries"
    assert [(e["feature"], e["community_code"]) for e in body["errors"]] == [(1, "C 1"), (3, "C003")]
    assert "Self-intersection" in body["errors"][1]["message"]
    assert body["error"]["errors"] == body["errors"]
    assert counts(app) == before


def test_api_upload_stores_an_inactive_version_with_its_differences(app, client, people):
    before_names = names(app)
    response = upload(client, changed_district(), people["admin"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["errors"] == []
    diff = body["diff"]
    assert [d["code"] for d in diff["added"]] == ["C005"]
    assert [d["code"] for d in diff["removed"]] == ["C004"]
    assert diff["renamed"] == [{"code": "C001", "from": "王城社区", "to": "王城新社区"}]
    assert diff["moved"] == [{"code": "C002", "name": "青年宫社区", "from": "SD01", "to": "SD02"}]
    assert [(d["code"], d["change_pct"]) for d in diff["area_changed"]] == [("C003", 10.2)]
    # Stored, but nothing in force changed: no rows for it, no new community, the old names, the old locator.
    assert in_force(app) == 1
    assert names(app) == before_names
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(CommunityBoundary.version_id == body["id"])) == 0
        assert geo.locate(34.655, 112.505) == (None, geo.current_boundary_version())
    assert actions(app)[-1] == ("admin", "boundaries.upload", f"boundaries:{body['id']}")
    listed = client.get("/api/v1/admin/boundaries", headers=people["admin"]).get_json()
    assert listed["in_force"] == 1
    assert [(v["id"], v["in_force"], v["activated_at"] is None) for v in listed["versions"]] == [
        (body["id"], False, True),
        (1, True, False),
    ]


def test_activation_puts_the_version_in_force_and_reports_keep_theirs(app, client, people):
    earlier = post_report(client, people["insp"], lat="34.655", lon="112.435")  # in C004, version 1
    assert earlier.status_code == 201 and earlier.get_json()["boundary_version"] == 1
    new_id = upload(client, changed_district(), people["admin"]).get_json()["id"]

    response = client.post(f"/api/v1/admin/boundaries/{new_id}/activate", headers=people["admin"])
    assert response.status_code == 200
    assert response.get_json() == {"id": new_id, "activated": True, "in_force": True}
    assert in_force(app) == new_id
    assert names(app)["C001"] == ("王城新社区", "SD01")
    assert names(app)["C002"] == ("青年宫社区", "SD02")
    assert names(app)["C005"] == ("新区社区", "SD03")
    assert actions(app)[-1] == ("admin", "boundaries.activate", f"boundaries:{new_id}")

    later = post_report(
        client, people["insp"], lat="34.655", lon="112.505"
    )  # in C005, only in the new version
    assert later.status_code == 201
    assert (later.get_json()["boundary_version"], later.get_json()["community"]["code"]) == (new_id, "C005")
    with app.app_context():
        kept = db.session.get(Report, earlier.get_json()["id"])
        assert (kept.boundary_version_id, kept.community.code) == (1, "C004")

    # Activating it again changes nothing and records nothing.
    entries = len(actions(app))
    again = client.post(f"/api/v1/admin/boundaries/{new_id}/activate", headers=people["admin"])
    assert again.status_code == 200 and again.get_json()["activated"] is False
    assert len(actions(app)) == entries


def test_a_failure_during_activation_leaves_nothing_half_applied(app, client, people, monkeypatch):
    new_id = upload(client, changed_district(), people["admin"]).get_json()["id"]
    before, before_names = counts(app), names(app)
    real = audit.record

    def failing(actor, action, *args, **kwargs):
        if action == "boundaries.activate":
            raise RuntimeError("the disk is full")
        return real(actor, action, *args, **kwargs)

    monkeypatch.setattr(audit, "record", failing)
    with pytest.raises(RuntimeError):
        client.post(f"/api/v1/admin/boundaries/{new_id}/activate", headers=people["admin"])
    monkeypatch.undo()
    assert counts(app) == before
    assert names(app) == before_names
    assert in_force(app) == 1


def test_unknown_version_and_missing_file_are_clean_refusals(client, people):
    admin = people["admin"]
    response = client.post("/api/v1/admin/boundaries/999/activate", headers=admin)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    response = client.post("/api/v1/admin/boundaries", data={}, headers=admin)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "no_file"
    response = upload(client, {"type": "Feature"}, admin)
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["feature"] is None
    assert "not a GeoJSON FeatureCollection" in response.get_json()["errors"][0]["message"]


def test_pages_refuse_a_bad_file_then_preview_and_activate_a_good_one(app, people, browser_for):
    c = browser_for("admin")
    before = counts(app)
    bad = {"file": (io.BytesIO(json.dumps(one_bad_feature()).encode()), "bad.geojson")}
    response = page_post(c, "/admin/boundaries", "/admin/boundaries", bad, content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'data-feature="3"' in html and "C003" in html and "Self-intersection" in html
    assert counts(app) == before

    good = {"file": (io.BytesIO(json.dumps(changed_district()).encode()), "good.geojson")}
    response = page_post(
        c, "/admin/boundaries", "/admin/boundaries", good, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    new_id = int(preview_url.rstrip("/").rpartition("/")[2])
    html = c.get(preview_url).get_data(as_text=True)
    for kind, code in (("added", "C005"), ("removed", "C004"), ("renamed", "C001"), ("moved", "C002")):
        assert f'data-kind="{kind}"' in html and f'data-code="{code}"' in html, kind
    assert 'data-kind="area_changed"' in html and "+10.2 %" in html
    assert 'id="boundary-activate"' in html and in_force(app) == 1

    shapes = c.get(f"/admin/boundaries/{new_id}.geojson").get_json()
    by_code = {f["properties"]["community_code"]: f["properties"]["changes"] for f in shapes["features"]}
    assert by_code == {
        "C001": ["renamed"],
        "C002": ["moved"],
        "C003": ["area_changed"],
        "C004": ["removed"],  # drawn from the version in force
        "C005": ["added"],
    }

    response = page_post(c, preview_url, f"/admin/boundaries/{new_id}/activate")
    assert response.status_code == 302
    assert in_force(app) == new_id
    html = c.get(preview_url).get_data(as_text=True)
    assert 'id="boundary-activate"' not in html and 'id="no-differences"' in html
    assert [a[1] for a in actions(app)[-2:]] == ["boundaries.upload", "boundaries.activate"]


def test_the_office_reads_the_versions_but_cannot_upload_or_activate(app, people, browser_for):
    office = browser_for("office")
    assert office.get("/admin/boundaries").status_code == 200
    assert 'id="boundary-upload"' not in office.get("/admin/boundaries").get_data(as_text=True)
    html = office.get("/admin/boundaries/1").get_data(as_text=True)
    assert 'id="boundary-activate"' not in html
    assert "/admin/boundaries" in office.get("/office").get_data(as_text=True)


def test_the_command_line_and_the_page_share_one_service(app, tmp_path):
    from fieldcheck.cli import main

    def cli(*args):
        return app.test_cli_runner().invoke(main, list(args))

    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(one_bad_feature()), encoding="utf-8")
    result = cli("import-boundaries", str(path))
    assert result.exit_code == 1 and "feature 3 (community C003" in result.output
    path = tmp_path / "small.geojson"
    path.write_text(json.dumps(small_district()), encoding="utf-8")
    assert cli("import-boundaries", str(path)).exit_code == 0
    assert [a[1:] for a in actions(app)] == [
        ("boundaries.upload", "boundaries:1"),
        ("boundaries.activate", "boundaries:1"),
    ]
    assert in_force(app) == 1
