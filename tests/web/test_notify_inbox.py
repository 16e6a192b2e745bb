"""Notifications are written with the move that causes them; the inbox API and page read and mark them."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from fieldcheck.extensions import db
from fieldcheck.notify.models import Delivery, Notification, NotifyTarget
from fieldcheck.reports.models import Event
from tests.conftest import csrf_token_from
from tests.openapi_spec import api_spec
from tests.web.test_workflow_api import act, error_of, file, rectify


def count(app, model, **where) -> int:
    with app.app_context():
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.scalar(query)


def add_target(app, scope, kind="wecom", url="http://127.0.0.1:9/robot"):
    with app.app_context():
        target = NotifyTarget(scope=scope, kind=kind, url=url)
        db.session.add(target)
        db.session.commit()
        return target.id


def inbox(client, headers, **args):
    r = client.get("/api/v1/notifications", query_string=args, headers=headers)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_a_dispatch_reaches_the_communitys_inbox_and_robots_in_the_same_commit(app, client, people):
    add_target(app, "community:C001")
    add_target(app, "community:C002")
    report = file(client, people)
    body = inbox(client, people["c1"], unread=1)
    assert body["unread"] == 1
    [item] = body["items"]
    assert (item["kind"], item["report_id"], item["read_at"]) == ("dispatched", report["id"], None)
    assert item["url"] == f"/reports/{report['id']}"
    assert inbox(client, people["c2"])["items"] == []
    assert inbox(client, people["office"])["items"] == []
    # One robot delivery for C001's robot, none for C002's.
    with app.app_context():
        rows = db.session.scalars(select(Delivery)).all()
        assert [(d.channel, d.kind, d.report_id, d.sent_at) for d in rows] == [
            ("wecom", "dispatched", report["id"], None)
        ]


def test_a_rejection_carries_the_note_and_a_rectification_tells_inspector_and_office(app, client, people):
    report = file(client, people)
    assert rectify(client, people["c1"], report["id"]).status_code == 200
    insp = inbox(client, people["insp"])["items"]
    assert [i["kind"] for i in insp] == ["revisit_waiting"]
    assert [i["kind"] for i in inbox(client, people["office"])["items"]] == ["verification_waiting"]
    r = act(client, people["office"], report["id"], "review", decision="reject", note="墙角仍有垃圾")
    assert r.status_code == 200
    newest = inbox(client, people["c1"])["items"][0]
    assert (newest["kind"], newest["note"]) == ("rework", "墙角仍有垃圾")


def test_a_move_that_fails_leaves_no_notification(app, client, people):
    add_target(app, "community:C001")
    report = file(client, people)
    before = (count(app, Notification), count(app, Delivery))

    def fail(session, flush_context):  # after the outbox listener has written its rows
        if any(isinstance(obj, Event) for obj in session.new):
            raise RuntimeError("database went away")

    with app.app_context():
        sa_event.listen(db.session, "after_flush", fail)
    try:
        with pytest.raises(RuntimeError):
            act(client, people["office"], report["id"], "void", note="重复上报")
    finally:
        with app.app_context():
            sa_event.remove(db.session, "after_flush", fail)
    assert (count(app, Notification), count(app, Delivery)) == before
    # A refused move (stale version) leaves none either.
    r = act(client, people["office"], report["id"], "void", note="重复上报", version=99)
    assert r.status_code == 409
    assert (count(app, Notification), count(app, Delivery)) == before


def test_a_move_while_every_robot_is_down_never_touches_the_network(app, client, people, monkeypatch):
    add_target(app, "community:C001", url="http://127.0.0.1:1/down")
    add_target(
        app,
        "office",
        kind="dingtalk",
        url="http://127.0.0.1:1/down",
    )
    report = file(client, people)

    def no_network(*args, **kwargs):
        raise AssertionError("a workflow move opened a connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    assert rectify(client, people["c1"], report["id"]).status_code == 200
    assert count(app, Delivery, sent_at=None) == 2  # the dispatch to C001, the office's digest


def test_the_inbox_pages_by_cursor_and_marks_read(app, client, people):
    for _ in range(3):
        file(client, people)
    first = inbox(client, people["c1"], limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = inbox(client, people["c1"], limit=2, cursor=first["next_cursor"])
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    ids = [i["id"] for i in first["items"]]
    assert ids == sorted(ids, reverse=True)

    r = client.post("/api/v1/notifications/read", json={"ids": ids[:1]}, headers=people["c1"])
    assert r.status_code == 200 and r.get_json() == {"updated": 1, "unread": 2}
    # Someone else's ids are not theirs to mark.
    r = client.post("/api/v1/notifications/read", json={"ids": ids}, headers=people["c2"])
    assert r.get_json() == {"updated": 0, "unread": 0}
    r = client.post("/api/v1/notifications/read", json={"all": True}, headers=people["c1"])
    assert r.get_json() == {"updated": 2, "unread": 0}
    assert inbox(client, people["c1"], unread=1)["items"] == []


@pytest.mark.parametrize("body", [{}, {"ids": "1"}, {"ids": [1, "2"]}, {"all": "yes"}, {"ids": [True]}])
def test_bad_read_requests_are_400(client, people, body):
    r = client.post("/api/v1/notifications/read", json=body, headers=people["c1"])
    assert r.status_code == 400 and error_of(r)["code"] == "invalid_ids"


@pytest.mark.parametrize("args", [{"limit": "x"}, {"limit": "1000"}, {"cursor": "-1"}])
def test_bad_inbox_arguments_are_400(client, people, args):
    r = client.get("/api/v1/notifications", query_string=args, headers=people["c1"])
    assert r.status_code == 400, r.get_json()


def test_the_documented_limit_is_the_enforced_one(client, people):
    """The query model is both the description and the parser: the spec's maximum is where 400 begins."""
    params = api_spec()["paths"]["/notifications"]["get"]["parameters"]
    top = next(p for p in params if p["name"] == "limit")["schema"]["maximum"]
    ok = client.get("/api/v1/notifications", query_string={"limit": top}, headers=people["c1"])
    assert ok.status_code == 200
    over = client.get("/api/v1/notifications", query_string={"limit": top + 1}, headers=people["c1"])
    assert over.status_code == 400 and error_of(over)["code"] == "invalid_limit"
    assert error_of(over)["field"] == "limit" and "limit" in error_of(over)["message"]


