"""Blob maintenance on object storage: `fieldcheck blobs check` (times from LastModified, incomplete
multipart uploads as temporary parts) and `fieldcheck blobs migrate --to s3://...` (verified, resumable).
Against moto's S3-protocol server on 127.0.0.1 (tests/s3server.py)."""

# ruff: noqa: F811
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from fieldcheck.blobs import check
from fieldcheck.cli import main
from fieldcheck.storage import LocalBlobStore, StorageUnavailable, photo_keys, store_from_config
from fieldcheck.storage_migrate import migrate
from tests.s3server import s3_bucket, s3_config, s3_env, s3_store  # noqa: F401  (fixtures)
from tests.test_blobs import add_photo_row, inspector, reader, sha  # noqa: F401  (fixtures and helpers)


def put_photo_files(store, n: int) -> tuple[str, str, str]:
    keys = photo_keys(sha(n))
    for key in keys:
        store.put(key, f"{key} bytes".encode())
    return keys


def test_blobs_check_on_object_storage(reader, s3_store, inspector):
    referenced = put_photo_files(s3_store, 1)
    add_photo_row(inspector, 1)
    unreferenced = put_photo_files(s3_store, 2)
    upload = s3_store.client.create_multipart_upload(Bucket=s3_store.bucket, Key="photos/originals/ee/ff")
    part = f"originals/ee/ff?uploadId={upload['UploadId']}"

    now = datetime.now(UTC)
    listed = check(s3_store, reader, now)
    assert sorted(f.name for f in listed.unreferenced) == sorted(unreferenced)
    assert all(
        now - timedelta(minutes=5) < f.modified <= now + timedelta(minutes=5) for f in listed.unreferenced
    )
    assert [p.name for p in listed.temporary] == [part]
    assert listed.ok
    young = check(s3_store, reader, now, sweep=True)
    assert set(young.removed) <= {part}  # young objects are kept (moto dates every upload in 2010)
    assert all(s3_store.exists(k) for k in unreferenced)

    later = now + timedelta(days=2)  # S3 times cannot be set: the check runs two days on instead
    swept = check(s3_store, reader, later, sweep=True)
    assert set(swept.removed) | set(young.removed) == {*unreferenced, part}
    assert not any(s3_store.exists(k) for k in unreferenced)
    assert all(s3_store.exists(k) for k in referenced)
    assert list(s3_store.temporary_parts()) == []

    s3_store.delete(referenced[1])  # the display copy: made on the photo's first view, so not missing
    pending = check(s3_store, reader, later, sweep=True)
    assert pending.ok and pending.missing == [] and pending.display_not_made == 1 and pending.removed == []
    s3_store.delete(referenced[2])
    missing = check(s3_store, reader, later)
    assert [(m.column, m.key) for m in missing.missing] == [("thumb_key", referenced[2])]


# --------------------------------------------------------------------------------------------------
# migrate


def fill(store: LocalBlobStore, count: int) -> dict[str, bytes]:
    """``count`` photos as the app writes them: originals hash to their key."""
    blobs = {}
    for n in range(count):
        original = f"original photo {n}".encode() * 50
        keys = photo_keys(hashlib.sha256(original).hexdigest())
        for key, data in zip(keys, (original, b"display %d" % n, b"thumb %d" % n), strict=True):
            store.put(key, data)
            blobs[key] = data
    return blobs


class Interrupted(Exception):
    pass


def test_migrate_copies_verifies_and_resumes(tmp_path, s3_store):
    source = LocalBlobStore(tmp_path / "blobs")
    blobs = fill(source, 4)  # 12 blobs
    real_put = s3_store.put
    calls = []

    def failing_put(key, data, *, overwrite=False):
        calls.append(key)
        if len(calls) == 6:
            raise StorageUnavailable("the network went away")
        return real_put(key, data, overwrite=overwrite)

    s3_store.put = failing_put
    with pytest.raises(StorageUnavailable):
        migrate(source, s3_store, jobs=1)
    s3_store.put = real_put
    copied_before = set(s3_store.keys())
    assert len(copied_before) == 5

    # Something else left a wrong object under one key meanwhile: it is replaced, not trusted.
    wrong = sorted(set(blobs) - copied_before)[0]
    s3_store.client.put_object(Bucket=s3_store.bucket, Key=s3_store.prefix + wrong, Body=b"not it")

    resumed = migrate(source, s3_store, jobs=3)
    assert (resumed.skipped, resumed.replaced, resumed.copied, resumed.failed) == (5, 1, 6, [])
    assert sorted(s3_store.keys()) == sorted(blobs)
    assert all(s3_store.get(k) == data for k, data in blobs.items())

    again = migrate(source, s3_store)
    assert (again.skipped, again.copied, again.replaced) == (12, 0, 0)
    assert sorted(source.keys()) == sorted(blobs)  # the source is never changed


def test_migrate_copies_photos_whose_display_copy_is_not_made_yet(tmp_path, s3_store):
    """A photo not viewed yet has an original and a thumbnail only: both are copied, nothing is missing."""
    source = LocalBlobStore(tmp_path / "blobs")
    blobs = fill(source, 2)
    unseen = sorted(k for k in blobs if k.startswith("display/"))[0]
    source.delete(unseen)
    del blobs[unseen]
    result = migrate(source, s3_store)
    assert (result.copied, result.failed) == (5, [])
    assert sorted(s3_store.keys()) == sorted(blobs) and not s3_store.exists(unseen)


def test_migrate_refuses_a_damaged_original(tmp_path, s3_store):
    source = LocalBlobStore(tmp_path / "blobs")
    blobs = fill(source, 2)
    damaged = next(k for k in sorted(blobs) if k.startswith("originals/"))
    source.put(damaged, b"bit rot", overwrite=True)
    result = migrate(source, s3_store)
    assert [k for k, _ in result.failed] == [damaged]
    assert "damaged" in result.failed[0][1]
    assert not s3_store.exists(damaged)
    assert result.copied == 5


def test_migrate_command(app, s3_bucket):
    source = app.extensions["fieldcheck.storage"]
    blobs = fill(source, 2)
    app.config.update({k: v for k, v in s3_config(s3_bucket).items() if k != "BLOB_URL"})
    url = s3_config(s3_bucket)["BLOB_URL"]
    runner = app.test_cli_runner()

    first = runner.invoke(main, ["blobs", "migrate", "--to", url])
    assert first.exit_code == 0, first.output
    assert "6 copied, 0 replaced, 0 already there and verified, 0 failed" in first.output
    dest = store_from_config({**app.config, "BLOB_URL": url})
    assert all(dest.get(k) == data for k, data in blobs.items())

    second = runner.invoke(main, ["blobs", "migrate", "--to", url])
    assert second.exit_code == 0 and "0 copied, 0 replaced, 6 already there and verified" in second.output

    source.put(next(k for k in sorted(blobs) if k.startswith("originals/")), b"rot", overwrite=True)
    damaged = runner.invoke(main, ["blobs", "migrate", "--to", url])
    assert damaged.exit_code == 1 and "failed\toriginals/" in damaged.output

    bad = runner.invoke(main, ["blobs", "migrate", "--to", "ftp://nowhere"])
    assert bad.exit_code == 2 and "--to" in bad.output
    app.config["S3_ENDPOINT_URL"] = "http://127.0.0.1:9"
    down = runner.invoke(main, ["blobs", "migrate", "--to", url])
    assert down.exit_code == 1 and "run the same command again to resume" in down.output
