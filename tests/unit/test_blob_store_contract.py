"""The BlobStore contract, run on every implementation: LocalBlobStore (files), MemoryBlobStore and
S3BlobStore (against moto's S3-protocol server on 127.0.0.1: tests/s3server.py).

What the application relies on is written once here; each store must pass all of it. Store-specific
behaviour (atomic renames, fsync, temporary files on disk) is in test_storage.py.
"""

# ruff: noqa: F811
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fieldcheck import create_app
from fieldcheck.storage import (
    BlobConflict,
    BlobNotFound,
    BlobStore,
    InvalidBlobKey,
    LocalBlobStore,
    MemoryBlobStore,
    StoredFile,
    store_from_config,
)
from fieldcheck.storage_s3 import S3BlobStore
from tests.s3server import s3_bucket, s3_env, s3_store  # noqa: F401  (fixtures; F811 below: tests name them)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["local", "memory", "s3"])
def store(request, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    if request.param == "s3":
        return request.getfixturevalue("s3_store")
    return MemoryBlobStore()


def test_is_a_blob_store(store):
    assert isinstance(store, BlobStore)


def test_put_get_open_exists(store):
    assert not store.exists("originals/aa/bb")
    store.put("originals/aa/bb", b"photo")
    assert store.exists("originals/aa/bb")
    assert store.get("originals/aa/bb") == b"photo"
    with store.open("originals/aa/bb") as fh:
        assert fh.read() == b"photo"


def test_put_copies_the_bytes(store):
    data = bytearray(b"photo")
    store.put("originals/aa/bb", data)
    data[:] = b"XXXXX"
    assert store.get("originals/aa/bb") == b"photo"


def test_missing_blob(store):
    for read in (store.get, store.open, store.stat):
        with pytest.raises(BlobNotFound):
            read("originals/aa/bb")
    with pytest.raises(KeyError):
        store.get("originals/aa/bb")


def test_same_content_again_is_fine_different_content_conflicts(store):
    store.put("display/aa/bb", b"first")
    store.put("display/aa/bb", b"first")
    with pytest.raises(BlobConflict):
        store.put("display/aa/bb", b"second")
    assert store.get("display/aa/bb") == b"first"
    store.put("display/aa/bb", b"second", overwrite=True)
    assert store.get("display/aa/bb") == b"second"


def test_delete_is_idempotent(store):
    store.put("originals/aa/bb", b"x")
    store.delete("originals/aa/bb")
    assert not store.exists("originals/aa/bb")
    store.delete("originals/aa/bb")
    store.delete("never/was/here")
    with pytest.raises(BlobNotFound):
        store.get("originals/aa/bb")


def test_keys_are_sorted_and_filtered_by_prefix(store):
    for key in ("thumbs/bb/2", "originals/bb/1", "originals/aa/9", "display/aa/1.jpg"):
        store.put(key, key.encode())
    assert list(store.keys()) == ["display/aa/1.jpg", "originals/aa/9", "originals/bb/1", "thumbs/bb/2"]
    assert list(store.keys("originals/")) == ["originals/aa/9", "originals/bb/1"]
    assert list(store.keys("nothing/")) == []


def test_an_empty_store_lists_nothing(store):
    assert list(store.keys()) == []
    assert list(store.temporary_parts()) == []


def test_stat_gives_size_and_an_aware_modification_time(store):
    before = datetime.now(UTC) - timedelta(seconds=5)
    store.put("originals/aa/bb", b"12345")
    info = store.stat("originals/aa/bb")
    assert isinstance(info, StoredFile)
    assert (info.name, info.size, info.temporary) == ("originals/aa/bb", 5, False)
    assert info.modified.tzinfo is not None
    assert before <= info.modified <= datetime.now(UTC) + timedelta(seconds=5)


@pytest.mark.parametrize(
    "key", ["", "../outside", "/etc/passwd", "originals//x", ".hidden", "originals/.tmp-1.part", "a b"]
)
def test_bad_keys_are_refused(store, key):
    for call in (
        lambda: store.put(key, b"x"),
        lambda: store.get(key),
        lambda: store.exists(key),
        lambda: store.delete(key),
        lambda: store.stat(key),
    ):
        with pytest.raises(InvalidBlobKey):
            call()


def test_a_temporary_part_name_must_look_like_one(store):
    with pytest.raises(InvalidBlobKey):
        store.delete_temporary("originals/aa/bb")


def test_concurrent_puts_of_the_same_blob_all_succeed(store):
    errors = []

    def put():
        try:
            store.put("originals/aa/bb", b"z" * 100_000)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert store.get("originals/aa/bb") == b"z" * 100_000
    assert list(store.keys()) == ["originals/aa/bb"]


# --------------------------------------------------------------------------------------------------
# The memory store's clock, and choosing a store by configuration


def test_memory_store_stamps_writes_with_its_clock():
    clock = Clock()
    store = MemoryBlobStore(clock=clock)
    store.put("originals/aa/bb", b"x")
    assert store.stat("originals/aa/bb").modified == clock.now
    clock.now += timedelta(days=2)
    store.put("originals/aa/bb", b"x")  # the same bytes again: refreshed, as on disk
    assert store.stat("originals/aa/bb").modified == clock.now


def test_store_from_config(tmp_path):
    local = store_from_config({"BLOB_DIR": str(tmp_path / "b"), "BLOB_URL": None})
    assert isinstance(local, LocalBlobStore) and local.root == tmp_path / "b"
    assert isinstance(store_from_config({"BLOB_DIR": "/x", "BLOB_URL": "memory://"}), MemoryBlobStore)
    named = store_from_config({"BLOB_DIR": "/x", "BLOB_URL": f"file://{tmp_path}/c"})
    assert isinstance(named, LocalBlobStore) and named.root == tmp_path / "c"
    s3 = store_from_config(
        {
            "BLOB_DIR": "/x",
            "BLOB_URL": "s3://city-photos/fieldcheck/prod",
            "S3_ENDPOINT_URL": "https://oss-cn-hangzhou.aliyuncs.com",
            "S3_REGION": "cn-hangzhou",
            "S3_ADDRESSING": "virtual",
            "S3_CHECKSUMS": "when_required",
        }
    )
    assert isinstance(s3, S3BlobStore)
    assert (s3.bucket, s3.prefix) == ("city-photos", "fieldcheck/prod/")
    assert s3.client.meta.config.s3["addressing_style"] == "virtual"
    assert s3.client.meta.config.request_checksum_calculation == "when_required"
    assert s3.client.meta.config.response_checksum_validation == "when_required"
    for setting in ({"S3_ADDRESSING": "sideways"}, {"S3_CHECKSUMS": "never"}):
        with pytest.raises(ValueError, match="FIELDCHECK_S3_"):
            store_from_config({"BLOB_DIR": "/x", "BLOB_URL": "s3://city-photos", **setting})
    for bad in ("s3://", "s3://B_ad", "s3://bucket/../up", "memory", "file://", "ftp://host/x"):
        with pytest.raises(ValueError, match="BLOB_URL"):
            store_from_config({"BLOB_DIR": "/x", "BLOB_URL": bad})


def test_the_app_uses_the_configured_store(tmp_path):
    base = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "SECRET_KEY": "x",
        "BLOB_DIR": str(tmp_path / "b"),
    }
    assert isinstance(create_app(base).extensions["fieldcheck.storage"], LocalBlobStore)
    app = create_app({**base, "BLOB_URL": "memory://"})
    assert isinstance(app.extensions["fieldcheck.storage"], MemoryBlobStore)
