"""Who may do what to a report: every workflow page, form and API route × every role × own and other
scope, generated from one table.

Scopes: "own" is the report's inspector, its community's staff, its sub-district's staff; "other" is
another inspector, community (C002) or sub-district (SD02). Office and admin have no scope. The report
sits in C001 (sub-district SD01), filed by `insp`, and is put in the state the move needs first, so a
refusal is about the user and never about the state.

Expected answers: success (200 from the API and the pages, 302 after a page form) for the move's
owner; 403 for a user who may see the report but not make the move; 404 for a user who may not know
that the report exists. A refusal changes nothing.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from fieldcheck.extensions import db
from fieldcheck.reports.models import Report
from fieldcheck.workflow.rules import Action
from tests.conftest import csrf_token_from, login
from tests.photo_factory import jpeg

# Every role and scope, with the user of the `people` fixture who plays it.
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
VIEWERS = {"inspector/own", "community/own", "subdistrict/own", "office", "admin"}
# An unassigned report has no community, so no community or sub-district staff may see it.
VIEWERS_UNASSIGNED = {"inspector/own", "office", "admin"}
COMMUNITY_MOVE = {"community/own"}
OFFICE_MOVE = {"office", "admin"}
# Verifying a rectification: the office, admin, and the filing inspector on a revisit.
VERIFY_MOVE = OFFICE_MOVE | {"inspector/own"}
# Urging (督办) an overdue item: its sub-district's staff, the office and admin.
URGE_MOVE = OFFICE_MOVE | {"subdistrict/own"}

SOON = datetime.now(UTC).date() + timedelta(days=30)


def state(**fields):
    def apply(report: Report) -> None:
        for name, value in fields.items():
            setattr(report, name, value)

    return apply


class Move:
    """One row of the table: a move, the state it starts from, its fields, and who owns and who sees it."""

    def __init__(self, action, api_path, setup, fields, owners, viewers=VIEWERS, decision=None):
        self.action, self.api_path, self.setup, self.fields = action, api_path, setup, fields
        self.owners, self.viewers, self.decision = owners, viewers, decision

    def expected(self, principal: str, success: int) -> int:
        if principal in self.owners:
            return success
        return 403 if principal in self.viewers else 404


MOVES = {
    Action.RECTIFY: Move(Action.RECTIFY, "/rectify", state(), {"note": "已整改"}, COMMUNITY_MOVE),
    Action.APPEAL: Move(Action.APPEAL, "/appeal", state(), {"reason": "不属于本社区"}, COMMUNITY_MOVE),
    Action.REQUEST_SUSPENSION: Move(
        Action.REQUEST_SUSPENSION,
        "/suspension",
        state(),
        {"reason": "施工", "planned_date": SOON.isoformat()},
        COMMUNITY_MOVE,
    ),
    Action.ACCEPT: Move(
        Action.ACCEPT, "/review", state(status="rectified"), {}, VERIFY_MOVE, decision="accept"
    ),
    Action.REJECT: Move(
        Action.REJECT,
        "/review",
        state(status="rectified"),
        {"note": "不合格"},
        VERIFY_MOVE,
        decision="reject",
    ),
    Action.VOID: Move(Action.VOID, "/void", state(), {"reason": "重复"}, OFFICE_MOVE),
    Action.UPHOLD: Move(
        Action.UPHOLD,
        "/appeal/decide",
        state(status="appealed", appeal_from="dispatched"),
        {"note": "维持"},
        OFFICE_MOVE,
        decision="uphold",
    ),
    Action.GRANT: Move(
        Action.GRANT,
        "/appeal/decide",
        state(status="appealed", appeal_from="dispatched"),
        {"note": "作废"},
        OFFICE_MOVE,
        decision="void",
    ),
    Action.APPROVE_SUSPENSION: Move(
        Action.APPROVE_SUSPENSION,
        "/suspension/decide",
        state(suspension_requested=SOON),
        {},
        OFFICE_MOVE,
        decision="approve",
    ),
    Action.REFUSE_SUSPENSION: Move(
        Action.REFUSE_SUSPENSION,
        "/suspension/decide",
        state(suspension_requested=SOON),
        {},
        OFFICE_MOVE,
        decision="refuse",
    ),
    Action.URGE: Move(
        Action.URGE,
        "/urge",
        state(due_at=datetime(2020, 1, 1, tzinfo=UTC)),
        {"note": "请三日内整改到位"},
        URGE_MOVE,
    ),
    Action.ASSIGN: Move(
        Action.ASSIGN,
        "/assign",
        state(status="reported", community_id=None, due_at=None),
        {"community": "C002"},
        OFFICE_MOVE,
        viewers=VIEWERS_UNASSIGNED,
    ),
}
VIEW = Move(None, "", state(), {}, VIEWERS)

# Pages that belong to a role, whatever report: 200 for that role, 403 for every other.
ROLE_PAGES = {
    "/community": {"community/own", "community/other"},
    "/subdistrict": {"subdistrict/own", "subdistrict/other"},
    "/office": OFFICE_MOVE,
    "/office/queue/verify": OFFICE_MOVE,
    "/office/queue/appeals": OFFICE_MOVE,
    "/office/queue/unassigned": OFFICE_MOVE,
    "/office/queue/suspensions": OFFICE_MOVE,
    # Search: every staff member, within what each may see (inspectors have My reports).
    "/search": {"community/own", "community/other", "subdistrict/own", "subdistrict/other"} | OFFICE_MOVE,
}

# (route, principal, expected status): the API, the report page and its forms, the role pages.
CASES = (
    [("api GET report", p, VIEW.expected(p, 200)) for p in PRINCIPALS]
    + [(f"api {a.value}", p, m.expected(p, 200)) for a, m in MOVES.items() for p in PRINCIPALS]
    + [("page GET report", p, VIEW.expected(p, 200)) for p in PRINCIPALS]
    + [(f"page {a.value}", p, m.expected(p, 302)) for a, m in MOVES.items() for p in PRINCIPALS]
    + [
        (f"page GET {path}", p, 200 if p in owners else 403)
        for path, owners in ROLE_PAGES.items()
        for p in PRINCIPALS
    ]
)


def test_the_table_covers_every_workflow_route(app):
    rules = {rule.rule: rule.methods for rule in app.url_map.iter_rules()}
    api = {r for r in rules if r.startswith("/api/v1/reports/<int:report_id>/")}
    assert api == {"/api/v1/reports/<int:report_id>" + m.api_path for m in MOVES.values()}
    assert set(MOVES) == set(Action)  # and the page form route takes each action by name
    workflow = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("workflow.")}
    assert workflow == {
        "/reports/<int:report_id>",
        "/reports/<int:report_id>/<action>",
        "/office/queue/<name>",
        "/office/queue/verify/accept",  # test_bulk_accept_page_is_the_office_s
        "/search",
    }
    home = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint in ("home.community", "home.subdistrict", "home.office")
    }
    assert home <= set(ROLE_PAGES)


def prepared_report(app, make_report, move: Move) -> int:
    """A report filed by `insp` in C001 (written as rows: filing has its own tests), in the move's state."""
    report_id = make_report("dispatched", community="C001", inspector="insp")
    with app.app_context():
        move.setup(db.session.get(Report, report_id))
        db.session.commit()
    return report_id


