"""Urge (督办): sub-district staff and the office urge an overdue item with a note; the community is told,
and the history shows it. Only overdue items, only with a note, only within one's sub-district."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fieldcheck.extensions import db
from fieldcheck.reports.models import Report
from tests.conftest import csrf_token_from

PAST = datetime(2020, 1, 1, tzinfo=UTC)


def urge(client, headers, report_id, **body):
    return client.post(f"/api/v1/reports/{report_id}/urge", json=body, headers=headers)


def kinds(client, headers) -> list[tuple[str, int]]:
    r = client.get("/api/v1/notifications", headers=headers)
    assert r.status_code == 200, r.get_json()
    return [(i["kind"], i["report_id"]) for i in r.get_json()["items"]]


def test_subdistrict_urges_an_overdue_item_and_the_community_is_told(app, client, people, make_report):
    report = make_report("dispatched", community="C001", due_at=PAST)
    r = urge(client, people["sd1"], report, note="请三日内整改到位", version=1)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["status"], body["version"]) == ("dispatched", 2)
    last = body["events"][-1]
    assert (last["action"], last["from"], last["to"], last["note"]) == (
        "urge",
        "dispatched",
        "dispatched",
        "请三日内整改到位",
    )
    assert ("urged", report) in kinds(client, people["c1"])
    assert ("urged", report) not in kinds(client, people["c2"])
    # The community sees it in the item's history.
    page = client.get(f"/api/v1/reports/{report}", headers=people["c1"]).get_json()
    assert [e["action"] for e in page["events"]][-1] == "urge"


def test_urge_refusals(app, client, people, make_report):
    on_time = make_report("dispatched", community="C001")
    overdue = make_report("dispatched", community="C001", due_at=PAST)
    assert urge(client, people["sd1"], on_time, note="快").get_json()["error"]["code"] == "not_overdue"
    r = urge(client, people["sd1"], overdue, note=" ")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "note_required"
    assert urge(client, people["sd2"], overdue, note="快").status_code == 404
    assert urge(client, people["c1"], overdue, note="快").status_code == 403
    assert urge(client, people["office"], overdue, note="请尽快").status_code == 200
    closed = make_report("closed", community="C001", due_at=PAST)
    assert urge(client, people["office"], closed, note="快").get_json()["error"]["code"] == "wrong_state"
    with app.app_context():
        assert db.session.get(Report, on_time).version == 1
        db.session.remove()


def test_the_report_page_offers_the_urge_form_only_when_overdue(app, browser_for, make_report):
    on_time = make_report("dispatched", community="C001")
    overdue = make_report("dispatched", community="C001", due_at=PAST)
    sd1, c1 = browser_for("sd1"), browser_for("c1")
    assert "move-urge" not in sd1.get(f"/reports/{on_time}").get_data(as_text=True)
    assert "move-urge" not in c1.get(f"/reports/{overdue}").get_data(as_text=True)
    page = sd1.get(f"/reports/{overdue}").get_data(as_text=True)
    assert "move-urge" in page and "督办" in page
    token = csrf_token_from(page)
    r = sd1.post(
        f"/reports/{overdue}/urge", data={"csrf_token": token, "version": "1", "note": "请三日内整改到位"}
    )
    assert r.status_code == 302
    history = c1.get(f"/reports/{overdue}").get_data(as_text=True)
    assert re.findall(r'<li data-action="(\w+)"', history)[-1] == "urge" and "请三日内整改到位" in history
