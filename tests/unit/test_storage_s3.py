"""S3BlobStore beyond the shared contract (test_blob_store_contract.py): what it records on each object,
objects other tools wrote, incomplete multipart uploads as temporary parts, presigned links, and a
store that is down. Against moto's S3-protocol server on 127.0.0.1 (tests/s3server.py)."""

# ruff: noqa: F811
from __future__ import annotations

import hashlib
import socket
import urllib.request
from datetime import timedelta

import pytest

from fieldcheck.storage import BlobConflict, InvalidBlobKey, StorageUnavailable, store_from_config
from fieldcheck.storage_s3 import parse_s3_url
from tests.s3server import s3_bucket, s3_config, s3_env, s3_store  # noqa: F401  (fixtures; F811 below: tests name them)


def test_parse_s3_url():
    assert parse_s3_url("s3://city-photos") == ("city-photos", "")
    assert parse_s3_url("s3://city-photos/") == ("city-photos", "")
    assert parse_s3_url("s3://city-photos/a/b/") == ("city-photos", "a/b/")
    for bad in (
        "s3://",
        "s3://x",
        "s3://UPPER",
        "s3://ok-bucket/a//b",
        "s3://ok-bucket/.hidden",
        "s3://ok-bucket?x=1",
    ):
        with pytest.raises(ValueError, match="BLOB_URL"):
            parse_s3_url(bad)


def test_each_object_records_its_sha256_and_a_content_type(s3_store):
    s3_store.put("display/aa/bb.jpg", b"jpeg bytes")
    s3_store.put("originals/aa/bb", b"original bytes")
    head = s3_store.client.head_object(Bucket=s3_store.bucket, Key="photos/display/aa/bb.jpg")
    assert head["Metadata"]["sha256"] == hashlib.sha256(b"jpeg bytes").hexdigest()
    assert head["ContentType"] == "image/jpeg"
    orig = s3_store.client.head_object(Bucket=s3_store.bucket, Key="photos/originals/aa/bb")
    assert orig["ContentType"] == "application/octet-stream"
    size, sha, etag = s3_store.recorded_sha256("originals/aa/bb")
    assert (size, sha, etag) == (
        14,
        hashlib.sha256(b"original bytes").hexdigest(),
        hashlib.md5(b"original bytes").hexdigest(),
    )


def test_objects_written_by_another_tool_are_compared_by_their_bytes(s3_store):
    s3_store.client.put_object(Bucket=s3_store.bucket, Key="photos/originals/aa/bb", Body=b"synced")
    s3_store.put("originals/aa/bb", b"synced")  # the same bytes: fine
    with pytest.raises(BlobConflict):
        s3_store.put("originals/aa/bb", b"SYNCED")


def test_the_prefix_isolates_the_store_and_strangers_are_not_listed(s3_store):
    client, bucket = s3_store.client, s3_store.bucket
    client.put_object(Bucket=bucket, Key="elsewhere/originals/aa/bb", Body=b"x")
    client.put_object(Bucket=bucket, Key="photos/originals/aa/.DS_Store", Body=b"x")
    s3_store.put("originals/aa/cc", b"mine")
    assert list(s3_store.keys()) == ["originals/aa/cc"]
    with pytest.raises(InvalidBlobKey):
        s3_store.exists("../elsewhere/originals/aa/bb")


def test_keys_lists_past_one_page(s3_store):
    names = [f"thumbs/aa/{i:04d}.jpg" for i in range(12)]
    for name in names:
        s3_store.put(name, b"t")
    real = s3_store.client.list_objects_v2

    def small_pages(**params):
        return real(**params, MaxKeys=5)

    s3_store.client.list_objects_v2 = small_pages
    try:
        assert list(s3_store.keys("thumbs/")) == names
    finally:
        s3_store.client.list_objects_v2 = real


def test_incomplete_multipart_uploads_are_temporary_parts(s3_store):
    client, bucket = s3_store.client, s3_store.bucket
    started = client.create_multipart_upload(Bucket=bucket, Key="photos/originals/aa/dd")["UploadId"]
    client.create_multipart_upload(Bucket=bucket, Key="elsewhere/x")  # not ours
    parts = list(s3_store.temporary_parts())
    assert [p.name for p in parts] == [f"originals/aa/dd?uploadId={started}"]
    assert parts[0].temporary and parts[0].modified.tzinfo is not None
    assert parts[0].modified.utcoffset() == timedelta(0)  # (moto gives every upload the same old date)
    s3_store.delete_temporary(parts[0].name)
    s3_store.delete_temporary(parts[0].name)  # already gone: not an error
    assert list(s3_store.temporary_parts()) == []
    assert list(s3_store.keys()) == []


def test_a_presigned_link_serves_the_object_for_a_minute(s3_store):
    s3_store.put("display/aa/bb.jpg", b"jpeg bytes")
    url = s3_store.presigned_url(
        "display/aa/bb.jpg", content_type="image/jpeg", cache_control="private, max-age=60"
    )
    assert "Expires=60" in url or "X-Amz-Expires=60" in url
    assert url.startswith(s3_store.presigned_origin() + "/")
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - loopback test server
        assert answer.read() == b"jpeg bytes"
        assert answer.headers["Content-Type"] == "image/jpeg"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_store_that_is_down_raises_storage_unavailable(s3_env):
    store = store_from_config(
        {"BLOB_DIR": "/x", **s3_config("fc-down"), "S3_ENDPOINT_URL": f"http://127.0.0.1:{_closed_port()}"}
    )
    for call in (
        lambda: store.put("originals/aa/bb", b"x"),
        lambda: store.get("originals/aa/bb"),
        lambda: store.exists("originals/aa/bb"),
        lambda: list(store.keys()),
        store.check,
    ):
        with pytest.raises(StorageUnavailable) as caught:
            call()
        assert isinstance(caught.value, OSError)


def test_a_missing_bucket_is_unavailable_not_missing_blobs(s3_env):
    # (A HEAD cannot tell a missing bucket from a missing object, so exists() says False; writes,
    # listings and the health check say what is wrong.)
    store = store_from_config({"BLOB_DIR": "/x", **s3_config("fc-no-such-bucket")})
    for call in (lambda: store.put("originals/aa/bb", b"x"), lambda: list(store.keys()), store.check):
        with pytest.raises(StorageUnavailable):
            call()


def test_check_passes_on_a_live_bucket(s3_store):
    s3_store.check()
