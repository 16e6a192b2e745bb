"""Filing reports through the API: idempotency, location, flags, bad input that leaves nothing behind."""

from __future__ import annotations

import io
import threading
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from PIL import Image

from fieldcheck.extensions import db
from tests.photo_factory import jpeg
from tests.web.reporting import (
    INSIDE_C001,
    INSIDE_C003,
    counts,
    missing_files,
    post_report,
    recorded_statements,
    report_form,
    stored_keys,
    unreferenced_files,
)


def test_file_a_report(app, client, people, photo_store):
    photo = jpeg(lat=34.6551, lon=112.4051, taken_at=datetime(2026, 11, 27, 8, 0))
    response = post_report(client, people["insp"], photos=[photo])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "dispatched"
    assert body["community"]["code"] == "C001"
    assert body["item"]["code"] == "ENV-02"
    assert body["location"] == {"lat": 34.655, "lon": 112.405, "accuracy_m": 8.0, "location_source": "device"}
    assert body["found_by"] == "city"
    assert body["due_at"] is not None
    assert [e["action"] for e in body["events"]] == ["file", "dispatch"]
    [p] = body["photos"]
    assert p["kind"] == "before"
    assert p["width"] == 800 and p["height"] == 600
    assert p["exif"]["lat"] == pytest.approx(34.6551, abs=1e-5)
    assert p["exif"]["taken_at"].startswith("2026-11-27T08:00")
    assert set(p["urls"]) == {"display", "thumb"}  # originals are for the office only
    # A filing stores the original and the thumbnail; the display copy is made on the photo's first view.
    assert counts(app)["files"] == 2
    assert {k.split("/")[0] for k in stored_keys(app)} == {"originals", "thumbs"}
    assert not missing_files(app) and not unreferenced_files(app)


def test_found_by_follows_the_inspector_level(client, people):
    body = post_report(client, people["insp2"]).get_json()
    assert body["found_by"] == "subdistrict"


def test_same_client_id_same_content_returns_the_same_report(app, client, people, photo_store):
    form_id = str(uuid.uuid4())
    photo = jpeg(seed=7)
    first = post_report(client, people["insp"], photos=[photo], client_id=form_id)
    again = post_report(client, people["insp"], photos=[photo], client_id=form_id)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert counts(app)["report"] == 1


def test_same_client_id_other_content_is_409(app, client, people):
    form_id = str(uuid.uuid4())
    assert post_report(client, people["insp"], client_id=form_id).status_code == 201
    before = counts(app)
    response = post_report(client, people["insp"], client_id=form_id, instances="3")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "client_id_conflict"
    other_photo = post_report(client, people["insp"], photos=[jpeg(seed=99)], client_id=form_id)
    assert other_photo.status_code == 409
    assert counts(app) == before


def test_identical_photos_are_stored_once(app, client, people, photo_store):
    photo = jpeg(seed=3)
    post_report(client, people["insp"], photos=[photo])
    post_report(client, people["insp"], photos=[photo])
    c = counts(app)
    assert c["report"] == 2 and c["photo"] == 2
    assert c["files"] == 2  # one original and one thumbnail for both (display copies on first view)
    assert not missing_files(app) and not unreferenced_files(app)


def test_a_photo_whose_thumbnail_another_version_made_is_filed_again(app, client, people, photo_store):
    """A photo filed before an upgrade (another renderer, another Pillow or libvips: other thumbnail bytes
    under the same key) is filed again: the filing succeeds and the thumbnail under that key is this
    version's, its time refreshed for the sweeper like any put."""
    import hashlib

    from fieldcheck.storage import photo_keys

    photo = jpeg(seed=5)
    _original, _display, thumb = photo_keys(hashlib.sha256(photo).hexdigest())
    store = app.extensions["fieldcheck.storage"]
    store.put(thumb, b"a thumbnail made by an earlier version")
    response = post_report(client, people["insp"], photos=[photo])
    assert response.status_code == 201, response.get_data(as_text=True)
    assert store.get(thumb).startswith(b"\xff\xd8")  # this version's JPEG thumbnail
    assert not missing_files(app) and not unreferenced_files(app)