def version_of(app, report_id) -> int:
    with app.app_context():
        return db.session.get(Report, report_id).version


def photo_field():
    return [(io.BytesIO(jpeg(seed=5)), "after.jpg")]


def call_api(client, people, principal, report_id, move: Move):
    headers = people[PRINCIPALS[principal]]
    url = f"/api/v1/reports/{report_id}{move.api_path}"
    if move.action is None:
        return client.get(url, headers=headers)
    if move.action is Action.RECTIFY:
        data = {**move.fields, "photos": photo_field()}
        return client.post(url, data=data, headers=headers, content_type="multipart/form-data")
    body = {**move.fields, **({"decision": move.decision} if move.decision else {})}
    return client.post(url, json=body, headers=headers)


def call_page(app, principal, report_id, move: Move):
    browser = app.test_client()
    assert login(browser, PRINCIPALS[principal]).status_code == 302
    url = f"/reports/{report_id}"
    page = browser.get(url)
    if move.action is None:
        return page
    # The form is posted from the report page, as a browser would; where the principal may not see the
    # report, its error page still carries the session's token (the log-out form), so the refusal tested
    # is the move's, not the CSRF check's.
    data = {**move.fields, "csrf_token": csrf_token_from(page.get_data(as_text=True))}
    if move.action is Action.RECTIFY:
        data["photos"] = photo_field()
    return browser.post(f"{url}/{move.action.value}", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize(("route", "principal", "status"), CASES, ids=[f"{r}-{p}" for r, p, _ in CASES])
def test_workflow_permissions(app, client, people, make_report, route, principal, status):
    kind, _, name = route.partition(" ")
    if name.startswith("GET /"):
        browser = app.test_client()
        login(browser, PRINCIPALS[principal])
        response = browser.get(name.removeprefix("GET "))
        assert response.status_code == status
        return
    move = VIEW if name == "GET report" else MOVES[Action(name)]
    report_id = prepared_report(app, make_report, move)
    if kind == "api":
        response = call_api(client, people, principal, report_id, move)
    else:
        response = call_page(app, principal, report_id, move)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    if status >= 400:
        assert version_of(app, report_id) == 1  # a refusal changes nothing
    elif move.action is not None:
        assert version_of(app, report_id) == 2


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_bulk_accept_page_is_the_office_s(app, people, make_report, principal):
    """The verify queue's bulk accept: the office and admin only (the filing inspector verifies one by one)."""
    report_id = make_report("rectified", community="C001", inspector="insp")
    version = version_of(app, report_id)
    browser = app.test_client()
    assert login(browser, PRINCIPALS[principal]).status_code == 302
    landing = browser.get("/", follow_redirects=True).get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(landing), "report": f"{report_id}:{version}"}
    response = browser.post("/office/queue/verify/accept", data=data)
    assert response.status_code == (302 if principal in OFFICE_MOVE else 403)
    assert version_of(app, report_id) == (version + 1 if principal in OFFICE_MOVE else version)
