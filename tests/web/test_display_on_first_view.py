"""The display copy made on its first view (issue #16): a filing stores the original and the thumbnail, the
first GET of /photos/ID/display renders the copy from the original (the same bytes a filing stored before),
stores it under the row's display_key and serves it with the usual headers; later views read the store.
Permissions come first; a missing original is 404 and a failing store 503, never a 500. On the folder
store and on object storage (the photo_store fixture); presigned links: tests/web/test_object_storage.py."""

from __future__ import annotations

import threading

import pytest

from fieldcheck.extensions import db
from fieldcheck.photos import display_copy, process_photo
from fieldcheck.reports import photofiles
from fieldcheck.reports.models import Photo
from fieldcheck.storage import StorageUnavailable
from fieldcheck.storage_http import IMMUTABLE, blob_etag
from tests.photo_factory import jpeg
from tests.web.reporting import missing_files, post_report, stored_keys, unreferenced_files


def filed_photo(app, client, people, photo: bytes) -> tuple[int, Photo]:
    body = post_report(client, people["insp"], photos=[photo]).get_json()
    photo_id = body["photos"][0]["id"]
    with app.app_context():
        row = db.session.get(Photo, photo_id)
        db.session.expunge(row)
    return photo_id, row


def test_the_first_view_makes_stores_and_serves_the_display_copy(
    app, client, people, photo_store, monkeypatch
):
    photo = jpeg(2400, 1800, seed=21, lat=34.65, lon=112.4)
    photo_id, row = filed_photo(app, client, people, photo)
    url = f"/api/v1/photos/{photo_id}/display"
    assert not photo_store.exists(row.display_key)

    first = client.get(url, headers=people["c1"])
    assert first.status_code == 200
    # The bytes a filing stored before session 10 (process_photo renders the display copy as it did).
    assert first.data == display_copy(photo) == process_photo(photo).display
    assert photo_store.get(row.display_key) == first.data
    assert first.headers["Content-Type"] == "image/jpeg"
    assert first.headers["Content-Length"] == str(len(first.data))
    assert first.headers["Cache-Control"] == IMMUTABLE
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert first.headers["ETag"] == f'"{blob_etag(row.display_key)}"'
    assert not missing_files(app) and not unreferenced_files(app)

    # Later views read the store: nothing is rendered again, the answer is the same.
    monkeypatch.setattr(photofiles, "display_copy", lambda *a, **k: pytest.fail("rendered twice"))
    again = client.get(url, headers=people["office"])
    assert again.status_code == 200 and again.data == first.data
    assert {k: again.headers[k] for k in ("ETag", "Cache-Control", "Content-Length")} == {
        k: first.headers[k] for k in ("ETag", "Cache-Control", "Content-Length")
    }
    cached = client.get(url, headers={**people["c1"], "If-None-Match": first.headers["ETag"]})
    assert cached.status_code == 304


def test_nothing_is_rendered_for_those_who_may_not_see_the_photo(
    app, client, people, photo_store, monkeypatch
):
    photo_id, row = filed_photo(app, client, people, jpeg(seed=22))
    monkeypatch.setattr(photofiles, "display_copy", lambda *a, **k: pytest.fail("rendered before the check"))
    for who in ("c2", "sd2", "insp2"):
        assert client.get(f"/api/v1/photos/{photo_id}/display", headers=people[who]).status_code == 404
    assert client.get(f"/api/v1/photos/{photo_id}/display").status_code in (401, 404)
    assert not photo_store.exists(row.display_key)


def test_two_first_views_at_once_store_one_copy(app, people, photo_store):
    photo = jpeg(1800, 1200, seed=23)
    photo_id, row = filed_photo(app, app.test_client(), people, photo)
    barrier, answers = threading.Barrier(4), []

    def view():
        c = app.test_client()
        barrier.wait()
        answer = c.get(f"/api/v1/photos/{photo_id}/display", headers=people["office"])
        answers.append((answer.status_code, answer.data))

    threads = [threading.Thread(target=view) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [(200, display_copy(photo))] * 4
    assert list(photo_store.keys("display/")) == [row.display_key]
    assert {k for k in stored_keys(app) if not k.startswith("display/")} == {row.original_key, row.thumb_key}


def test_a_missing_original_is_404_not_500(app, client, people, photo_store):
    photo_id, row = filed_photo(app, client, people, jpeg(seed=24))
    photo_store.delete(row.original_key)
    answer = client.get(f"/api/v1/photos/{photo_id}/display", headers=people["office"])
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "photo_file_missing"
    assert not photo_store.exists(row.display_key)
    photo_store.delete(row.thumb_key)  # any photo file gone: 404 too (it was a 500)
    answer = client.get(f"/api/v1/photos/{photo_id}/thumb", headers=people["office"])
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "photo_file_missing"


def test_a_store_failing_on_the_first_view_is_503_and_writes_nothing(app, client, people, photo_store):
    photo_id, row = filed_photo(app, client, people, jpeg(seed=25))

    class FailingPut:
        def __init__(self, real):
            self.real = real

        def put(self, key, data, overwrite=False):
            raise StorageUnavailable("the disk is full")

        def __getattr__(self, name):
            return getattr(self.real, name)

    app.extensions["fieldcheck.storage"] = FailingPut(photo_store)
    try:
        answer = client.get(f"/api/v1/photos/{photo_id}/display", headers=people["office"])
    finally:
        app.extensions["fieldcheck.storage"] = photo_store
    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "storage_unavailable"
    assert not photo_store.exists(row.display_key)
    assert client.get(f"/api/v1/photos/{photo_id}/display", headers=people["office"]).status_code == 200


def test_an_original_that_no_longer_decodes_is_404(app, client, people):
    photo_id, row = filed_photo(app, client, people, jpeg(seed=26))
    store = app.extensions["fieldcheck.storage"]
    store.put(row.original_key, store.get(row.original_key)[:-500], overwrite=True)  # damaged in the store
    answer = client.get(f"/api/v1/photos/{photo_id}/display", headers=people["office"])
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "photo_unreadable"
    assert not store.exists(row.display_key)


def test_a_copy_stored_by_another_renderer_version_stands(app, client, people):
    photo_id, row = filed_photo(app, client, people, jpeg(seed=27))
    store = app.extensions["fieldcheck.storage"]
    with app.app_context():
        photo = db.session.get(Photo, photo_id)
        store.put(row.display_key, b"\xff\xd8 made by another version")  # between our miss and our put
        assert (
            photofiles.make_display(store, photo, max_pixels=64_000_000)
            == b"\xff\xd8 made by another version"
        )
    assert store.get(row.display_key) == b"\xff\xd8 made by another version"
