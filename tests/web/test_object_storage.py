"""Reports on object storage through the app: photos stored as objects, served streamed with an ETag or
by a presigned redirect, permissions unchanged; a store that fails gives 503 storage_unavailable with
nothing half-written. Against moto's S3-protocol server on 127.0.0.1 (tests/s3server.py)."""

# ruff: noqa: F811
from __future__ import annotations

import hashlib
import socket
import urllib.request

import pytest

from fieldcheck import create_app
from fieldcheck.storage import StorageUnavailable, store_from_config
from tests.s3server import s3_bucket, s3_config, s3_env  # noqa: F401  (fixtures)
from tests.web.reporting import counts, post_report


@pytest.fixture
def store(app, s3_bucket):
    """The app's photos in a fresh bucket (the app fixture is the usual one, its store swapped)."""
    s3 = store_from_config({"BLOB_DIR": "/x", **s3_config(s3_bucket)})
    app.extensions["fieldcheck.storage"] = s3
    return s3


def error_of(response):
    return response.get_json()["error"]


def test_a_report_on_object_storage_is_stored_and_served(app, client, people, store):
    body = post_report(client, people["insp"]).get_json()
    photo = body["photos"][0]
    keys = list(store.keys())
    # A filing stores the original and the thumbnail; the display copy is made on the first view.
    assert len(keys) == 2 and {k.split("/")[0] for k in keys} == {"originals", "thumbs"}

    served = client.get(f"/api/v1/photos/{photo['id']}/display", headers=people["c1"])
    assert served.status_code == 200
    [display_key] = store.keys("display/")
    assert served.data == store.get(display_key)
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["Content-Length"] == str(len(served.data))
    assert served.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    etag = served.headers["ETag"]
    assert etag

    # The browser asks again with the ETag: 304, and the store is not even read.
    class Unreadable(type(store)):
        def open(self, key):
            raise AssertionError("a 304 must not read the store")

    app.extensions["fieldcheck.storage"] = Unreadable(store.client, store.bucket, store.prefix)
    again = client.get(
        f"/api/v1/photos/{photo['id']}/display", headers={**people["c1"], "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    app.extensions["fieldcheck.storage"] = store

    original = client.get(f"/api/v1/photos/{photo['id']}/original", headers=people["office"])
    assert original.status_code == 200
    assert original.headers["Content-Disposition"].startswith("attachment;")
    assert original.headers["ETag"] != etag
    # Permissions are where they were: another community sees nothing, and originals stay the office's.
    assert client.get(f"/api/v1/photos/{photo['id']}/display", headers=people["c2"]).status_code == 404
    assert client.get(f"/api/v1/photos/{photo['id']}/original", headers=people["c1"]).status_code == 403
    # ... also to someone replaying the ETag.
    assert (
        client.get(
            f"/api/v1/photos/{photo['id']}/display", headers={**people["c2"], "If-None-Match": etag}
        ).status_code
        == 404
    )


def test_presigned_redirects(app, client, people, store):
    photo = post_report(client, people["insp"]).get_json()["photos"][0]
    app.config["S3_PRESIGN"] = 1
    answer = client.get(f"/api/v1/photos/{photo['id']}/thumb", headers=people["c1"])
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(store.presigned_origin() + "/")
    assert "Expires=60" in location
    assert answer.headers["Cache-Control"] == "private, max-age=30"
    with urllib.request.urlopen(location, timeout=10) as fetched:  # noqa: S310 - loopback test server
        assert fetched.read() == store.get(next(iter(store.keys("thumbs/"))))
        assert fetched.headers["Content-Type"] == "image/jpeg"
    # No link for those who may not see the photo.
    assert client.get(f"/api/v1/photos/{photo['id']}/thumb", headers=people["c2"]).status_code == 404
    assert client.get(f"/api/v1/photos/{photo['id']}/original", headers=people["c1"]).status_code == 403
    office = client.get(f"/api/v1/photos/{photo['id']}/original", headers=people["office"])
    assert (
        office.status_code == 302 and "response-content-disposition=attachment" in office.headers["Location"]
    )


def test_a_presigned_link_to_a_display_copy_names_one_that_exists(app, client, people, store):
    """The display copy is made on the first view: made and stored before the link is given."""
    from fieldcheck.photos import display_copy
    from tests.photo_factory import jpeg

    photo = jpeg(seed=28)
    photo_id = post_report(client, people["insp"], photos=[photo]).get_json()["photos"][0]["id"]
    assert not list(store.keys("display/"))
    app.config["S3_PRESIGN"] = 1
    answer = client.get(f"/api/v1/photos/{photo_id}/display", headers=people["c1"])
    assert answer.status_code == 302
    with urllib.request.urlopen(answer.headers["Location"], timeout=10) as fetched:  # noqa: S310 - loopback
        assert fetched.read() == display_copy(photo)
        assert fetched.headers["Content-Type"] == "image/jpeg"
    again = client.get(f"/api/v1/photos/{photo_id}/display", headers=people["c1"])
    assert again.status_code == 302 and len(list(store.keys("display/"))) == 1
    # Nothing is made for a reader who may not see the photo.
    other = post_report(client, people["insp"], photos=[jpeg(seed=29)]).get_json()["photos"][0]["id"]
    assert client.get(f"/api/v1/photos/{other}/display", headers=people["c2"]).status_code == 404
    assert len(list(store.keys("display/"))) == 1


def test_pages_allow_images_from_the_store_when_presigning(s3_env, s3_bucket, tmp_path):
    base = {
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "SECRET_KEY": "x",
        **s3_config(s3_bucket),
    }
    plain = create_app(base).test_client().get("/login")
    assert "img-src 'self' blob:;" in plain.headers["Content-Security-Policy"]
    app = create_app({**base, "S3_PRESIGN": "1"})
    origin = app.extensions["fieldcheck.storage"].presigned_origin()
    policy = app.test_client().get("/login").headers["Content-Security-Policy"]
    assert f"img-src 'self' blob: {origin};" in policy


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_store_that_is_down_gives_503_and_nothing_is_filed(app, client, people, s3_bucket):
    before = counts(app)
    folder = app.extensions["fieldcheck.storage"]
    app.extensions["fieldcheck.storage"] = store_from_config(
        {"BLOB_DIR": "/x", **s3_config(s3_bucket), "S3_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}"}
    )
    answer = post_report(client, people["insp"])
    assert answer.status_code == 503
    assert error_of(answer)["code"] == "storage_unavailable"
    assert answer.headers["Retry-After"]
    app.extensions["fieldcheck.storage"] = folder  # counts() lists the app's store: not the one that is down
    assert counts(app) == before


def test_a_store_failing_midway_leaves_no_rows_and_only_whole_objects(app, client, people, store):
    """Nothing half-written: no row, and the one object written before the failure is whole (its bytes hash
    to its key). No request deletes photo files (another request may be about to use the same content);
    `fieldcheck blobs check --sweep` removes such leftovers after the grace period."""

    class FailsOnSecondPut(type(store)):
        puts = 0

        def put(self, key, data, *, overwrite=False):
            FailsOnSecondPut.puts += 1
            if FailsOnSecondPut.puts == 2:
                raise StorageUnavailable("object storage went away")
            return super().put(key, data, overwrite=overwrite)

    before = counts(app)
    app.extensions["fieldcheck.storage"] = FailsOnSecondPut(store.client, store.bucket, store.prefix)
    answer = post_report(client, people["insp"])
    assert answer.status_code == 503 and error_of(answer)["code"] == "storage_unavailable"
    rows = {
        k: v for k, v in counts(app).items() if k != "files"
    }  # counts() lists the bucket: the object below
    assert rows == {k: v for k, v in before.items() if k != "files"}
    left = list(store.keys())  # the original landed; its thumbnail (the second put) failed
    assert len(left) == 1 and left[0].startswith("originals/")
    assert hashlib.sha256(store.get(left[0])).hexdigest() == left[0].rsplit("/", 1)[-1]
    app.extensions["fieldcheck.storage"] = store
    assert post_report(client, people["insp"]).status_code == 201


def test_a_photo_read_while_the_store_is_down_is_503(app, client, people, store, s3_bucket):
    photo = post_report(client, people["insp"]).get_json()["photos"][0]
    app.extensions["fieldcheck.storage"] = store_from_config(
        {"BLOB_DIR": "/x", **s3_config(s3_bucket), "S3_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}"}
    )
    answer = client.get(f"/api/v1/photos/{photo['id']}/display", headers=people["c1"])
    assert answer.status_code == 503 and error_of(answer)["code"] == "storage_unavailable"


def test_a_full_disk_on_the_folder_store_is_503_too(app, client, people, monkeypatch):
    """Before object storage, an OSError writing a report's photos was a 500 (fails on 79a7cf4)."""
    import fieldcheck.storage

    def full(fd):
        raise OSError(28, "No space left on device")

    before = counts(app)
    monkeypatch.setattr(fieldcheck.storage.os, "fsync", full)
    answer = post_report(client, people["insp"])
    monkeypatch.undo()
    assert answer.status_code == 503 and error_of(answer)["code"] == "storage_unavailable"
    assert counts(app) == before
