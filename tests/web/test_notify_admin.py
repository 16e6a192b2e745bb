"""The administrator's robot page and API (targets, test message, failed messages) and each user's e-mail
opt-in page."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from fieldcheck.extensions import db
from fieldcheck.notify import worker
from fieldcheck.notify.models import Delivery, NotifyPreference, NotifyTarget
from fieldcheck.types import utcnow
from tests.conftest import csrf_token_from
from tests.notify_standins import RobotStandIn
from tests.web.test_notify_worker import add_target
from tests.web.test_workflow_api import error_of


@pytest.fixture
def robots():
    stand_in = RobotStandIn(secret="SECtest")
    yield stand_in
    stand_in.close()


def failed_delivery(app, target_id: int, n: int = 2) -> list[int]:
    """A message of ``n`` items that was given up on (one batch, one key)."""
    now = utcnow()
    key = str(uuid.uuid4())
    with app.app_context():
        rows = [
            Delivery(
                idempotency_key=key if i == 0 else str(uuid.uuid4()),
                channel="wecom",
                target_id=target_id,
                kind="dispatched",
                payload={"item_zh": f"事项{i}", "community_name": "王城社区"},
                created_at=now - timedelta(hours=25),
                next_attempt_at=now + timedelta(hours=1),
                attempts=9,
                batch_key=key,
                batched_at=now - timedelta(hours=25),
                failed_at=now,
                last_error="HTTP 503",
            )
            for i in range(n)
        ]
        db.session.add_all(rows)
        db.session.commit()
        return [r.id for r in rows]


def page_of(browser, path="/admin/notify"):
    r = browser.get(path)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_the_admin_adds_tests_and_removes_a_robot_on_the_page(app, people, browser_for, robots):
    admin = browser_for("admin")
    token = csrf_token_from(page_of(admin))
    r = admin.post(
        "/admin/notify/targets",
        data={
            "csrf_token": token,
            "scope": "community:C001",
            "kind": "dingtalk",
            "url": robots.dingtalk_url("t0ken"),
            "secret": "SECtest",
        },
    )
    assert r.status_code == 302
    html = page_of(admin)
    assert "community:C001" in html and "t0ken" not in html and "/robot/send?…" in html
    with app.app_context():
        target_id = db.session.scalar(select(NotifyTarget.id))
    r = admin.post(f"/admin/notify/targets/{target_id}/test", data={"csrf_token": token})
    assert r.status_code == 302
    assert robots.errors == [] and len(robots.accepted) == 1
    assert "测试消息" in next(iter(robots.accepted.values()))["text"]
    assert "测试消息已发送" in page_of(admin)
    robots.fail = True
    admin.post(f"/admin/notify/targets/{target_id}/test", data={"csrf_token": token})
    assert "HTTP 503" in page_of(admin)
    # A bad address is refused on the page, nothing added.
    r = admin.post(
        "/admin/notify/targets",
        data={"csrf_token": token, "scope": "office", "kind": "wecom", "url": "ftp://x"},
    )
    assert r.status_code == 400 and 'role="alert"' in r.get_data(as_text=True)
    r = admin.post(f"/admin/notify/targets/{target_id}/delete", data={"csrf_token": token})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(NotifyTarget.id)) is None


def test_the_office_reads_the_robot_page_and_only_the_admin_changes_it(app, people, browser_for):
    target = add_target(app, "office", "wecom", "http://127.0.0.1:9/x?key=secret")
    failed_delivery(app, target)
    html = page_of(browser_for("office"))
    assert "http://127.0.0.1:9/x?…" in html and "HTTP 503" in html
    assert "/admin/notify/targets" not in html and "/retry" not in html  # no forms
    assert browser_for("office").post(f"/admin/notify/targets/{target}/delete").status_code in (400, 403)
    assert browser_for("c1").get("/admin/notify").status_code == 403


def test_a_failed_message_is_listed_and_retried_with_its_key(app, people, browser_for, robots):
    target = add_target(app, "community:C001", "wecom", robots.wecom_url())
    ids = failed_delivery(app, target)
    admin = browser_for("admin")
    html = page_of(admin)
    assert f'data-delivery="{ids[1]}"' in html and "HTTP 503" in html
    r = admin.post(f"/admin/notify/failed/{ids[1]}/retry", data={"csrf_token": csrf_token_from(html)})
    assert r.status_code == 302
    assert "HTTP 503" not in page_of(admin)
    with app.app_context():
        result = worker.run_once()
    assert (result.messages, result.sent) == (1, 2)
    with app.app_context():
        key = db.session.get(Delivery, ids[0]).batch_key
    assert list(robots.accepted) == [key]  # the same message, with the key it had


def test_a_failed_message_is_dismissed(app, people, browser_for):
    target = add_target(app, "office", "wecom", "http://127.0.0.1:9/x")
    ids = failed_delivery(app, target)
    admin = browser_for("admin")
    r = admin.post(
        f"/admin/notify/failed/{ids[0]}/dismiss", data={"csrf_token": csrf_token_from(page_of(admin))}
    )
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Delivery.id)) is None


def test_the_failed_messages_api(app, client, people, robots):
    target = add_target(app, "community:C001", "wecom", robots.wecom_url())
    ids = failed_delivery(app, target)
    assert client.get("/api/v1/admin/notify-failed", headers=people["office"]).status_code == 403
    body = client.get("/api/v1/admin/notify-failed", headers=people["admin"]).get_json()
    assert [i["id"] for i in body["items"]] == sorted(ids, reverse=True)
    assert body["items"][0]["destination"] == "community:C001" and body["next_cursor"] is None
    r = client.post(f"/api/v1/admin/notify-failed/{ids[0]}/retry", headers=people["admin"])
    assert r.status_code == 200 and r.get_json() == {"retried": 2}
    r = client.post(f"/api/v1/admin/notify-failed/{ids[0]}/retry", headers=people["admin"])
    assert r.status_code == 404  # no longer failed
    assert client.delete(f"/api/v1/admin/notify-failed/{ids[0]}", headers=people["admin"]).status_code == 404
    r = client.post(f"/api/v1/admin/notify-targets/{target}/test", headers=people["admin"])
    assert r.get_json() == {"ok": True, "error": None}
    r = client.post("/api/v1/admin/notify-targets/999999/test", headers=people["admin"])
    assert r.status_code == 404 and error_of(r)["code"] == "not_found"


def test_a_user_opts_in_to_e_mail_on_their_page(app, client, people, browser_for, make_report):
    c1 = browser_for("c1")
    html = page_of(c1, "/notifications")
    assert 'href="/notifications/settings"' in html
    token = csrf_token_from(page_of(c1, "/notifications/settings"))
    r = c1.post(
        "/notifications/settings", data={"csrf_token": token, "email": "not an address", "email_opt_in": "1"}
    )
    assert r.status_code == 400 and 'role="alert"' in r.get_data(as_text=True)
    r = c1.post("/notifications/settings", data={"csrf_token": token, "email": "", "email_opt_in": "1"})
    assert r.status_code == 400
    r = c1.post(
        "/notifications/settings",
        data={"csrf_token": token, "email": "c1@example.gov.cn", "email_opt_in": "1"},
    )
    assert r.status_code == 302
    assert 'value="c1@example.gov.cn"' in page_of(c1, "/notifications/settings")
    make_report("dispatched")
    with app.app_context():
        emails = db.session.scalars(select(Delivery.user_id).where(Delivery.channel == "email")).all()
        pref = db.session.scalars(select(NotifyPreference)).one()
    assert emails == [pref.user_id] and pref.email_opt_in
    # Turning it off stops e-mail (the address stays).
    c1.post("/notifications/settings", data={"csrf_token": token, "email": "c1@example.gov.cn"})
    make_report("dispatched")
    with app.app_context():
        assert len(db.session.scalars(select(Delivery.id).where(Delivery.channel == "email")).all()) == 1
