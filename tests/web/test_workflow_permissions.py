"""Who may do what to a report: every workflow route × every role × own and other scope, from one table.

Scopes: "own" is the report's inspector, its community's staff, its sub-district's staff; "other" is
another inspector, community (C002) or sub-district (SD02). Office and admin have no scope. The report
sits in C001 (sub-district SD01), filed by `insp`, and is put in the state the move needs first, so a
refusal is about the user and never about the state.

Expected answers: 200 for the move's owner; 403 for a user who may see the report but not make the
move; 404 for a user who may not know the report exists.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from fieldcheck.extensions import db
from fieldcheck.reports.models import Report
from tests.photo_factory import jpeg
from tests.web.reporting import post_report

# (principal, fixture user name) for every role and scope.
PRINCIPALS = {
    "inspector/own": "insp",
    "inspector/other": "insp2",
    "community/own": "c1",
    "community/other": "c2",
    "subdistrict/own": "sd1",
    "subdistrict/other": "sd2",
    "office": "office",
    "admin": "admin",
}

VIEW = {"inspector/own": 200, "community/own": 200, "subdistrict/own": 200, "office": 200, "admin": 200}
SEES = {p for p, status in VIEW.items() if status == 200}
COMMUNITY_MOVE = {"community/own": 200}
OFFICE_MOVE = {"office": 200, "admin": 200}


def expected(owners: dict[str, int], viewers: set[str] = SEES) -> dict[str, int]:
    """Owners get their status; other viewers 403; everyone else 404."""
    return {p: owners.get(p, 403 if p in viewers else 404) for p in PRINCIPALS}


def set_state(**fields):
    def apply(report: Report) -> None:
        for name, value in fields.items():
            setattr(report, name, value)

    return apply


FUTURE = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()

# route name → (method, path under /api/v1/reports/ID, state setup, body, expected by principal)
ROUTES = {
    "get report": ("GET", "", set_state(), None, expected(VIEW)),
    "rectify": ("POST", "/rectify", set_state(), "photo", expected(COMMUNITY_MOVE)),
    "appeal": ("POST", "/appeal", set_state(), {"reason": "不属于本社区"}, expected(COMMUNITY_MOVE)),
    "request suspension": ("POST", "/suspension", set_state(), {"reason": "施工", "planned_date": FUTURE},
                           expected(COMMUNITY_MOVE)),
    "accept": ("POST", "/review", set_state(status="rectified"), {"decision": "accept"}, expected(OFFICE_MOVE)),
    "reject": ("POST", "/review", set_state(status="rectified"), {"decision": "reject", "note": "不合格"},
               expected(OFFICE_MOVE)),
    "void": ("POST", "/void", set_state(), {"reason": "重复"}, expected(OFFICE_MOVE)),
    "uphold appeal": ("POST", "/appeal/decide", set_state(status="appealed", appeal_from="dispatched"),
                      {"decision": "uphold", "note": "维持"}, expected(OFFICE_MOVE)),
    "grant appeal": ("POST", "/appeal/decide", set_state(status="appealed", appeal_from="dispatched"),
                     {"decision": "void", "note": "作废"}, expected(OFFICE_MOVE)),
    "approve suspension": ("POST", "/suspension/decide",
                           set_state(suspension_requested=datetime.now(UTC).date() + timedelta(days=30)),
                           {"decision": "approve"}, expected(OFFICE_MOVE)),
    "refuse suspension": ("POST", "/suspension/decide",
                          set_state(suspension_requested=datetime.now(UTC).date() + timedelta(days=30)),
                          {"decision": "refuse"}, expected(OFFICE_MOVE)),
    # An unassigned report has no community, so no community or sub-district staff may see it.
    "assign": ("POST", "/assign", set_state(status="reported", community_id=None, due_at=None),
               {"community": "C002"}, expected(OFFICE_MOVE, viewers={"inspector/own", "office", "admin"})),
}

CASES = [(route, principal, spec[4][principal]) for route, spec in ROUTES.items() for principal in PRINCIPALS]


def test_the_table_covers_every_workflow_api_route(app):
    paths = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/reports/<int:report_id>")}
    covered = {"/api/v1/reports/<int:report_id>" + spec[1] for spec in ROUTES.values()}
    assert paths == covered


@pytest.mark.parametrize(("route", "principal", "status"), CASES, ids=[f"{r}-{p}" for r, p, _ in CASES])
def test_workflow_api_permissions(app, client, people, route, principal, status):
    method, path, setup, body, _expected = ROUTES[route]
    report_id = post_report(client, people["insp"]).get_json()["id"]
    with app.app_context():
        setup(db.session.get(Report, report_id))
        db.session.commit()
    headers = people[PRINCIPALS[principal]]
    url = f"/api/v1/reports/{report_id}{path}"
    if method == "GET":
        response = client.get(url, headers=headers)
    elif body == "photo":
        data = {"note": "已整改", "photos": [(io.BytesIO(jpeg(seed=5)), "after.jpg")]}
        response = client.post(url, data=data, headers=headers, content_type="multipart/form-data")
    else:
        response = client.post(url, json=body, headers=headers)
    assert response.status_code == status, response.get_json()
    if status != 200:
        with app.app_context():
            assert db.session.get(Report, report_id).version == 1  # a refusal changes nothing
