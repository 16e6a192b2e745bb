"""Issue 15: every administration page and admin API route, for every role.

The routes come from ``app.url_map`` (everything at /admin and under /admin/ or /api/v1/admin/), so a
route added later is checked without editing this file. What each role may do (issue 15: "admin; the
office reads"; the admin API is "admin only; 403 for others"):

- the admin: every route answers (no 401, 403, login redirect or 5xx);
- the office: the pages' GETs answer 200, except the admin-only forms in ``ADMIN_ONLY_PAGES``; every
  page write and every admin API route is 403;
- inspectors, community and sub-district staff: 403 everywhere;
- anonymous visitors: pages redirect to the login page, the API answers 401.

A new GET page that the office must not read goes into ``ADMIN_ONLY_PAGES``. Writes are sent without a
CSRF token check (it is switched off here) so that the permission check is what answers, and nothing a
refused request could have changed has changed.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from fieldcheck.audit import AuditEntry
from fieldcheck.auth.models import User
from fieldcheck.extensions import db

ROLES = {
    "anonymous": None,
    "inspector": "insp",
    "community": "c1",
    "subdistrict": "sd1",
    "office": "office",
    "admin": "admin",
}
# GET pages for the admin alone: forms that change things, and the admin's own home.
ADMIN_ONLY_PAGES = {
    "home.admin",
    "admin.add_user",
    "admin.edit_user",
    "admin.import_users",
    "spots.add_spot",
    "spots.edit_spot",
    "spots.import_spots",
}
# Path values that name real things in the test district; any other argument is "1".
PATH_VALUES = {"username": "insp", "version_id": "1", "year": "2026"}
# Endpoints that must be among the routes found (so that the walk cannot silently find none).
KNOWN = {
    "home.admin",
    "admin.users",
    "admin.audit_log",
    "admin.boundaries",
    "admin.boundary_version",
    "admin.activate_boundaries",
    "api.admin_users",
    "api.api_boundaries",
    "api.api_upload_boundaries",
    "api.api_activate_boundaries",
}


def admin_routes(app) -> list[tuple[str, str, str, bool]]:
    """(endpoint, method, path, is_api) for every administration route, reads before writes."""
    found = []
    for rule in app.url_map.iter_rules():
        api = rule.rule.startswith("/api/v1/admin/")
        if not (api or rule.rule == "/admin" or rule.rule.startswith("/admin/")):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(r"<(?:[^:<>]+:)?" + name + ">", PATH_VALUES.get(name, "1"), path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, path, api))
    return sorted(found, key=lambda r: (r[1] != "GET", r[2], r[1]))


def expected(role: str, endpoint: str, method: str, api: bool) -> str:
    if role == "anonymous":
        return "401" if api else "login"
    if role == "admin":
        return "allowed"
    if role == "office" and not api and method == "GET" and endpoint not in ADMIN_ONLY_PAGES:
        return "200"
    return "403"


def outcome(response) -> str:
    if response.status_code == 302 and "/login" in response.headers.get("Location", ""):
        return "login"
    return str(response.status_code)


def state(app) -> tuple:
    """What a refused write could have changed: the audit log and every user's account."""
    with app.app_context():
        users = db.session.execute(
            select(User.username, User.role, User.active, User.must_change_password, User.password_hash)
        ).all()
        return db.session.scalar(select(func.count()).select_from(AuditEntry)), sorted(users)


def test_the_walk_finds_the_known_administration_routes(app):
    assert {endpoint for endpoint, *_rest in admin_routes(app)} >= KNOWN


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_route_for_every_role(app, people, role):
    username = ROLES[role]
    page_client = app.test_client()
    if username is not None:
        from tests.conftest import login

        assert login(page_client, username).status_code == 302
    app.config["WTF_CSRF_ENABLED"] = False
    headers = people[username] if username else {}
    before = state(app)
    wrong = []
    for endpoint, method, path, api in admin_routes(app):
        client = app.test_client() if api else page_client
        response = client.open(path, method=method, headers=headers if api else {})
        got, want = outcome(response), expected(role, endpoint, method, api)
        if want == "allowed":
            ok = got not in ("401", "403", "login") and response.status_code < 500
        else:
            ok = got == want
        if not ok:
            wrong.append(f"{method} {path} ({endpoint}): {got}, expected {want}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
    if role != "admin":
        assert state(app) == before
