"""Reminders and digests from the scheduler pass: once per report and kind, on working days, at the digest
time; through the same outbox the moves use (settable clock, row factories, the robot stand-in)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from fieldcheck.extensions import db
from fieldcheck.notify import scheduler, worker
from fieldcheck.notify.models import Delivery, Notification, NotifyMark
from tests.notify_standins import MailStandIn, RobotStandIn
from tests.web.test_notify_worker import add_target

TZ = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture
def robots():
    stand_in = RobotStandIn()
    yield stand_in
    stand_in.close()


_open: list = []


@pytest.fixture(autouse=True)
def _close_stand_ins():
    yield
    while _open:
        _open.pop().close()


def request_cleanup(stand_in) -> None:
    _open.append(stand_in)


def opt_in(app, username: str, email: str) -> None:
    from fieldcheck.auth.models import User
    from fieldcheck.notify.models import NotifyPreference

    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        db.session.add(NotifyPreference(user_id=user_id, email=email, email_opt_in=True))
        db.session.commit()


def kinds_of(app, username: str) -> list[str]:
    from fieldcheck.auth.models import User

    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        return list(
            db.session.scalars(
                select(Notification.kind).where(Notification.user_id == user_id).order_by(Notification.id)
            )
        )


def round_at(app, when: datetime):
    with app.app_context():
        return worker.run_round(now=lambda: when)


def test_deadline_reminders_are_told_once_each(app, people, make_report, clock, robots):
    add_target(app, "community:C001", "wecom", robots.wecom_url())
    add_target(app, "subdistrict:SD01", "wecom", robots.wecom_url("sd"))
    s1 = make_report("dispatched", item="ENV-02")  # S1: due 24 hours later, Saturday 10:00
    s2 = make_report("dispatched", item="ENV-05")  # S2: 3 working days, the end of Wednesday 11-25
    planned, _sent = round_at(app, clock.now())
    assert (planned.due_soon, planned.overdue) == (0, 0)  # S1's window is 2 hours, not 24
    dispatched = len(robots.accepted)

    saturday = local(2026, 11, 21, 8, 30)
    for _ in range(2):  # a second pass tells nothing again
        round_at(app, saturday)
    assert kinds_of(app, "c1") == ["dispatched", "dispatched", "due_soon"]
    after_due = local(2026, 11, 21, 10, 1)
    for _ in range(2):
        round_at(app, after_due)
    assert kinds_of(app, "c1")[-1] == "overdue"
    assert kinds_of(app, "sd1") == ["new_overdue"]
    assert kinds_of(app, "c2") == [] and kinds_of(app, "sd2") == []
    texts = [m["text"] for m in list(robots.accepted.values())[dispatched:]]
    assert len(texts) == 3 and robots.errors == []
    assert any("期限将至" in t and f"#{s1}" in t for t in texts)
    assert sum("超期" in t and f"#{s1}" in t for t in texts) == 2  # community and sub-district robots

    # The S2 item: reminded within 24 hours of the end of Wednesday, then overdue on Thursday.
    round_at(app, local(2026, 11, 25, 0, 30))
    round_at(app, local(2026, 11, 26, 0, 30))
    with app.app_context():
        marks = db.session.execute(
            select(NotifyMark.kind, NotifyMark.report_id).where(NotifyMark.report_id.is_not(None))
        ).all()
    assert sorted(tuple(m) for m in marks) == sorted(
        [("due_soon", s1), ("overdue", s1), ("due_soon", s2), ("overdue", s2)]
    )
    assert kinds_of(app, "c1")[-2:] == ["due_soon", "overdue"]


def test_an_s0_item_gets_no_due_soon_with_its_dispatch_but_is_overdue_after_two_hours(
    app, people, make_report, clock
):
    make_report("dispatched", item="ORD-06")  # S0: 2 hours
    round_at(app, clock.advance(minutes=30))
    assert kinds_of(app, "c1") == ["dispatched"]
    round_at(app, clock.advance(hours=2))
    assert kinds_of(app, "c1") == ["dispatched", "overdue"]


def test_a_rework_sets_a_new_deadline_that_is_reminded_of_again(app, people, make_report, clock):
    report = make_report("dispatched", item="ORD-06")
    round_at(app, clock.advance(hours=3))
    new_due = clock.now() + timedelta(hours=1)
    with app.app_context():
        from fieldcheck.reports.models import Report

        db.session.get(Report, report).due_at = new_due
        db.session.commit()
    round_at(app, new_due + timedelta(minutes=1))
    assert kinds_of(app, "c1") == ["dispatched", "overdue", "overdue"]


def test_two_schedulers_at_once_tell_each_reminder_once(app, backend, people, make_report, clock):
    if backend != "postgresql":
        pytest.skip("several workers at once need PostgreSQL (SQLite: one worker)")
    for _ in range(5):
        make_report("dispatched", item="ORD-06")
    later = clock.now() + timedelta(hours=3)
    barrier = threading.Barrier(2)
    errors = []

    def work():
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                scheduler.run(later)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert kinds_of(app, "c1").count("overdue") == 5
    assert kinds_of(app, "sd1").count("new_overdue") == 5


def test_the_subdistricts_daily_digest_on_working_days_at_the_digest_time(
    app, people, make_report, clock, robots, browser_for
):
    app.config["PUBLIC_URL"] = "https://wmb.example.gov.cn"
    mail = MailStandIn()
    request_cleanup(mail)
    app.config["SMTP_URL"] = mail.url
    opt_in(app, "sd1", "sd1@example.gov.cn")
    add_target(app, "subdistrict:SD01", "dingtalk", robots.dingtalk_url(), secret="SECtest")
    old = make_report("dispatched", item="ORD-06", community="C001")
    make_report("dispatched", item="ORD-06", community="C002")
    make_report("dispatched", item="ORD-06", community="C003")  # SD02
    saturday = local(2026, 11, 21, 9, 0)
    round_at(app, saturday)
    assert "overdue_digest" not in kinds_of(app, "sd1")  # not a working day
    # The reminders of the three overdue items (the scheduler loads everyone at once after a few).
    assert kinds_of(app, "sd1") == ["new_overdue", "new_overdue"] and kinds_of(app, "sd2") == ["new_overdue"]
    assert kinds_of(app, "c2")[-1] == "overdue"
    monday = local(2026, 11, 23, 8, 29)
    round_at(app, monday)
    assert "overdue_digest" not in kinds_of(app, "sd1")  # before 08:30
    assert not [m for m in mail.received if "每日汇总" in m["Subject"]]
    for _ in range(2):
        round_at(app, monday + timedelta(minutes=1))
    assert kinds_of(app, "sd1").count("overdue_digest") == 1
    assert kinds_of(app, "sd2").count("overdue_digest") == 1
    digests = [m["text"] for m in robots.accepted.values() if "每日汇总" in m["text"]]
    assert len(digests) == 1 and robots.errors == []
    assert "王城社区 1" in digests[0] and "青年宫社区 1" in digests[0] and "涧河社区" not in digests[0]
    assert f"https://wmb.example.gov.cn/reports/{old}" in digests[0]
    [digest_mail] = [m for m in mail.received if "每日汇总" in m["Subject"]]
    assert digest_mail["To"] == "sd1@example.gov.cn" and "王城社区 1" in digest_mail.get_content()
    # In the inbox: the counts and each listed report's link.
    html = browser_for("sd1").get("/notifications").get_data(as_text=True)
    assert "王城社区 1" in html and f'href="/reports/{old}"' in html
    # The next working day, again once.
    round_at(app, local(2026, 11, 24, 9, 0))
    assert kinds_of(app, "sd1").count("overdue_digest") == 2


def test_the_digest_time_is_a_setting(app, people, make_report, clock):
    app.config["DIGEST_TIME"] = "10:15"
    make_report("dispatched", item="ORD-06")
    round_at(app, local(2026, 11, 23, 10, 0))
    assert "overdue_digest" not in kinds_of(app, "sd1")
    round_at(app, local(2026, 11, 23, 10, 15))
    assert "overdue_digest" in kinds_of(app, "sd1")


def test_the_offices_digest_waits_for_the_next_hourly_slot_on_a_working_day(app, people, make_report, clock):
    add_target(app, "office", "wecom", "http://127.0.0.1:9/never")
    clock.set(local(2026, 11, 20, 10, 5))  # Friday 10:05
    make_report("rectified")
    clock.set(local(2026, 11, 20, 18, 10))  # Friday after the office day
    make_report("appealed")
    with app.app_context():
        due = db.session.execute(select(Delivery.kind, Delivery.next_attempt_at).order_by(Delivery.id)).all()
    assert [(k, t.astimezone(TZ)) for k, t in due] == [
        ("verification_waiting", local(2026, 11, 20, 10, 30)),
        ("appeal_waiting", local(2026, 11, 23, 8, 30)),  # Monday
    ]


def test_a_month_ready_to_publish_is_told_to_the_office_once(app, people, clock):
    round_at(app, local(2026, 11, 30, 9, 0))  # October, never told (the worker's first start)
    assert kinds_of(app, "office").count("month_ready") == 1
    round_at(app, local(2026, 12, 1, 8, 0))  # before the digest time
    assert kinds_of(app, "office").count("month_ready") == 1
    for when in (local(2026, 12, 1, 8, 30), local(2026, 12, 2, 9, 0)):
        round_at(app, when)
    assert kinds_of(app, "office").count("month_ready") == 2
    with app.app_context():
        payloads = db.session.scalars(
            select(Notification.payload).where(Notification.kind == "month_ready")
        ).all()
        assert sorted({p["month"] for p in payloads}) == ["2026-10", "2026-11"]  # office and admin
        marks = select(func.count()).select_from(NotifyMark).where(NotifyMark.kind == "month_ready")
        assert db.session.scalar(marks) == 2  # 2026-10 (told on 11-30) and 2026-11


def test_a_month_ready_links_to_its_ranking_in_the_inbox(app, client, people, clock):
    round_at(app, local(2026, 12, 1, 8, 30))
    body = client.get("/api/v1/notifications", headers=people["office"]).get_json()
    urls = {i["url"] for i in body["items"] if i["kind"] == "month_ready"}
    assert urls == {"/ranking/2026-11"}


def test_the_notify_command_runs_the_scheduler_pass_then_sends(app, people, make_report, clock, robots):
    from click.testing import CliRunner

    from fieldcheck.cli import notify

    add_target(app, "community:C001", "wecom", robots.wecom_url())
    make_report("dispatched", item="ORD-06")
    clock.advance(hours=3)
    with app.app_context():
        result = CliRunner().invoke(notify, ["--once"], obj=None)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 reminders, ")
    assert sum("已超期" in m["text"] for m in robots.accepted.values()) == 1


def test_urgent_items_outside_their_window_never_hold_back_the_others(
    app, people, make_report, clock, monkeypatch
):
    monkeypatch.setattr(scheduler, "BATCH", 2)
    s2 = make_report("dispatched", item="ENV-05")  # due the end of Wednesday 11-25
    clock.set(local(2026, 11, 24, 8, 0))
    for _ in range(3):
        make_report("dispatched", item="ENV-02")  # S1, due Wednesday 08:00: earlier, but a 2-hour window
    round_at(app, local(2026, 11, 25, 0, 30))
    with app.app_context():
        told = db.session.execute(select(NotifyMark.kind, NotifyMark.report_id)).all()
    assert ("due_soon", s2) in [tuple(t) for t in told]
