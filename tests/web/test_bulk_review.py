"""Bulk review (POST /api/v1/reviews): each report its own move and event; one refusal undoes no other."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from fieldcheck.calendar import end_of_local_day
from fieldcheck.calendar import services as calendar_services
from fieldcheck.extensions import db
from fieldcheck.reports.models import Event, Report
from tests.web.reporting import recorded_statements


def state(app, report_id: int) -> tuple[str, int, list[str]]:
    with app.app_context():
        report = db.session.get(Report, report_id)
        actions = [
            e.action for e in db.session.query(Event).filter_by(report_id=report_id).order_by(Event.seq)
        ]
        out = (report.status, report.version, actions)
        db.session.remove()
        return out


def review(client, headers, **body):
    return client.post("/api/v1/reviews", json=body, headers=headers)


def test_bulk_accept_moves_each_report_and_reports_each_refusal(app, client, people, make_report):
    ok1, ok2, stale, closed = (make_report("rectified") for _ in range(4))
    review(client, people["office"], decision="accept", reports=[{"id": closed}])
    v1, v2, vs = (state(app, i)[1] for i in (ok1, ok2, stale))
    r = review(
        client,
        people["office"],
        decision="accept",
        reports=[
            {"id": ok1, "version": v1},
            {"id": stale, "version": vs - 1},
            {"id": closed},
            {"id": 999_999},
            {"id": ok2, "version": v2},
        ],
    )
    assert r.status_code == 200, r.get_json()
    results = r.get_json()["results"]
    assert [x["id"] for x in results] == [ok1, stale, closed, 999_999, ok2]
    assert results[0] == {"id": ok1, "status": "closed"}
    assert results[4] == {"id": ok2, "status": "closed"}
    assert results[1]["error"]["code"] == "stale" and results[1]["error"]["version"] == vs
    assert results[1]["error"]["message"]
    assert results[2]["error"]["code"] == "wrong_state"
    assert results[3]["error"]["code"] == "not_found"
    for report_id in (ok1, ok2):
        status, version, actions = state(app, report_id)
        assert (status, actions[-2:]) == ("closed", ["rectify", "accept"])
    assert state(app, stale) == ("rectified", vs, ["file", "dispatch", "rectify"])


def test_a_report_the_user_may_not_verify_is_refused_and_others_still_move(app, client, people, make_report):
    mine = make_report("rectified", inspector="insp")
    other = make_report("rectified", inspector="insp2")
    r = review(client, people["insp"], decision="accept", reports=[{"id": other}, {"id": mine}])
    assert r.status_code == 200, r.get_json()
    first, second = r.get_json()["results"]
    assert first["error"]["code"] in ("not_allowed", "not_found")
    assert second == {"id": mine, "status": "closed"}
    assert state(app, other)[0] == "rectified"

    r = review(client, people["c1"], decision="accept", reports=[{"id": other}])
    assert r.get_json()["results"][0]["error"]["code"] == "not_allowed"
    assert state(app, other)[0] == "rectified"


def test_bulk_reject_needs_a_note_for_each(app, client, people, make_report):
    report = make_report("rectified")
    r = review(client, people["office"], decision="reject", reports=[{"id": report}])
    assert r.get_json()["results"][0]["error"]["code"] == "note_required"
    r = review(client, people["office"], decision="reject", note="仍有堆物", reports=[{"id": report}])
    assert r.get_json()["results"][0] == {"id": report, "status": "dispatched"}


def calendar_reads(app, request) -> int:
    """How many times ``request()`` read the whole work calendar (its years: only ``work_calendar`` does)."""
    with recorded_statements(app) as seen:
        request()
    return sum(1 for s in seen if "FROM calendar_year" in s and "WHERE" not in s)


def test_a_bulk_reject_reads_the_calendar_once_and_the_next_review_reads_it_again(
    app, client, people, make_report, clock
):
    """Each report sent back gets a fresh deadline in working days (ENV-05: S2, 3 working days), all of one
    request's from one read of the calendar; a calendar loaded between two reviews counts for the next."""
    tz = ZoneInfo("Asia/Shanghai")
    clock.set(datetime(2026, 11, 16, 2, 0, tzinfo=UTC))  # a Monday, 10:00 in the city
    first, second, third = (make_report("rectified", item="ENV-05") for _ in range(3))

    def reject(*report_ids):
        r = review(
            client,
            people["office"],
            decision="reject",
            note="仍有堆物",
            reports=[{"id": i} for i in report_ids],
        )
        assert [x["status"] for x in r.get_json()["results"]] == ["dispatched"] * len(report_ids)

    assert calendar_reads(app, lambda: reject(first, second)) == 1
    with app.app_context():
        text = calendar_services.default_calendar_text().replace(
            "workdays:", "  - {name: 测试, from: 2026-11-17, to: 2026-11-18}\nworkdays:"
        )
        calendar_services.import_calendar(text, "calendar-2026.yaml")
        db.session.commit()
    assert calendar_reads(app, lambda: reject(third)) == 1
    with app.app_context():
        due = {i: db.session.get(Report, i).due_at for i in (first, second, third)}
    thursday, next_monday = (end_of_local_day(datetime(2026, 11, d).date(), tz) for d in (19, 23))
    assert due == {first: thursday, second: thursday, third: next_monday}


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"decision": "accept"},
        {"decision": "accept", "reports": []},
        {"decision": "close", "reports": [{"id": 1}]},
        {"decision": "accept", "reports": [{"id": "1"}]},
        {"decision": "accept", "reports": [{"id": True}]},
        {"decision": "accept", "reports": [{"id": 2**40}]},
        {"decision": "accept", "reports": [{"id": 1, "version": -1}]},
        {"decision": "accept", "reports": [1, 2]},
        {"decision": "accept", "reports": [{"id": i} for i in range(1, 202)]},
        {"decision": "accept", "note": 5, "reports": [{"id": 1}]},
    ],
)
def test_a_bad_body_is_400(client, people, body):
    r = client.post("/api/v1/reviews", json=body, headers=people["office"])
    assert r.status_code == 400, r.get_json()
    assert r.get_json()["error"]["code"] in ("invalid_body", "bad_request")
