"""LocalBlobStore: atomic and idempotent writes, safe keys, reads, deletes, listing."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from fieldcheck.storage import (
    BlobConflict,
    BlobNotFound,
    BlobStore,
    InvalidBlobKey,
    LocalBlobStore,
    blob_key,
    photo_keys,
    validate_key,
)


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_is_a_blob_store(store):
    assert isinstance(store, BlobStore)


def test_put_get_roundtrip_and_layout(store, tmp_path):
    sha = hashlib.sha256(b"photo").hexdigest()
    key = blob_key("originals", sha)
    assert key == f"originals/{sha[:2]}/{sha}"
    store.put(key, b"photo")
    assert store.get(key) == b"photo"
    assert store.exists(key)
    assert (tmp_path / "blobs" / "originals" / sha[:2] / sha).read_bytes() == b"photo"


def test_photo_keys_are_the_layout_already_on_disk():
    """Every stored Photo row and file uses these keys: a new layout must give exactly these."""
    sha = hashlib.sha256(b"photo").hexdigest()
    assert photo_keys(sha) == (
        f"originals/{sha[:2]}/{sha}",
        f"display/{sha[:2]}/{sha}.jpg",
        f"thumbs/{sha[:2]}/{sha}.jpg",
    )
    fixed = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"  # sha256(b"test")
    assert photo_keys(fixed) == (
        "originals/9f/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "display/9f/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.jpg",
        "thumbs/9f/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.jpg",
    )
    assert [blob_key(kind, fixed) for kind in ("originals", "display", "thumbs")] == list(photo_keys(fixed))


def test_the_filing_service_uses_the_one_key_layout():
    from fieldcheck.reports import services

    assert services.photo_keys is photo_keys


def test_open_returns_a_readable_binary_file(store):
    store.put("display/ab/cd", b"\xff\xd8jpeg")
    with store.open("display/ab/cd") as fh:
        assert fh.read() == b"\xff\xd8jpeg"


def test_missing_blob(store):
    assert not store.exists("originals/aa/bb")
    with pytest.raises(BlobNotFound):
        store.get("originals/aa/bb")
    with pytest.raises(BlobNotFound):
        store.open("originals/aa/bb")
    with pytest.raises(KeyError):  # BlobNotFound is a KeyError
        store.get("originals/aa/bb")


def test_put_same_content_again_rewrites_nothing_but_refreshes_the_time(store):
    """No new file replaces the blob (same inode), but its modification time is now: a sweeper's
    grace period counts from the last request that wrote the content (see fieldcheck.blobs)."""
    store.put("thumbs/aa/bb", b"same")
    path = store.path("thumbs/aa/bb")
    os.utime(path, (1_000_000_000, 1_000_000_000))  # written long ago
    before = path.stat()
    store.put("thumbs/aa/bb", b"same")
    after = path.stat()
    assert after.st_ino == before.st_ino
    assert after.st_mtime > before.st_mtime + 86_400
    assert store.get("thumbs/aa/bb") == b"same"


def test_put_different_content_conflicts_unless_overwrite(store):
    store.put("display/aa/bb", b"first")
    with pytest.raises(BlobConflict):
        store.put("display/aa/bb", b"second")
    assert store.get("display/aa/bb") == b"first"
    store.put("display/aa/bb", b"second", overwrite=True)
    assert store.get("display/aa/bb") == b"second"


def test_put_leaves_no_temporary_files(store, tmp_path):
    for i in range(5):
        store.put(f"originals/aa/{i}", bytes([i]) * 1000)
    assert _files(tmp_path / "blobs") == [f"originals/aa/{i}" for i in range(5)]


def test_failed_put_leaves_nothing_behind(store, tmp_path, monkeypatch):
    """A crash between writing and renaming must leave neither a partial blob nor a temp file."""

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        store.put("originals/aa/bb", b"x" * 100_000)
    assert not store.exists("originals/aa/bb")
    assert _files(tmp_path / "blobs") == []


def test_failed_overwrite_keeps_the_old_blob_whole(store, monkeypatch):
    store.put("display/aa/bb", b"old" * 1000)

    def failing_fsync(fd):
        raise OSError("I/O error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="I/O error"):
        store.put("display/aa/bb", b"new" * 1000, overwrite=True)
    monkeypatch.undo()
    assert store.get("display/aa/bb") == b"old" * 1000
    assert list(store.keys()) == ["display/aa/bb"]


def test_put_is_fsynced_before_rename(store, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    store.put("originals/aa/bb", b"data")
    assert events[:2] == ["fsync", "replace"]


def test_concurrent_puts_of_the_same_blob_all_succeed(store):
    errors = []

    def put():
        try:
            store.put("originals/aa/bb", b"z" * 200_000)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.get("originals/aa/bb") == b"z" * 200_000
    assert list(store.keys()) == ["originals/aa/bb"]


@pytest.mark.parametrize(
    "key",
    [
        "",
        "/etc/passwd",
        "../outside",
        "originals/../../outside",
        "originals/./x",
        "originals//x",
        "originals/x/",
        "/originals/x",
        "originals\\..\\x",
        "C:/windows",
        ".hidden",
        "originals/.tmp-123.part",
        "originals/x\x00y",
        "originals/ünïcode",
        "a b",
        "~/x",
        "x" * 513,
    ],
)
def test_bad_keys_are_refused(store, tmp_path, key):
    with pytest.raises(InvalidBlobKey):
        store.put(key, b"x")
    with pytest.raises(InvalidBlobKey):
        store.get(key)
    with pytest.raises(InvalidBlobKey):
        store.exists(key)
    with pytest.raises(InvalidBlobKey):
        store.delete(key)
    assert not (tmp_path / "outside").exists()


def test_non_string_keys_are_refused():
    for key in (None, b"originals/aa", 42, Path("originals/aa")):
        with pytest.raises(InvalidBlobKey):
            validate_key(key)  # type: ignore[arg-type]


def test_blob_key_wants_a_sha256_and_a_known_kind():
    with pytest.raises(InvalidBlobKey):
        blob_key("originals", "not-a-hash")
    with pytest.raises(InvalidBlobKey):
        blob_key("originals", "A" * 64)
    with pytest.raises(InvalidBlobKey):
        blob_key("../x", "a" * 64)
    with pytest.raises(InvalidBlobKey):
        blob_key("exports", "a" * 64)


def test_delete(store):
    store.put("originals/aa/bb", b"x")
    store.delete("originals/aa/bb")
    assert not store.exists("originals/aa/bb")
    with pytest.raises(BlobNotFound):
        store.get("originals/aa/bb")
    store.delete("originals/aa/bb")  # deleting again is fine
    store.delete("never/was/here")


def test_a_key_prefix_is_not_a_blob(store):
    store.put("originals/aa/bb", b"x")
    assert not store.exists("originals/aa")
    with pytest.raises(BlobNotFound):
        store.get("originals/aa")
    store.delete("originals/aa")  # nothing happens to the blobs under it
    assert store.get("originals/aa/bb") == b"x"


def test_keys_lists_everything_sorted_and_skips_strangers(store, tmp_path):
    assert list(store.keys()) == []  # root not created yet
    for key in ("thumbs/bb/2", "originals/aa/1", "display/aa/1", "originals/ab/0"):
        store.put(key, key.encode())
    (tmp_path / "blobs" / "originals" / "aa" / ".tmp-abandoned.part").write_bytes(b"partial")
    assert list(store.keys()) == ["display/aa/1", "originals/aa/1", "originals/ab/0", "thumbs/bb/2"]
    assert list(store.keys("originals/")) == ["originals/aa/1", "originals/ab/0"]


def test_store_accepts_str_root(tmp_path):
    store = LocalBlobStore(str(tmp_path / "b"))
    store.put("a/b", b"1")
    assert store.get("a/b") == b"1"
