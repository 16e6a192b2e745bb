"""Every route, as every role, with hostile values in its path, query, form and JSON body: never a 5xx,
and nothing stored.

The routes come from ``app.url_map``, so a new route is walked without editing this file. Each request
puts hostile values in one place at a time: every field at once (one request per value), then one field
at a time with good values in the others (so a refusal of the first field cannot hide a crash in a
later one), then each path segment. The "good" values are chosen so that a request whose hostile field
happens to be acceptable is still refused before it stores anything: a stale ``version`` for workflow
moves, an ``observed_at`` in the future for filings (read last), the current month for publishing (not
over yet), no photos.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from fieldcheck.extensions import db
from fieldcheck.months import Month
from fieldcheck.ranking.models import RankingSnapshot
from fieldcheck.reports.models import Event, Photo, Report, Visit
from tests.conftest import login
from tests.web.reporting import blob_files

ROLES = ("anonymous", "inspector", "community", "office", "admin")
USERS = {"inspector": "insp", "community": "c1", "office": "office", "admin": "admin"}

HOSTILE_MONTHS = ["9999-12", "0000-01", "2026-0²", "٢٠٢٦-١١", "２０２６-11", "2026-13"]
HOSTILE_TEXT = [
    *HOSTILE_MONTHS,
    "a\x00b",
    "1e999",
    "NaN",
    "9" * 400,
    "-1",
    "1.5",
    "１２",
    "x" * 5000,
    "<script>alert(1)</script>",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "2026-02-30",
]
# What a JSON body can carry beyond text: raw tokens, written into the body as they are.
HOSTILE_JSON = [json.dumps(v) for v in ("a\x00b", "２０２６-11", "9999-12", "x" * 5000)] + [
    "1e999",
    "-1e999",
    "NaN",
    "Infinity",
    "1" + "0" * 30,
    "-1",
    "1.5",
    "true",
    "null",
    "[]",
    "{}",
    '["x"]',
    '{"a": 1}',
    '"\\u0000"',
]
PATH_VALUES = [*HOSTILE_MONTHS, "a\x00b", "9" * 30, "x" * 300, "2026-03.pdf", "١٢"]

# Field names any route might read; routes ignore the ones they do not use.
FIELDS = [
    "month",
    "community",
    "status",
    "page",
    "per_page",
    "geometry",
    "lat",
    "lon",
    "live",
    "breakdowns",
    "note",
    "reason",
    "version",
    "decision",
    "planned_date",
    "username",
    "password",
    "client_id",
    "item_code",
    "observed_at",
    "instances",
    "accuracy_m",
    "location_source",
    "spot",
    "next",
    "code",
]


def good_values() -> dict[str, str]:
    this_month = str(Month.of(datetime.now(UTC), ZoneInfo("Asia/Shanghai")))
    return {
        "month": this_month,
        "community": "C001",
        "status": "dispatched",
        "page": "1",
        "per_page": "5",
        "geometry": "0",
        "lat": "34.655",
        "lon": "112.405",
        "live": "0",
        "breakdowns": "0",
        "note": "ok",
        "reason": "ok",
        "version": "999",
        "decision": "accept",
        "planned_date": "2099-01-01",
        "username": "office",
        "password": "not-the-password",
        "client_id": "3f2b8c1e-5d4a-4c1b-9e7f-0a1b2c3d4e5f",
        "item_code": "ENV-02",
        "observed_at": "2099-01-01T00:00:00+08:00",
        "instances": "1",
        "accuracy_m": "5",
        "location_source": "device",
        "spot": "",
        "next": "/",
        "code": "C001",
        "effective_month": "2026-01",  # version 1's own first month: scheduling it changes nothing
        "source": "ok",
        "name_0": "元旦",
        "from_0": "2099-01-01",
        "to_0": "",
        "workdays": "",
    }


@pytest.fixture
def world(app, people, make_report, monkeypatch):
    """Users of each role (the `people` template's insp, c1, office and admin, with their API tokens),
    one dispatched report with a photo (rows and files from the report factory: filing is not the
    subject here) and the path values that name real things."""
    from werkzeug.security import generate_password_hash

    from fieldcheck.reports.models import Photo

    # An unknown username is checked against a dummy hash of production cost; the suite's users are cheap.
    monkeypatch.setattr(
        "fieldcheck.auth.services._DUMMY_HASH",
        generate_password_hash("x", "pbkdf2:sha256:1000"),
        raising=False,
    )
    headers = {role: people[name] for role, name in USERS.items()}
    report_id = make_report("dispatched", community="C001", inspector="insp")
    with app.app_context():
        photo_id = db.session.scalar(select(func.min(Photo.id)).where(Photo.report_id == report_id))
        db.session.remove()
    report = {"id": report_id, "photos": [{"id": photo_id}]}
    good_path = {
        "report_id": str(report["id"]),
        "photo_id": str(report["photos"][0]["id"]),
        "variant": "display",
        "month": good_values()["month"],
        "code": "C001",
        "name": "verify",
        "action": "void",
        "filename": "app.css",
        "token_id": "1",
        "year": "2026",
    }
    return headers, good_path


def stored(app) -> dict:
    with app.app_context():
        out = {
            m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Report, Photo, Event, Visit, RankingSnapshot)
        }
    out["files"] = len(blob_files(app))
    return out


# Routes that end the session or token the walk's other requests use: walked last, each after the rest.
SESSION_ENDING = ("api.revoke_token", "api.revoke_current_token", "auth.password")


def routes(app):
    ordered = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint in SESSION_ENDING, r.rule))
    for rule in ordered:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def fill(rule, values: dict[str, str]) -> str:
    """The rule's path with each argument from ``values``; an argument not named there (a new route's id) is 1."""
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(r"<(?:[^:<>]+:)?" + name + ">", values.get(name, "1").replace("\\", "\\\\"), path)
    return path


PAGE_FIELDS = {
    "auth.login": ["username", "password", "next"],
    "auth.set_language": ["next"],
    "ranking.index": ["month"],
    "home.subdistrict": ["community", "cursor"],
    "reports.mine": ["cursor"],
    "reports.my_visits": ["cursor"],
    "workflow.office_queue": ["cursor", "subdistrict", "community", "item"],
    "home.community": ["tab", "cursor"],
    "admin.settings_page": ["document.issuer", "document.number_pattern", "disclosure.inspector"],
    "reports.submit_report": [
        "client_id",
        "item_code",
        "lat",
        "lon",
        "accuracy_m",
        "location_source",
        "observed_at",
        "instances",
        "note",
        "community",
        "spot",
    ],
    "reports.submit_visit": [
        "client_id",
        "lat",
        "lon",
        "accuracy_m",
        "location_source",
        "observed_at",
        "note",
        "community",
        "spot",
    ],
    "workflow.act": [
        "note",
        "reason",
        "version",
        "decision",
        "planned_date",
        "lat",
        "lon",
        "community",
        "next",
    ],
}
PAGE_FIELDS.update(
    {
        "checklist.upload": ["effective_month"],
        "checklist.schedule": ["effective_month"],
        "calendar.save": ["source", "name_0", "from_0", "to_0", "workdays"],
    }
)
QUIET_ENDPOINTS = {"static", "reports.service_worker", "reports.manifest", "api.openapi"}


def fields_of(rule) -> list[str]:
    """The fields a route reads: from the OpenAPI description for the API, from PAGE_FIELDS for pages,
    none for static files; every known field for a route described nowhere (a new one)."""
    from tests.openapi_spec import api_spec

    SPEC = api_spec()

    if rule.endpoint in PAGE_FIELDS:
        return PAGE_FIELDS[rule.endpoint]
    if rule.endpoint in QUIET_ENDPOINTS or not rule.rule.startswith("/api/"):
        return []
    documented = SPEC["paths"].get(
        re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
    )
    if documented is None:
        return FIELDS
    names = []
    for operation in documented.values():
        names += [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        for content in operation.get("requestBody", {}).get("content", {}).values():
            names += list(content["schema"].get("properties", {}))
    return sorted(set(names) - {"photos"})


def requests_for(rule, method: str, good_path: dict[str, str]):
    """(path, query or form fields, raw JSON) for each hostile request on this route and method."""
    good = good_values()
    base = fill(rule, good_path)
    post = method != "GET"
    # Every field hostile at once.
    for value in HOSTILE_TEXT:
        yield base, dict.fromkeys(FIELDS, value), None
    if post:
        for token in HOSTILE_JSON:
            yield base, None, "{" + ", ".join(f'"{f}": {token}' for f in FIELDS) + "}"
    # One field at a time, the others good.
    for field in fields_of(rule):
        for value in ("a\x00b", "1e999", "２０２６-11", "0001-01-01T00:00:00+14:00"):
            yield base, {**good, field: value}, None
        if post:
            for token in ("1e999", "1" + "0" * 30, '["x"]'):
                yield base, None, json.dumps(good)[:-1] + f', "{field}": {token}' + "}"
    # Each path segment.
    for name in rule.arguments:
        for value in PATH_VALUES:
            yield fill(rule, {**good_path, name: value.replace("/", "%2F")}), good, None


def send(client, method, path, fields, raw_json, headers):
    """The answer's status; an exception the app let through counts as a 500."""
    kwargs: dict = {"method": method, "headers": headers}
    if fields is not None:
        kwargs["query_string" if method == "GET" else "data"] = fields
    if raw_json is not None:
        kwargs["data"] = raw_json
        kwargs["content_type"] = "application/json"
    try:
        return client.open(path, **kwargs).status_code
    except Exception as exc:  # TESTING propagates exceptions instead of answering 500
        return f"500 ({type(exc).__name__}: {str(exc)[:80]})"


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_5xx_or_stores_anything_for_hostile_input(app, world, role):
    headers, good_path = world
    page_client, throwaway = app.test_client(), app.test_client()
    if role != "anonymous":
        assert login(page_client, USERS[role]).status_code == 302
        assert login(throwaway, USERS[role]).status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False  # reach the routes' own checks on the pages' forms
    api_headers = headers.get(role, {})
    before = stored(app)
    failures = []
    sent = 0
    for rule, method in routes(app):
        if rule.endpoint == "auth.logout":
            continue  # ends the session the other requests use; walked below with a client of its own
        api = rule.rule.startswith("/api/")
        client = app.test_client() if api else page_client
        for path, fields, raw_json in requests_for(rule, method, good_path):
            status = send(client, method, path, fields, raw_json, api_headers if api else {})
            sent += 1
            if not isinstance(status, int) or status >= 500:
                failures.append(
                    f"{method} {path[:80]!r} fields={str(fields)[:60]!r} "
                    f"json={str(raw_json)[:60]!r}: {status}"
                )
    for value in HOSTILE_TEXT:
        status = send(throwaway, "POST", "/logout", {"next": value, "csrf_token": value}, None, {})
        if not isinstance(status, int) or status >= 500:
            failures.append(f"POST /logout next={value[:40]!r}: {status}")
    assert not failures, f"{len(failures)} of {sent} requests answered 5xx:\n" + "\n".join(failures[:40])
    assert stored(app) == before