def test_concurrent_duplicates_create_exactly_one_report(app, people, photo_store):
    form_id = str(uuid.uuid4())
    photo = jpeg(seed=11)
    statuses, ids = [], []
    barrier = threading.Barrier(4)

    def send():
        client = app.test_client()
        barrier.wait()
        response = post_report(client, people["insp"], photos=[photo], client_id=form_id)
        statuses.append(response.status_code)
        ids.append(response.get_json().get("id"))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 200, 200, 201]
    assert len(set(ids)) == 1
    assert counts(app)["report"] == 1
    assert counts(app)["files"] == 2  # original and thumbnail, nothing orphaned
    assert not missing_files(app) and not unreferenced_files(app)


def test_exif_position_is_used_when_the_device_gives_none(client, people):
    photo = jpeg(lat=INSIDE_C003[0], lon=INSIDE_C003[1])
    body = post_report(
        client, people["insp"], photos=[photo], lat=None, lon=None, accuracy_m=None, location_source=None
    ).get_json()
    assert body["location"]["location_source"] == "exif"
    assert body["community"]["code"] == "C003"


def test_manual_community_when_there_is_no_position(client, people):
    body = post_report(
        client, people["insp"], lat=None, lon=None, accuracy_m=None, location_source=None, community="C002"
    ).get_json()
    assert body["location"]["location_source"] == "manual"
    assert body["community"]["code"] == "C002"
    assert "manual_location" in body["flags"]


def test_no_position_and_no_community_is_refused(app, client, people):
    before = counts(app)
    response = post_report(client, people["insp"], lat=None, lon=None, accuracy_m=None, location_source=None)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "no_location"
    assert counts(app) == before


def test_exif_far_from_device_and_old_photo_are_flagged(client, people):
    old = datetime.now(UTC).astimezone().replace(tzinfo=None) - timedelta(days=3)
    photo = jpeg(lat=INSIDE_C001[0] + 0.01, lon=INSIDE_C001[1], taken_at=old)
    body = post_report(client, people["insp"], photos=[photo]).get_json()
    assert "exif_far" in body["flags"]
    assert "photo_old" in body["flags"]


def test_outside_every_boundary_waits_for_the_office(client, people):
    body = post_report(client, people["insp"], lat="34.70", lon="112.30").get_json()
    assert body["status"] == "reported"
    assert body["community"] is None
    assert body["due_at"] is None
    assert "outside_boundaries" in body["flags"]


def test_observed_at_from_the_phone_is_kept(client, people):
    with mock.patch("fieldcheck.reports.filing.utcnow", return_value=datetime(2026, 11, 27, 1, tzinfo=UTC)):
        body = post_report(client, people["insp"], observed_at="2026-11-26T23:30:00+08:00").get_json()
    assert body["observed_at"] == "2026-11-26T15:30:00+00:00"


