"""Issue 15: the spot registry (点位): pages, admin API, import, permissions, the capture page's data and
the ranking's spot types."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from sqlalchemy import select

from fieldcheck.audit import AuditEntry
from fieldcheck.extensions import db
from fieldcheck.geography.models import Spot
from tests.conftest import WEB_PEOPLE, csrf_token_from

EVERYONE = [name for name, _role, _options in WEB_PEOPLE]
READERS = {"office", "admin"}


@pytest.fixture
def registry(app, district):
    """Three spots: two in C001 (one without a position), one in C002."""
    from fieldcheck.geography.services import add_spots

    with app.app_context():
        add_spots(
            [
                {
                    "code": "C001-RES-1",
                    "name": "王城社区3号院",
                    "spot_type": "RES",
                    "community_code": "C001",
                    "lat": 34.655,
                    "lon": 112.405,
                    "responsible_unit": "王城物业",
                },
                {"code": "C001-ALY-1", "name": "王城东巷", "spot_type": "ALY", "community_code": "C001"},
                {
                    "code": "C002-MKT-1",
                    "name": "青年宫农贸市场",
                    "spot_type": "MKT",
                    "community_code": "C002",
                    "lat": 34.655,
                    "lon": 112.415,
                },
            ]
        )
        db.session.commit()


def spots(app) -> dict:
    with app.app_context():
        return {
            s.code: (
                s.name,
                s.spot_type,
                s.community.code,
                s.lat,
                s.lon,
                s.responsible_unit,
                s.contact,
                s.active,
            )
            for s in db.session.scalars(select(Spot))
        }


def entries(app, prefix="spot."):
    with app.app_context():
        rows = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.like(f"{prefix}%")).order_by(AuditEntry.id)
        )
        return [(e.actor, e.action, e.target, e.changes) for e in rows]


def form_post(c, page_url, url, data, **kwargs):
    token = csrf_token_from(c.get(page_url).get_data(as_text=True))
    return c.post(url, data={**data, "csrf_token": token}, **kwargs)


# --- permissions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_every_spot_page_and_api_route_for_every_role(app, client, people, browser_for, registry, who):
    c = browser_for(who)
    for url in ("/admin/spots", "/admin/spots/map", "/admin/spots.geojson?type=RES"):
        assert c.get(url).status_code == (200 if who in READERS else 403), (who, url)
    for url in ("/admin/spots/new", "/admin/spots/C001-RES-1", "/admin/spots/import"):
        assert c.get(url).status_code == (200 if who == "admin" else 403), (who, url)
    token = csrf_token_from(c.get("/account/password").get_data(as_text=True))
    if who != "admin":
        for url in ("/admin/spots/new", "/admin/spots/C001-RES-1", "/admin/spots/C001-RES-1/active"):
            assert c.post(url, data={"csrf_token": token, "name": "x", "active": "no"}).status_code == 403
    api = people[who]
    expected = 200 if who == "admin" else 403
    assert client.get("/api/v1/admin/spots", headers=api).status_code == expected
    new = {"code": f"NEW-{who}", "name": "新点位", "type": "RES", "community": "C003"}
    assert client.post("/api/v1/admin/spots", json=new, headers=api).status_code == (
        201 if who == "admin" else 403
    )
    patched = client.patch("/api/v1/admin/spots/C002-MKT-1", json={"contact": who}, headers=api)
    assert patched.status_code == expected
    if who != "admin":  # refused before anything happened
        assert spots(app)["C002-MKT-1"][6] == "" and f"NEW-{who}" not in spots(app)


# --- pages ----------------------------------------------------------------------------------------------


def test_the_list_filters_by_type_community_and_state_and_pages_by_code(app, people, browser_for, registry):
    office = browser_for("office")
    page = office.get("/admin/spots?community=C001").get_data(as_text=True)
    assert re.findall(r'data-code="([^"]+)"', page) == ["C001-ALY-1", "C001-RES-1"]
    assert "王城物业" in page and 'href="/admin/spots/new"' not in page  # the office reads only
    page = office.get("/admin/spots?type=MKT").get_data(as_text=True)
    assert re.findall(r'data-code="([^"]+)"', page) == ["C002-MKT-1"]
    from fieldcheck.spots import services

    with app.app_context():
        first, after, total = services.list_spots(services.SpotFilter(), limit=2)
        rest, end, _total = services.list_spots(services.SpotFilter(), after=after, limit=2)
    assert [s.code for s in first] == ["C001-ALY-1", "C001-RES-1"] and total == 3
    assert [s.code for s in rest] == ["C002-MKT-1"] and end is None


def test_the_admin_adds_edits_and_deactivates_a_spot_in_the_browser(app, people, browser_for, registry):
    admin = browser_for("admin")
    added = form_post(
        admin,
        "/admin/spots/new",
        "/admin/spots/new",
        {
            "code": "c003-xing-1",
            "name": "涧河路口",
            "type": "XING",
            "community": "C003",
            "lat": "34.655",
            "lon": "112.425",
        },
    )
    assert added.status_code == 302
    assert spots(app)["C003-XING-1"] == ("涧河路口", "XING", "C003", 34.655, 112.425, "", "", True)
    saved = form_post(
        admin,
        "/admin/spots/C003-XING-1",
        "/admin/spots/C003-XING-1",
        {
            "name": "涧河路与周公路口",
            "type": "XING",
            "community": "C003",
            "lat": "",
            "lon": "",
            "contact": "李明 0379-61234567",
        },
    )
    assert saved.status_code == 302
    assert spots(app)["C003-XING-1"][3:] == (None, None, "", "李明 0379-61234567", True)
    off = form_post(admin, "/admin/spots/C003-XING-1", "/admin/spots/C003-XING-1/active", {"active": "no"})
    assert off.status_code == 302 and spots(app)["C003-XING-1"][-1] is False
    log = entries(app)
    assert [(actor, action, target) for actor, action, target, _ in log] == [
        ("admin", "spot.create", "spot:C003-XING-1"),
        ("admin", "spot.update", "spot:C003-XING-1"),
        ("admin", "spot.deactivate", "spot:C003-XING-1"),
    ]
    assert log[1][3]["name"] == ["涧河路口", "涧河路与周公路口"] and log[1][3]["lat"] == [34.655, None]
    assert log[2][3] == {"active": [True, False]}
    assert 'data-code="C003-XING-1"' in admin.get("/admin/spots?active=no").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"code": "C001-RES-1", "name": "重复", "type": "RES", "community": "C001"}, "code"),
        ({"code": "NEW-1", "name": "x", "type": "ZOO", "community": "C001"}, "type"),
        ({"code": "NEW-1", "name": "x", "type": "RES", "community": "C999"}, "community"),
        ({"code": "NEW-1", "name": "x", "type": "RES", "community": "C001", "lat": "34.6"}, None),
        ({"code": "NEW-1", "name": "", "type": "RES", "community": "C001"}, "name"),
        ({"code": "含中文", "name": "x", "type": "RES", "community": "C001"}, "code"),
    ],
)
def test_a_bad_spot_is_refused_naming_its_field_and_nothing_is_stored(
    app, people, browser_for, registry, data, field
):
    before = spots(app)
    response = form_post(browser_for("admin"), "/admin/spots/new", "/admin/spots/new", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page
    if field:
        assert f'data-field="{field}"' in page
    assert spots(app) == before and entries(app) == []


# --- import ---------------------------------------------------------------------------------------------

GOOD_CSV = (
    "code,name,type,community,lat,lon,responsible_unit,contact,active\r\n"
    "C003-XING-1,涧河路口,XING,C003,34.655,112.425,区交警大队,王伟,yes\r\n"
    "C001-RES-1,王城社区3号院,RES,C001,34.655,112.405,王城物业,张芳 0379-61112222,yes\r\n"
    "C001-ALY-1,王城东巷,ALY,C001,,,,,no\r\n"
)
BAD_CSV = (
    "code,name,type,community,lat,lon\r\n"
    "C003-XING-1,涧河路口,XING,C003,34.655,112.425\r\n"
    "C003-ZOO-1,动物园,ZOO,C003,,\r\n"
    "C009-RES-1,无此社区,RES,C009,,\r\n"
    "C003-XING-1,又一个,XING,C003,95,112\r\n"
)


def upload(c, data: str, name="spots.csv", **extra):
    return form_post(
        c,
        "/admin/spots/import",
        "/admin/spots/import",
        {"file": (io.BytesIO(data.encode("utf-8")), name), **extra},
        content_type="multipart/form-data",
    )


def test_an_import_with_bad_rows_lists_every_problem_and_stores_nothing(app, people, browser_for, registry):
    before = spots(app)
    response = upload(browser_for("admin"), BAD_CSV)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-where="([^"]+)"( class="bad")?', page))
    assert rows == {
        "line 2": "",
        "line 3": ' class="bad"',
        "line 4": ' class="bad"',
        "line 5": ' class="bad"',
    }
    assert 'id="import-confirm"' not in page  # nothing to confirm
    assert spots(app) == before and entries(app) == []


def test_a_good_import_is_previewed_then_stored_whole_with_its_audit(app, people, browser_for, registry):
    admin = browser_for("admin")
    preview = upload(admin, GOOD_CSV)
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert 'id="import-confirm"' in page and spots(app)["C001-ALY-1"][-1] is True  # nothing stored yet
    text = re.search(r'<textarea name="text" hidden>(.*?)</textarea>', page, re.S).group(1)
    confirmed = form_post(
        admin,
        "/admin/spots/import",
        "/admin/spots/import",
        {"confirm": "yes", "text": html.unescape(text), "name": "spots.csv"},
    )
    assert confirmed.status_code == 302
    after = spots(app)
    assert after["C003-XING-1"] == ("涧河路口", "XING", "C003", 34.655, 112.425, "区交警大队", "王伟", True)
    assert after["C001-ALY-1"][-1] is False and after["C001-RES-1"][6] == "张芳 0379-61112222"
    actions = [action for _actor, action, _target, _changes in entries(app)]
    assert sorted(actions) == ["spot.create", "spot.deactivate", "spot.import", "spot.update"]
    [summary] = [changes for _a, action, _t, changes in entries(app) if action == "spot.import"]
    assert summary["new"] == [None, 1] and summary["changed"] == [None, 2]


def test_the_api_imports_geojson_all_or_nothing(app, client, people, registry):
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [112.435, 34.655]},
                "properties": {
                    "code": "C004-PARK-1",
                    "name": "周公游园",
                    "spot_type": "PARK",
                    "community": "C004",
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[112.4, 34.6], [112.5, 34.7]]},
                "properties": {"code": "C004-ROAD-1", "name": "周公路", "type": "ROAD", "community": "C004"},
            },
        ],
    }
    headers = people["admin"]

    def post(data, **form):
        return client.post(
            "/api/v1/admin/spots/import",
            data={"file": (io.BytesIO(json.dumps(data).encode()), "spots.geojson"), **form},
            headers=headers,
            content_type="multipart/form-data",
        )

    refused = post(collection)
    assert refused.status_code == 400
    error = refused.get_json()["error"]
    assert error["code"] == "import_rows"
    assert [(r["where"], "problem" in r) for r in error["rows"]] == [
        ("feature 1", False),
        ("feature 2", True),
    ]
    assert "C004-PARK-1" not in spots(app)
    collection["features"].pop()
    checked = post(collection, preview="1")
    assert (
        checked.status_code == 200
        and checked.get_json()["stored"] is False
        and "C004-PARK-1" not in spots(app)
    )
    stored = post(collection)
    assert stored.status_code == 201 and stored.get_json()["counts"] == {
        "new": 1,
        "changed": 0,
        "unchanged": 0,
    }
    assert spots(app)["C004-PARK-1"][:5] == ("周公游园", "PARK", "C004", 34.655, 112.435)


# --- API --------------------------------------------------------------------------------------------------


def test_the_api_lists_adds_and_changes_spots(app, client, people, registry):
    headers = people["admin"]
    page = client.get("/api/v1/admin/spots?limit=2", headers=headers).get_json()
    assert [s["code"] for s in page["spots"]] == ["C001-ALY-1", "C001-RES-1"] and page["total"] == 3
    rest = client.get(f"/api/v1/admin/spots?limit=2&after={page['next']}", headers=headers).get_json()
    assert [s["code"] for s in rest["spots"]] == ["C002-MKT-1"] and rest["next"] is None
    only = client.get("/api/v1/admin/spots?type=MKT&community=C002&active=yes", headers=headers).get_json()
    assert [s["code"] for s in only["spots"]] == ["C002-MKT-1"]
    assert only["spots"][0] == {
        "code": "C002-MKT-1",
        "name": "青年宫农贸市场",
        "type": "MKT",
        "community": "C002",
        "community_name": "青年宫社区",
        "lat": 34.655,
        "lon": 112.415,
        "responsible_unit": "",
        "contact": "",
        "active": True,
    }
    added = client.post(
        "/api/v1/admin/spots",
        json={
            "code": "c003-wc-1",
            "name": "涧河公厕",
            "type": "wc",
            "community": "C003",
            "lat": 34.65,
            "lon": 112.42,
        },
        headers=headers,
    )
    assert added.status_code == 201 and added.get_json()["spot"]["code"] == "C003-WC-1"
    changed = client.patch(
        "/api/v1/admin/spots/C003-WC-1", json={"active": False, "contact": "赵敏"}, headers=headers
    )
    assert changed.status_code == 200
    assert changed.get_json()["changed"] == {"active": [True, False], "contact": ["", "赵敏"]}
    for body, code in [
        ({"code": "C003-WC-2"}, "invalid_code"),
        ({"colour": "red"}, "unknown_field"),
        ({"active": "maybe"}, "invalid_active"),
        ({"lat": 34.6}, "invalid_location"),
        ({"community": "C999"}, "invalid_community"),
    ]:
        response = client.patch("/api/v1/admin/spots/C003-WC-1", json=body, headers=headers)
        assert response.status_code == 400 and response.get_json()["error"]["code"] == code, body
    missing = client.patch("/api/v1/admin/spots/NOPE", json={"name": "x"}, headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "unknown_spot"
    taken = client.post(
        "/api/v1/admin/spots",
        json={"code": "C003-WC-1", "name": "x", "type": "WC", "community": "C003"},
        headers=headers,
    )
    assert taken.status_code == 400 and taken.get_json()["error"]["code"] == "spot_taken"
    assert [a for _actor, a, _t, _c in entries(app)] == ["spot.create", "spot.update"]


# --- the capture page's data ------------------------------------------------------------------------------


def test_the_capture_page_names_the_active_spots_at_a_versioned_address(app, people, browser_for, registry):
    inspector = browser_for("insp")
    page = inspector.get("/inspector").get_data(as_text=True)
    url = re.search(r'<select name="spot" id="spot" data-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "C001-RES-1" not in page  # the list is not in the page itself
    data = inspector.get(url)
    assert data.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert data.get_json()["spots"] == [
        ["C001-ALY-1", "王城东巷", "ALY", "C001", None, None],
        ["C001-RES-1", "王城社区3号院", "RES", "C001", 34.655, 112.405],
        ["C002-MKT-1", "青年宫农贸市场", "MKT", "C002", 34.655, 112.415],
    ]
    assert inspector.get("/inspector/spots.json?v=old").headers["Cache-Control"] == "no-cache"
    admin = browser_for("admin")  # a deactivated spot is no longer offered, and the page names a new version
    form_post(admin, "/admin/spots/C001-ALY-1", "/admin/spots/C001-ALY-1/active", {"active": "no"})
    again = inspector.get("/inspector").get_data(as_text=True)
    new_url = re.search(r'data-url="([^"]+)"', again).group(1).replace("&amp;", "&")
    assert new_url != url
    assert [s[0] for s in inspector.get(new_url).get_json()["spots"]] == ["C001-RES-1", "C002-MKT-1"]
    assert browser_for("c1").get(new_url).status_code == 403


# --- the ranking's spot types -----------------------------------------------------------------------------


def test_the_ranking_adds_the_types_of_registered_spots_and_of_the_spots_reports_name(
    app, people, registry, make_report
):
    """C001 is recorded with RES and ALY: a report at a market of C001 (a deactivated spot, so only the
    report tells) makes the market's categories count for it. C004 (recorded RES) gains the type of its
    active registered park; C003 (RES, XING) gains nothing."""
    from zoneinfo import ZoneInfo

    from fieldcheck.calendar import local_month
    from fieldcheck.checklist import services as checklist_services
    from fieldcheck.geography.models import Community
    from fieldcheck.ranking.loading import load_facts
    from fieldcheck.reports.models import Report

    with app.app_context():
        community = {c.code: c for c in db.session.scalars(select(Community))}
        market = Spot(
            code="C001-MKT-9", name="王城市场", spot_type="MKT", community=community["C001"], active=False
        )
        park = Spot(code="C004-PARK-1", name="周公游园", spot_type="PARK", community=community["C004"])
        db.session.add_all([market, park])
        db.session.commit()
        market_id = market.id
    report = make_report("dispatched", community="C001", item="MKT-01", spot_id=market_id)
    with app.app_context():
        tz = ZoneInfo(app.config["TIMEZONE"])
        month = local_month(db.session.get(Report, report).observed_at, tz)
        checklist = checklist_services.parse_checklist_document(checklist_services.version_in_force(month))
        types = {c.code: c.spot_types for c in load_facts(month, tz, checklist).communities}
        from fieldcheck.ranking import services as ranking
        from fieldcheck.types import utcnow

        left_out = ranking.compute(
            month, now=utcnow(), tz_name=app.config["TIMEZONE"]
        ).result.breakdown_facts()
        left_out = left_out.not_applicable
    # The market category (applies_only_to MKT) counts for C001 now, and still not for C003.
    assert "MKT" not in left_out["C001"] and "MKT" in left_out["C003"]
    assert types == {
        "C001": ("RES", "ALY", "MKT"),
        "C002": ("RES", "MKT"),
        "C003": ("RES", "XING"),
        "C004": ("RES", "PARK"),
    }


def test_the_command_line_imports_a_spot_file_or_names_every_bad_row(app, registry, tmp_path):
    from fieldcheck.cli import main

    runner = app.test_cli_runner()
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    good.write_text(GOOD_CSV, encoding="utf-8")
    before = spots(app)
    refused = runner.invoke(main, ["import-spots", str(bad)])
    assert refused.exit_code == 1
    assert all(f"line {n}:" in refused.output for n in (3, 4, 5)) and "line 2:" not in refused.output
    assert spots(app) == before
    done = runner.invoke(main, ["import-spots", str(good)])
    assert done.exit_code == 0 and "1 new, 2 changed, 0 unchanged" in done.output
    assert spots(app)["C003-XING-1"][0] == "涧河路口"
    assert [e[0] for e in entries(app)] == ["cli"] * 4