def test_deeply_nested_json_is_a_400_not_a_crash(client, world):
    headers, good_path = world
    body = "[" * 100_000 + "]" * 100_000
    # The token route refuses any body over its login limit first (413); the void route reads it (400).
    for path, status, code in (
        ("/api/v1/auth/token", 413, "too_large"),
        (f"/api/v1/reports/{good_path['report_id']}/void", 400, "bad_input"),
    ):
        response = client.post(path, data=body, content_type="application/json", headers=headers["office"])
        assert response.status_code == status, path
        assert response.get_json()["error"]["code"] == code


@pytest.mark.parametrize("where", ["query", "form", "json", "path", "header"])
def test_a_nul_anywhere_is_a_400_with_the_error_shape(client, world, where):
    headers, good_path = world
    office = headers["office"]
    report = good_path["report_id"]
    if where == "query":
        response = client.get("/api/v1/reports?community=C0\x0001", headers=office)
    elif where == "form":
        response = client.post(f"/api/v1/reports/{report}/void", data={"reason": "a\x00b"}, headers=office)
    elif where == "json":
        response = client.post(f"/api/v1/reports/{report}/void", json={"reason": "a\x00b"}, headers=office)
    elif where == "path":
        response = client.get("/api/v1/rankings/2026-0\x003", headers=office)
    else:
        response = client.get("/api/v1/me", headers={"Authorization": "Bearer abc\x00def"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_input"


def test_a_nul_in_the_login_form_is_a_readable_400_page(app, world):
    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post("/login", data={"username": "office\x00", "password": "pw-12345678"})
    assert response.status_code == 400 and b"<html" in response.data.lower()


def test_an_id_beyond_any_row_is_404_not_an_overflow(client, world):
    headers, _good = world
    for path in ("/api/v1/reports/99999999999999999999", "/api/v1/photos/99999999999999999999/display"):
        response = client.get(path, headers=headers["office"])
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_a_refused_page_does_not_look_up_the_user(app, world):
    """The input guard answers before the user loader sees the request: a logged-in user's refused page
    runs no statement (no session lookup) and is drawn as for a visitor, with the guard's message."""
    from tests.web.reporting import recorded_statements

    browser = app.test_client()
    assert login(browser, "office").status_code == 302
    assert b"/logout" in browser.get("/office").data  # logged in: their pages have the logout form
    with recorded_statements(app) as seen:
        response = browser.get("/ranking?month=2026-0%003")
    assert response.status_code == 400 and b"<html" in response.data.lower()
    assert seen == []
    assert b"/logout" not in response.data
    assert b"/logout" in browser.get("/office").data  # still logged in