def tiny_png_bomb() -> bytes:
    """A valid PNG header claiming 30000 x 30000 pixels, with a tiny compressed body."""
    img = Image.new("1", (30000, 30000))
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def truncated_jpeg() -> bytes:
    data = jpeg(1600, 1200)
    return data[: len(data) // 2]


BAD = {
    "not_an_image": dict(photos=[b"this is a text file, not a photo\n" * 20]),
    "empty_file": dict(photos=[b""]),
    "truncated": dict(photos=[truncated_jpeg()]),
    "bomb": dict(photos=[tiny_png_bomb()]),
    "no_photo": dict(photos=[]),
    "unknown_item": dict(item_code="XYZ-99"),
    "lat_out_of_range": dict(lat="95"),
    "lon_not_a_number": dict(lon="east"),
    "malformed_client_id": dict(client_id="12345"),
    "instances_below_one": dict(instances="0"),
    "one_good_one_bad_photo": dict(photos=[jpeg(seed=5), b"GIF89a" + b"\0" * 100]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_and_leaves_nothing_behind(app, client, people, case):
    before = counts(app)
    response = post_report(client, people["insp"], **BAD[case])
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] and error["message"]
    assert counts(app) == before


def test_request_over_the_size_limit_is_413(app, client, people):
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    before = counts(app)
    big = zlib.compress(b"x") + b"\0" * 200_000
    response = post_report(client, people["insp"], photos=[big])
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert counts(app) == before


def test_error_messages_follow_the_language(client, people):
    response = post_report(client, people["insp"], photos=[])
    assert response.get_json()["error"]["message"] == "请至少添加一张照片。"


def test_only_inspectors_file_reports(client, people):
    assert post_report(client, people["c1"]).status_code == 403
    assert post_report(client, people["office"]).status_code == 403


def test_reports_list_and_detail_are_scoped(client, people):
    mine = post_report(client, people["insp"]).get_json()  # in C001 (SD01)
    other = post_report(client, people["insp2"], lat=str(INSIDE_C003[0]), lon=str(INSIDE_C003[1])).get_json()

    def listed(who):
        return {r["id"] for r in client.get("/api/v1/reports", headers=people[who]).get_json()["reports"]}

    assert listed("insp") == {mine["id"]}
    assert listed("insp2") == {other["id"]}
    assert listed("c1") == {mine["id"]}
    assert listed("c2") == set()
    assert listed("sd1") == {mine["id"]}
    assert listed("sd2") == {other["id"]}
    assert listed("office") == {mine["id"], other["id"]}
    assert client.get(f"/api/v1/reports/{mine['id']}", headers=people["c1"]).status_code == 200
    assert client.get(f"/api/v1/reports/{mine['id']}", headers=people["c2"]).status_code == 404
    assert client.get(f"/api/v1/reports/{mine['id']}", headers=people["insp2"]).status_code == 404
    assert client.get("/api/v1/reports/999999", headers=people["office"]).status_code == 404


def test_reports_list_filters(client, people):
    # Filed in November (October is the previous month then, so both observations may be filed).
    with mock.patch("fieldcheck.reports.filing.utcnow", return_value=datetime(2026, 11, 20, tzinfo=UTC)):
        post_report(client, people["insp"], observed_at="2026-10-31T23:30:00+08:00")
        post_report(client, people["insp"], observed_at="2026-11-01T00:30:00+08:00")
    office = people["office"]
    oct_ = client.get("/api/v1/reports?month=2026-10", headers=office).get_json()
    nov = client.get("/api/v1/reports?month=2026-11", headers=office).get_json()
    assert oct_["total"] == 1 and nov["total"] == 1
    assert client.get("/api/v1/reports?community=C001", headers=office).get_json()["total"] == 2
    assert client.get("/api/v1/reports?community=C002", headers=office).get_json()["total"] == 0
    assert client.get("/api/v1/reports?status=closed", headers=office).get_json()["total"] == 0
    paged = client.get("/api/v1/reports?per_page=1&page=2", headers=office).get_json()
    assert paged["total"] == 2 and len(paged["reports"]) == 1
    for bad in ("month=2026-13", "status=nope", "page=0", "per_page=1000"):
        assert client.get(f"/api/v1/reports?{bad}", headers=office).status_code == 400, bad


def test_photos_are_served_only_to_those_who_may_see_the_report(client, people, photo_store):
    body = post_report(client, people["insp"]).get_json()
    urls = body["photos"][0]["urls"]
    photo_id = body["photos"][0]["id"]
    original = f"/api/v1/photos/{photo_id}/original"
    for who, display_status, original_status in [
        ("insp", 200, 403),
        ("c1", 200, 403),
        ("sd1", 200, 403),
        ("office", 200, 200),
        ("c2", 404, 404),
        ("sd2", 404, 404),
        ("insp2", 404, 404),
    ]:
        display = client.get(urls["display"], headers=people[who])
        assert display.status_code == display_status, who
        if display_status == 200:
            assert display.headers["Content-Type"] == "image/jpeg"
            assert display.headers["X-Content-Type-Options"] == "nosniff"
        assert client.get(original, headers=people[who]).status_code == original_status, who
    detail = client.get(f"/api/v1/reports/{body['id']}", headers=people["office"]).get_json()
    assert "original" in detail["photos"][0]["urls"]
    assert client.get(f"/api/v1/photos/{photo_id}/raw", headers=people["office"]).status_code == 404


def test_display_copy_is_stripped_and_bounded(client, people, photo_store):
    body = post_report(client, people["insp"], photos=[jpeg(3000, 2000, lat=34.65, lon=112.4)]).get_json()
    data = client.get(body["photos"][0]["urls"]["display"], headers=people["insp"]).data
    img = Image.open(io.BytesIO(data))
    assert max(img.size) <= 1600
    assert not img.getexif()
    thumb = Image.open(
        io.BytesIO(client.get(body["photos"][0]["urls"]["thumb"], headers=people["insp"]).data)
    )
    assert max(thumb.size) <= 320


def test_visit_records_an_inspection_without_a_problem(app, client, people):
    form = report_form([], item_code=None)
    form.pop("photos")
    response = client.post("/api/v1/visits", data=form, headers=people["insp"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["community"]["code"] == "C001"
    again = client.post("/api/v1/visits", data=form, headers=people["insp"])
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    form["note"] = "changed"
    assert client.post("/api/v1/visits", data=form, headers=people["insp"]).status_code == 409


@pytest.fixture
def spots(app, district):
    from fieldcheck.geography.services import add_spots

    with app.app_context():
        add_spots(
            [
                {
                    "code": "C001-RES-1",
                    "name": "王城社区 3号院",
                    "spot_type": "RES",
                    "community_code": "C001",
                },
                {
                    "code": "C002-MKT-1",
                    "name": "青年宫农贸市场",
                    "spot_type": "MKT",
                    "community_code": "C002",
                },
            ]
        )
        db.session.commit()


def test_a_spot_picked_by_hand_gives_its_community(client, people, spots):
    body = post_report(
        client, people["insp"], lat=None, lon=None, accuracy_m=None, location_source=None, spot="C002-MKT-1"
    ).get_json()
    assert body["spot"] == {"code": "C002-MKT-1", "name": "青年宫农贸市场", "type": "MKT"}
    assert body["community"]["code"] == "C002"
    assert body["location"]["location_source"] == "manual"


def test_a_spot_of_another_community_is_refused(app, client, people, spots):
    before = counts(app)
    response = post_report(
        client, people["insp"], community="C001", spot="C002-MKT-1", location_source="manual"
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "spot_mismatch"
    assert post_report(client, people["insp"], spot="NOPE").get_json()["error"]["code"] == "unknown_spot"
    assert counts(app) == before


def test_the_report_list_costs_the_same_queries_for_one_report_or_many(app, client, people, make_report):
    """Each report's events and their photos are loaded with the page, not one query per event (the list
    took 112 queries for 50 reports, 90 ms of CPU; bench/load.py's readers)."""

    def queries() -> tuple[int, int]:
        with recorded_statements(app) as seen:
            answer = client.get("/api/v1/reports", headers=people["office"])
        assert answer.status_code == 200
        return len(seen), answer.get_json()["total"]

    make_report("closed")
    one, total = queries()
    assert total == 1
    for n in range(4):
        make_report("closed", photo_seed=n + 2)
    assert queries() == (one, 5)


def test_a_filing_answers_from_what_it_wrote_without_reading_it_back(app, client, people):
    """The filing's rows stay loaded after its commit (``writing(keep_loaded=True)``): the answer reads no
    report, event or user row back, and the notices read the report's row once for both of its events
    (a filing took 27 queries, 9 of them reading back; bench/load.py's inspectors)."""
    with recorded_statements(app) as recorded:
        answer = post_report(client, people["insp"])
    seen = [" ".join(statement.split()) for statement in recorded]
    assert answer.status_code == 201
    body = answer.get_json()
    assert len(body["events"]) == 2 and body["photos"] and body["community"]
    written = max(i for i, s in enumerate(seen) if s.startswith("INSERT INTO photo"))
    after = seen[written + 1 :]
    assert not [
        s
        for s in after
        if s.startswith(
            ("SELECT report.id, report.client_id", "SELECT event.", 'SELECT "user".id, "user".username')
        )
    ]
    notices = [s for s in seen if s.startswith("SELECT report.id, report.inspector_id")]
    assert len(notices) == 1