def test_the_bell_and_the_inbox_page(app, client, people, browser_for):
    report = file(client, people)
    c1 = browser_for("c1")
    page = c1.get("/notifications").get_data(as_text=True)
    assert 'class="bell"' in page and 'class="bell-count">1<' in page
    assert f'href="/reports/{report["id"]}"' in page
    token = csrf_token_from(page)
    assert c1.post("/notifications/read", data={"all": "1"}).status_code == 400  # no CSRF token
    r = c1.post("/notifications/read", data={"all": "1", "csrf_token": token})
    assert r.status_code == 302
    page = c1.get("/notifications").get_data(as_text=True)
    assert 'class="bell-count" hidden>0<' in page


def test_robot_targets_are_managed_by_the_admin_only(app, client, people):
    r = client.post(
        "/api/v1/admin/notify-targets",
        headers=people["office"],
        json={"scope": "office", "kind": "wecom", "url": "https://qyapi.weixin.qq.com/x?key=k"},
    )
    assert r.status_code == 403
    r = client.post(
        "/api/v1/admin/notify-targets",
        headers=people["admin"],
        json={
            "scope": "community:C001",
            "kind": "dingtalk",
            "secret": "SECabc",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=t0ken",
        },
    )
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert created["url"] == "https://oapi.dingtalk.com/robot/send?…" and created["has_secret"] is True
    listed = client.get("/api/v1/admin/notify-targets", headers=people["admin"]).get_json()["items"]
    assert [t["id"] for t in listed] == [created["id"]]
    for body, code in [
        ({"scope": "community:C999", "kind": "wecom", "url": "https://x"}, "unknown_scope"),
        ({"scope": "street:1", "kind": "wecom", "url": "https://x"}, "invalid_scope"),
        ({"scope": "office", "kind": "sms", "url": "https://x"}, "invalid_kind"),
        ({"scope": "office", "kind": "wecom", "url": "ftp://x"}, "invalid_url"),
    ]:
        r = client.post("/api/v1/admin/notify-targets", headers=people["admin"], json=body)
        assert r.status_code == 400 and error_of(r)["code"] == code, (body, r.get_json())
    assert (
        client.delete(f"/api/v1/admin/notify-targets/{created['id']}", headers=people["admin"]).status_code
        == 204
    )
    assert (
        client.delete(f"/api/v1/admin/notify-targets/{created['id']}", headers=people["admin"]).status_code
        == 404
    )


def test_the_bells_count_read_with_the_user_is_forgotten_when_the_request_writes(app, client, people):
    """The session's user comes with their unread count (one query less per page); the bell shows it
    until the request writes anything through its session, then counts again."""
    from datetime import timedelta

    from sqlalchemy import update

    from fieldcheck.auth.lookups import session_user
    from fieldcheck.auth.models import User
    from fieldcheck.auth.services import start_session
    from fieldcheck.notify import inbox as notify_inbox
    from fieldcheck.types import utcnow

    file(client, people)  # one unread notification for c1
    with app.app_context():
        c1 = db.session.scalar(select(User).where(User.username == "c1"))
        key = start_session(c1, utcnow())
        db.session.commit()
        report_id = db.session.scalar(select(Notification.report_id).where(Notification.user_id == c1.id))

        user = session_user(c1.id, key, utcnow(), timedelta(days=1))
        with db.engine.begin() as conn:  # written beside the request, after it read its user
            conn.execute(Notification.__table__.insert().values(user_id=c1.id, kind="dispatched"))
        assert notify_inbox.unread(user.id) == 1  # as read with the user
        db.session.execute(update(Notification).where(Notification.user_id == c1.id).values(read_at=utcnow()))
        assert notify_inbox.unread(user.id) == 0  # a bulk write: counted again
        db.session.rollback()

        user = session_user(c1.id, key, utcnow(), timedelta(days=1))
        assert notify_inbox.unread(user.id) == 2
        db.session.add(Notification(user_id=c1.id, kind="dispatched", report_id=report_id))
        db.session.flush()
        assert notify_inbox.unread(user.id) == 3  # a flush: counted again
        db.session.commit()
        assert notify_inbox.unread(user.id) == 3  # a new transaction counts
