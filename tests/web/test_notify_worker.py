"""The notification worker against real local stand-ins: robots over HTTP, e-mail over SMTP; exactly once."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from fieldcheck.extensions import db
from fieldcheck.notify import worker
from fieldcheck.notify.models import Delivery, NotifyPreference, NotifyTarget
from fieldcheck.types import utcnow
from tests.notify_standins import MailStandIn, RobotStandIn
from tests.web.test_workflow_api import file


@pytest.fixture
def robots():
    stand_in = RobotStandIn(secret="SECtest")
    yield stand_in
    stand_in.close()


@pytest.fixture
def mail():
    stand_in = MailStandIn()
    yield stand_in
    stand_in.close()


def add_target(app, scope, kind, url, secret=None):
    with app.app_context():
        target = NotifyTarget(scope=scope, kind=kind, url=url, secret=secret)
        db.session.add(target)
        db.session.commit()
        return target.id


def run(app, **kwargs):
    with app.app_context():
        return worker.run_once(**kwargs)


def deliveries(app):
    with app.app_context():
        rows = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
        db.session.expunge_all()
        return rows


def test_both_robots_get_chinese_markdown_with_a_link_once(app, client, people, robots):
    app.config["PUBLIC_URL"] = "https://wmb.example.gov.cn"
    add_target(app, "community:C001", "wecom", robots.wecom_url())
    add_target(app, "community:C001", "dingtalk", robots.dingtalk_url(), secret="SECtest")
    report = file(client, people)

    result = run(app)
    assert (result.messages, result.sent) == (2, 2)
    assert robots.errors == []
    assert sorted(r["kind"] for r in robots.received) == ["dingtalk", "wecom"]
    for r in robots.received:
        assert "新的待整改案件" in r["text"]
        assert f"(https://wmb.example.gov.cn/reports/{report['id']})" in r["text"]
        assert "王城社区" in r["text"]
    assert all(d.sent_at is not None and d.attempts == 0 for d in deliveries(app))
    # Nothing is due any more.
    assert run(app).messages == 0 and len(robots.received) == 2


def test_a_wrong_dingtalk_secret_is_refused_and_retried(app, client, people, robots):
    add_target(app, "community:C001", "dingtalk", robots.dingtalk_url(), secret="SECwrong")
    file(client, people)
    result = run(app)
    assert (result.sent, result.retry) == (0, 1)
    assert robots.errors == ["dingtalk signature"]
    [row] = deliveries(app)
    assert row.attempts == 1 and "errcode 40035" in row.last_error


def test_email_goes_to_users_who_opted_in(app, client, people, mail):
    app.config["SMTP_URL"] = mail.url
    with app.app_context():
        from fieldcheck.auth.models import User

        c1 = db.session.scalar(select(User).filter_by(username="c1"))
        office = db.session.scalar(select(User).filter_by(username="office"))
        db.session.add(NotifyPreference(user_id=c1.id, email="c1@example.gov.cn", email_opt_in=True))
        db.session.add(NotifyPreference(user_id=office.id, email="office@example.gov.cn", email_opt_in=False))
        db.session.commit()
    file(client, people)
    assert run(app).sent == 1
    [message] = mail.received
    assert message["To"] == "c1@example.gov.cn"
    assert "新的待整改案件" in message["Subject"]
    key = message["X-Idempotency-Key"]
    assert message["Message-ID"] == f"<{key}@fieldcheck>"
    assert f"消息编号：{key}" in message.get_content()


def test_failures_back_off_from_a_minute_to_an_hour_and_give_up_after_a_day(app, client, people, robots):
    add_target(app, "community:C001", "wecom", robots.wecom_url())
    file(client, people)
    robots.fail = True
    t0 = utcnow()
    waits = []
    at = t0
    for _ in range(8):
        assert run(app, now=lambda at=at: at).retry == 1
        [row] = deliveries(app)
        waits.append(row.next_attempt_at - at)
        assert run(app, now=lambda at=at: at + waits[-1] - timedelta(seconds=1)).messages == 0
        at = row.next_attempt_at
    assert [w.total_seconds() / 60 for w in waits] == [1, 2, 4, 8, 16, 32, 60, 60]
    result = run(app, now=lambda: t0 + timedelta(hours=24, minutes=1))
    assert result.failed == 1
    [row] = deliveries(app)
    assert row.failed_at is not None and row.sent_at is None
    robots.fail = False
    assert run(app, now=lambda: t0 + timedelta(hours=30)).messages == 0


def _queue(app, target_id, n, kind="dispatched"):
    now = utcnow()
    with app.app_context():
        db.session.add_all(
            [
                Delivery(
                    idempotency_key=str(uuid.uuid4()),
                    channel="wecom",
                    target_id=target_id,
                    kind=kind,
                    payload={"item_zh": f"事项{i}", "community_name": "王城社区"},
                    created_at=now,
                    next_attempt_at=now,
                )
                for i in range(n)
            ]
        )
        db.session.commit()
    return now


def test_a_robot_gets_at_most_20_messages_a_minute_the_rest_batched_and_waiting(app, people, robots):
    target = add_target(app, "community:C001", "wecom", robots.wecom_url())
    now = _queue(app, target, 250)
    first = run(app, now=lambda: now)
    assert (first.messages, first.sent) == (20, 200)
    assert run(app, now=lambda: now + timedelta(seconds=30)).messages == 0
    second = run(app, now=lambda: now + timedelta(seconds=61))
    assert (second.messages, second.sent) == (5, 50)
    assert robots.errors == [] and len(robots.accepted) == 25


def test_a_worker_killed_between_sending_and_recording_is_resent_once_with_the_same_key(
    app, client, people, robots
):
    add_target(app, "community:C001", "wecom", robots.wecom_url())
    add_target(app, "community:C001", "dingtalk", robots.dingtalk_url(), secret="SECtest")
    file(client, people)
    t0 = utcnow()

    class Killed(BaseException):
        pass

    def die(batch):
        raise Killed

    with pytest.raises(Killed):
        run(app, now=lambda: t0, after_send=die)
    assert len(robots.received) == 1
    # Still under the dead worker's lease: nobody touches it.
    assert run(app, now=lambda: t0 + timedelta(minutes=1)).messages == 0
    after = run(app, now=lambda: t0 + worker.LEASE + timedelta(seconds=1))
    assert after.messages == 2
    assert all(d.sent_at is not None for d in deliveries(app))
    # The dead worker's message arrived twice, with one key: one delivery per message per target.
    keys = [r["key"] for r in robots.received]
    assert len(keys) == 3 and len(set(keys)) == 2
    assert len(robots.accepted) == 2
    assert sorted(m["kind"] for m in robots.accepted.values()) == ["dingtalk", "wecom"]


def test_two_workers_at_once_never_send_the_same_message_twice(app, backend, people):
    if backend != "postgresql":
        pytest.skip("several workers at once need PostgreSQL's row locks (SQLite: one worker)")
    stand_in = RobotStandIn(delay=0.02)
    try:
        targets = [add_target(app, "community:C001", "wecom", stand_in.wecom_url(f"w{i}")) for i in range(6)]
        for target in targets:
            _queue(app, target, 35)
        now = utcnow()
        barrier = threading.Barrier(2)
        results, errors = [], []

        def work():
            try:
                with app.app_context():
                    barrier.wait(timeout=30)
                    results.append(worker.run_once(now=lambda: now))
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == []
        assert sum(r.sent for r in results) == 6 * 35
        keys = [r["key"] for r in stand_in.received]
        assert len(keys) == len(set(keys)) == 6 * 4  # 35 items: batches of 10, 10, 10, 5 per robot
        assert all(d.sent_at is not None for d in deliveries(app))
    finally:
        stand_in.close()


def test_the_notify_command_sends_what_is_due_once(app, client, people, robots):
    add_target(app, "community:C001", "wecom", robots.wecom_url())
    file(client, people)
    runner = CliRunner()
    from fieldcheck.cli import notify

    with app.app_context():
        result = runner.invoke(notify, ["--once"], obj=None)
    assert result.exit_code == 0, result.output
    assert "1 messages: 1 items sent" in result.output
    assert len(robots.accepted) == 1
