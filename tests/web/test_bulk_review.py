"""Bulk review (POST /api/v1/reviews): each report its own move and event; one refusal undoes no other."""

from __future__ import annotations

import pytest

from fieldcheck.extensions import db
from fieldcheck.reports.models import Event, Report


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
