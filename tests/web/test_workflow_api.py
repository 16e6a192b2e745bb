"""Workflow moves through the API: the whole loop, each refusal, races and failures that leave no row behind."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta

import pytest

from fieldcheck.auth.models import User
from fieldcheck.extensions import db
from fieldcheck.reports.models import Event, Report
from fieldcheck.storage import LocalBlobStore, StorageUnavailable
from tests.photo_factory import jpeg
from tests.web.reporting import counts, missing_files, post_report, token_for, unreferenced_files


def file(client, people, **fields) -> dict:
    response = post_report(client, people["insp"], **fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def rectify(client, headers, report_id, *, photos=1, seed=1, **fields):
    data = {"note": fields.pop("note", "已清理"), **fields}
    data["photos"] = [(io.BytesIO(jpeg(seed=seed + i)), f"after{i}.jpg") for i in range(photos)]
    return client.post(
        f"/api/v1/reports/{report_id}/rectify", data=data, headers=headers, content_type="multipart/form-data"
    )


def act(client, headers, report_id, path, **body):
    return client.post(f"/api/v1/reports/{report_id}/{path}", json=body, headers=headers)


def error_of(response) -> dict:
    return response.get_json()["error"]


def test_the_whole_loop_with_a_rework(app, client, people, photo_store):
    report = file(client, people)
    first_due = report["due_at"]

    r = rectify(client, people["c1"], report["id"], lat="34.6551", lon="112.4051")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "rectified"
    assert r.get_json()["actions"] == ["appeal"]

    r = act(client, people["office"], report["id"], "review", decision="reject", note="墙角仍有垃圾")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["status"], body["rework_count"]) == ("dispatched", 1)
    assert body["due_at"] != first_due

    assert rectify(client, people["c1"], report["id"], seed=7).status_code == 200
    r = act(client, people["office"], report["id"], "review", decision="accept", note="")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "closed"
    assert body["closed_at"] is not None and body["rectified_at"] is not None
    events = body["events"]
    assert [(e["action"], e["from"], e["to"]) for e in events] == [
        ("file", None, "reported"),
        ("dispatch", "reported", "dispatched"),
        ("rectify", "dispatched", "rectified"),
        ("reject", "rectified", "dispatched"),
        ("rectify", "dispatched", "rectified"),
        ("accept", "rectified", "closed"),
    ]
    assert [e["actor"] for e in events[2:]] == ["c1", "office", "c1", "office"]
    assert events[2]["location"] == {"lat": 34.6551, "lon": 112.4051}
    assert events[3]["note"] == "墙角仍有垃圾" and events[3]["due_at"] == body["due_at"]
    after = [p for p in body["photos"] if p["kind"] == "after"]
    assert [p["event"] for p in after] == [3, 5]
    assert events[2]["photos"] == [after[0]["id"]]
    assert body["version"] == 5


def test_rectify_without_a_photo_changes_nothing(app, client, people):
    report = file(client, people)
    before = counts(app)
    r = rectify(client, people["c1"], report["id"], photos=0)
    assert r.status_code == 400
    assert error_of(r)["code"] == "no_photo"
    assert counts(app) == before
    assert client.get(f"/api/v1/reports/{report['id']}", headers=people["c1"]).get_json()["version"] == 1


def test_rectify_with_a_broken_photo_changes_nothing(app, client, people, photo_store):
    report = file(client, people)
    before = counts(app)
    data = {
        "note": "x",
        "photos": [(io.BytesIO(jpeg(seed=3)), "a.jpg"), (io.BytesIO(b"not a photo"), "b.jpg")],
    }
    r = client.post(
        f"/api/v1/reports/{report['id']}/rectify",
        data=data,
        headers=people["c1"],
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    assert error_of(r)["code"] == "photo_not_an_image"
    assert counts(app) == before


def test_reject_needs_a_note(client, people):
    report = file(client, people)
    rectify(client, people["c1"], report["id"])
    r = act(client, people["office"], report["id"], "review", decision="reject", note=" ")
    assert r.status_code == 400
    assert error_of(r)["code"] == "note_required"


def test_a_move_the_state_does_not_allow_is_409_with_the_state(client, people):
    report = file(client, people)
    r = act(client, people["office"], report["id"], "review", decision="accept")
    assert r.status_code == 409
    assert error_of(r)["code"] == "wrong_state"
    assert error_of(r)["status"] == "dispatched"


def test_void_with_a_reason_ends_it(client, people):
    report = file(client, people)
    assert act(client, people["office"], report["id"], "void").status_code == 400
    r = act(client, people["office"], report["id"], "void", reason="重复上报")
    assert r.status_code == 200
    assert r.get_json()["status"] == "voided"
    assert r.get_json()["events"][-1]["note"] == "重复上报"
    r = rectify(client, people["c1"], report["id"])
    assert r.status_code == 409
    assert error_of(r)["status"] == "voided"


def test_appeal_upheld_returns_it_and_granted_voids_it(client, people):
    report = file(client, people)
    r = act(client, people["c1"], report["id"], "appeal", reason="不属于本社区")
    assert r.status_code == 200 and r.get_json()["status"] == "appealed"
    assert r.get_json()["overdue"] is False
    r = act(client, people["office"], report["id"], "appeal/decide", decision="uphold", note="属于本社区")
    assert r.status_code == 200 and r.get_json()["status"] == "dispatched"
    assert r.get_json()["due_at"] >= report["due_at"]

    act(client, people["c1"], report["id"], "appeal", reason="再次申诉")
    r = act(client, people["office"], report["id"], "appeal/decide", decision="void", note="核实为误报")
    assert r.status_code == 200 and r.get_json()["status"] == "voided"
    assert [e["action"] for e in r.get_json()["events"]][2:] == ["appeal", "uphold", "appeal", "grant"]


def test_the_office_assigns_an_unassigned_report(app, client, people):
    report = file(client, people, lat="34.70", lon="112.30")
    assert (report["status"], report["community"], report["due_at"]) == ("reported", None, None)
    assert client.get(f"/api/v1/reports/{report['id']}", headers=people["c2"]).status_code == 404
    assert act(client, people["office"], report["id"], "assign", community="C999").status_code == 400
    r = act(client, people["office"], report["id"], "assign", community="C002")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["status"], body["community"]["code"]) == ("dispatched", "C002")
    assert body["due_at"] is not None and body["dispatched_at"] is not None
    assert client.get(f"/api/v1/reports/{report['id']}", headers=people["c2"]).status_code == 200


def test_a_suspension_is_requested_approved_and_then_rectified(client, people):
    report = file(client, people)
    planned = (datetime.now(UTC) + timedelta(days=40)).date()
    r = act(
        client,
        people["c1"],
        report["id"],
        "suspension",
        reason="需外包施工",
        planned_date=planned.isoformat(),
    )
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["suspension_requested"] == planned.isoformat()
    assert r.get_json()["status"] == "dispatched"
    r = act(client, people["office"], report["id"], "suspension/decide", decision="approve", note="同意")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["status"], body["planned_date"], body["suspension_requested"]) == (
        "suspended",
        planned.isoformat(),
        None,
    )
    # The end of the planned day in Shanghai (23:59:59.999999 local) is 15:59:59.999999 UTC that day.
    assert body["due_at"] == f"{planned.isoformat()}T15:59:59.999999+00:00"
    assert rectify(client, people["c1"], report["id"]).get_json()["status"] == "rectified"


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("review", {"decision": "maybe"}, "invalid_decision"),
        ("appeal/decide", {"decision": "accept", "note": "x"}, "invalid_decision"),
        ("suspension", {"reason": "x", "planned_date": "next week"}, "invalid_planned_date"),
        ("suspension", {"reason": "x", "planned_date": "2020-01-01"}, "planned_date_past"),
        ("void", {"reason": 5}, "invalid_reason"),
        ("void", {"reason": "x", "version": "two"}, "invalid_version"),
        ("void", {"reason": "x", "lat": "north", "lon": "1"}, "invalid_location"),
        ("void", {"reason": "x" * 2001}, "note_too_long"),
    ],
)
def test_bad_fields_are_400_with_a_code(client, people, path, body, code):
    report = file(client, people)
    headers = people["c1"] if path == "suspension" else people["office"]
    r = act(client, headers, report["id"], path, **body)
    assert r.status_code == 400, r.get_json()
    assert error_of(r)["code"] == code


def test_a_body_that_is_not_a_json_object_is_400(client, people):
    report = file(client, people)
    r = client.post(
        f"/api/v1/reports/{report['id']}/void",
        data="[1]",
        headers={**people["office"], "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert error_of(r)["code"] == "invalid_json"


def test_a_stale_version_loses_with_the_current_state(client, people):
    report = file(client, people)
    rectify(client, people["c1"], report["id"])
    r = act(client, people["office"], report["id"], "review", decision="accept", version=1)
    assert r.status_code == 409
    assert error_of(r)["code"] == "stale"
    assert (error_of(r)["status"], error_of(r)["version"]) == ("rectified", 2)
    assert (
        act(client, people["office"], report["id"], "review", decision="accept", version=2).status_code == 200
    )


def test_two_office_users_deciding_at_once_leave_one_decision(app, client, people, make_user):
    make_user("office", username="office2")
    second = token_for(client, "office2")
    report = file(client, people)
    rectify(client, people["c1"], report["id"])
    results = []
    barrier = threading.Barrier(2)

    def decide(headers, body):
        c = app.test_client()
        barrier.wait()
        r = c.post(f"/api/v1/reports/{report['id']}/review", json=body, headers=headers)
        results.append((r.status_code, r.get_json()))

    threads = [
        threading.Thread(target=decide, args=(people["office"], {"decision": "accept"})),
        threading.Thread(target=decide, args=(second, {"decision": "reject", "note": "不合格"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(status for status, _body in results)
    assert statuses == [200, 409], results
    winner = next(body for status, body in results if status == 200)
    loser = next(body for status, body in results if status == 409)
    final = client.get(f"/api/v1/reports/{report['id']}", headers=people["office"]).get_json()
    assert final["status"] == winner["status"]
    assert loser["error"]["status"] == final["status"]
    assert [e["action"] for e in final["events"]][3:] in (["accept"], ["reject"])
    assert final["version"] == 3


def test_two_staff_rectifying_at_once_keep_one_set_of_photos(app, client, people, make_user, photo_store):
    make_user("community", username="c1b", community="C001")
    second = token_for(client, "c1b")
    report = file(client, people)
    before = counts(app)
    results = []
    barrier = threading.Barrier(2)

    def send(headers, seed):
        c = app.test_client()
        data = {"note": "done", "photos": [(io.BytesIO(jpeg(seed=seed)), "after.jpg")]}
        barrier.wait()
        r = c.post(
            f"/api/v1/reports/{report['id']}/rectify",
            data=data,
            headers=headers,
            content_type="multipart/form-data",
        )
        results.append(r.status_code)

    threads = [
        threading.Thread(target=send, args=(people["c1"], 101)),
        threading.Thread(target=send, args=(second, 202)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    after = counts(app)
    assert after["photo"] == before["photo"] + 1
    assert after["event"] == before["event"] + 1
    assert not missing_files(app)
    # The loser's original and thumbnail stay, unreferenced, for the sweeper: the request path deletes no
    # file (another request may be about to refer to the same content). A filing writes no display copy.
    assert after["files"] == before["files"] + 4
    assert len(unreferenced_files(app)) == 2


class FailingStore:
    """The app's store (a folder or object storage), failing on the n-th write after the earlier writes
    landed: a full disk, or an object store going away."""

    def __init__(self, real, fail_on: int):
        self.real = real
        self.writes = 0
        self.fail_on = fail_on

    def put(self, key, data, overwrite=False):
        self.writes += 1
        if self.writes == self.fail_on:
            if isinstance(self.real, LocalBlobStore):
                raise OSError("disk full")
            raise StorageUnavailable("object storage went away")
        return self.real.put(key, data, overwrite=overwrite)

    def __getattr__(self, name):
        return getattr(self.real, name)


# Two photos are four writes (original and thumbnail each; the display copy waits for the first view):
# fail after the first original, after the first photo, and on the last write.
@pytest.mark.parametrize("fail_on", [2, 3, 4])
def test_storage_failing_midway_leaves_database_and_files_in_agreement(
    app, client, people, fail_on, photo_store
):
    report = file(client, people)
    before = counts(app)
    real = app.extensions["fieldcheck.storage"]
    app.extensions["fieldcheck.storage"] = FailingStore(real, fail_on)
    try:
        r = rectify(client, people["c1"], report["id"], photos=2, seed=40)
    finally:
        app.extensions["fieldcheck.storage"] = real
    assert r.status_code == 503
    assert error_of(r)["code"] == "storage_unavailable"
    assert {k: v for k, v in counts(app).items() if k != "files"} == {
        k: v for k, v in before.items() if k != "files"
    }
    assert not missing_files(app)
    assert len(unreferenced_files(app)) == fail_on - 1  # the writes that landed, left for the sweeper
    # And the move can be made once storage is back.
    assert rectify(client, people["c1"], report["id"], photos=2, seed=40).status_code == 200


def test_a_database_failure_after_the_files_are_written_keeps_no_row_and_deletes_no_file(
    app, client, people, photo_store
):
    report = file(client, people)
    before = counts(app)
    from sqlalchemy import event as sa_event

    def fail(session, flush_context, instances):
        if any(isinstance(obj, Event) for obj in session.new):
            raise RuntimeError("database went away")

    with app.app_context():
        sa_event.listen(db.session, "before_flush", fail)
        from fieldcheck.reports.filing import filing_context
        from fieldcheck.workflow import services
        from fieldcheck.workflow.rules import Action

        user = db.session.scalar(db.select(User).filter_by(username="c1"))
        with app.test_request_context(), pytest.raises(RuntimeError):
            services.transition(
                user, report["id"], services.Move(Action.RECTIFY, note="x"), [jpeg(seed=77)], filing_context()
            )
        sa_event.remove(db.session, "before_flush", fail)
        assert db.session.get(Report, report["id"]).status == "dispatched"
    assert {k: v for k, v in counts(app).items() if k != "files"} == {
        k: v for k, v in before.items() if k != "files"
    }
    assert not missing_files(app)
    assert len(unreferenced_files(app)) == 2  # the after-photo's original and thumbnail, left for the sweeper


def test_overdue_is_shown_for_a_dispatched_report_past_its_deadline(app, client, people):
    report = file(client, people)
    with app.app_context():
        row = db.session.get(Report, report["id"])
        row.due_at = datetime.now(UTC) - timedelta(minutes=1)
        db.session.commit()
    body = client.get(f"/api/v1/reports/{report['id']}", headers=people["c1"]).get_json()
    assert body["overdue"] is True
    rectify(client, people["c1"], report["id"])
    body = client.get(f"/api/v1/reports/{report['id']}", headers=people["c1"]).get_json()
    assert body["overdue"] is False


def test_a_suspension_cannot_be_decided_without_a_request(client, people):
    report = file(client, people)
    r = act(client, people["office"], report["id"], "suspension/decide", decision="approve")
    assert r.status_code == 409
    assert error_of(r)["code"] == "no_suspension_request"


def test_events_are_append_only(app, client, people):
    report = file(client, people)
    with app.app_context():
        row = db.session.scalar(db.select(Event).filter_by(report_id=report["id"], seq=1))
        row.note = "rewritten"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.commit()
        db.session.rollback()
        db.session.delete(db.session.scalar(db.select(Event).filter_by(report_id=report["id"], seq=1)))
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.commit()
        db.session.rollback()
    events = client.get(f"/api/v1/reports/{report['id']}", headers=people["office"]).get_json()["events"]
    assert [e["note"] for e in events] == ["", ""]


def test_the_report_lists_the_moves_its_reader_may_make(client, people):
    report = file(client, people)
    url = f"/api/v1/reports/{report['id']}"
    assert client.get(url, headers=people["c1"]).get_json()["actions"] == [
        "rectify",
        "appeal",
        "request_suspension",
    ]
    assert client.get(url, headers=people["office"]).get_json()["actions"] == ["void"]
    assert client.get(url, headers=people["insp"]).get_json()["actions"] == []
    assert client.get(url, headers=people["sd1"]).get_json()["actions"] == []


def test_an_after_photo_that_is_the_before_photo_again_is_flagged(client, people):
    before = jpeg(seed=11)
    report = post_report(client, people["insp"], photos=[before]).get_json()
    honest = rectify(client, people["c1"], report["id"], seed=300)
    assert "after_photo_reused" not in honest.get_json()["flags"]
    act(client, people["office"], report["id"], "review", decision="reject", note="不合格")
    data = {"note": "已整改", "photos": [(io.BytesIO(before), "image.jpg")]}
    r = client.post(
        f"/api/v1/reports/{report['id']}/rectify",
        data=data,
        headers=people["c1"],
        content_type="multipart/form-data",
    )
    assert r.status_code == 200
    assert "after_photo_reused" in r.get_json()["flags"]


def test_the_office_sees_why_a_report_deserves_a_second_look(app, people):
    from tests.conftest import login

    before = jpeg(seed=12)
    office = app.test_client()
    login(office, "office")
    inspector = app.test_client()
    report = post_report(inspector, people["insp"], photos=[before]).get_json()
    data = {"note": "已整改", "photos": [(io.BytesIO(before), "image.jpg")]}
    inspector.post(
        f"/api/v1/reports/{report['id']}/rectify",
        data=data,
        headers=people["c1"],
        content_type="multipart/form-data",
    )
    page = office.get("/office/queue/verify").get_data(as_text=True)
    assert "整改照片与此问题此前的照片重复" in page
