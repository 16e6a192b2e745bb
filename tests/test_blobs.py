"""fieldcheck.blobs and `fieldcheck blobs check`: unreferenced files, temporary parts, missing files.

The service runs over the in-memory store with a clock the test sets; one test runs it on a
LocalBlobStore with real files whose times are set with os.utime, and the command once end to end.
Photo rows are inserted directly (a visit per photo): the photo pipeline is not under test here.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldcheck.blobs import DEFAULT_GRACE, check
from fieldcheck.cli import main
from fieldcheck.database import READER
from fieldcheck.extensions import db
from fieldcheck.reports.models import Photo, Visit
from fieldcheck.storage import LocalBlobStore, MemoryBlobStore, photo_keys

T0 = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def sha(n: int) -> str:
    return hashlib.sha256(f"photo {n}".encode()).hexdigest()


def put_photo_files(store, n: int) -> tuple[str, str, str]:
    keys = photo_keys(sha(n))
    for key in keys:
        store.put(key, f"{key} bytes".encode())
    return keys


def add_photo_row(inspector_id: int, n: int, session=None) -> int:
    """One visit with one photo of content n; returns the photo id (committed)."""
    session = session or db.session
    visit = Visit(
        client_id=str(uuid.uuid4()),
        content_hash="0" * 64,
        inspector_id=inspector_id,
        location_source="manual",
        observed_at=T0,
    )
    original, display, thumb = photo_keys(sha(n))
    visit.photos.append(
        Photo(
            kind="visit",
            sha256=sha(n),
            phash="0" * 16,
            size=10,
            mime="image/jpeg",
            width=4,
            height=3,
            original_key=original,
            display_key=display,
            thumb_key=thumb,
        )
    )
    session.add(visit)
    session.commit()
    return visit.photos[0].id


@pytest.fixture
def inspector(make_user):
    return make_user("inspector").id


@pytest.fixture
def reader(ctx):
    """A read-only connection, as the command uses (on SQLite it does not take the write lock)."""
    with db.engine.connect().execution_options(**{READER: True}) as conn:
        yield conn


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(clock):
    return MemoryBlobStore(clock=clock)


def test_an_empty_store_and_database_are_fine(reader, store):
    result = check(store, reader, T0)
    assert result.ok and result.photo_files == 0
    assert (result.unreferenced, result.temporary, result.missing, result.removed) == ([], [], [], [])


def test_lists_unreferenced_files_and_keeps_referenced_ones(reader, store, clock, inspector):
    kept = put_photo_files(store, 1)
    add_photo_row(inspector, 1)
    orphans = put_photo_files(store, 2)  # a request that failed after writing its files
    clock.now = T0 + timedelta(days=3)
    result = check(store, reader, clock.now)
    assert result.photo_files == 6
    assert [f.name for f in result.unreferenced] == sorted(orphans)
    assert all(result.is_old(f) for f in result.unreferenced)
    assert result.removed == [] and result.ok  # listing removes nothing
    assert all(store.exists(k) for k in (*kept, *orphans))


def test_sweep_removes_old_unreferenced_files_only(reader, store, clock, inspector):
    referenced = put_photo_files(store, 1)
    add_photo_row(inspector, 1)
    old = put_photo_files(store, 2)
    clock.now = T0 + DEFAULT_GRACE - timedelta(minutes=1)
    young = put_photo_files(store, 3)  # written a minute before the sweep: maybe a request in flight
    clock.now = T0 + DEFAULT_GRACE + timedelta(seconds=1)
    result = check(store, reader, clock.now, sweep=True)
    assert sorted(result.removed) == sorted(old)
    assert not any(store.exists(k) for k in old)
    assert all(store.exists(k) for k in (*referenced, *young))
    assert {f.name for f in result.unreferenced} == {*old, *young}


def test_the_grace_period_is_inclusive_and_never_younger(reader, store, clock):
    keys = put_photo_files(store, 4)
    grace = timedelta(hours=6)
    clock.now = T0 + grace - timedelta(microseconds=1)
    assert check(store, reader, clock.now, grace=grace, sweep=True).removed == []
    clock.now = T0 + grace
    assert sorted(check(store, reader, clock.now, grace=grace, sweep=True).removed) == sorted(keys)
    with pytest.raises(ValueError):
        check(store, reader, clock.now, grace=timedelta(hours=-1))


def test_content_rewritten_by_a_request_is_young_again(reader, store, clock):
    """A request that sends content whose old, unreferenced files are still there puts them again,
    which refreshes their time: the sweep keeps them for the request that is about to commit."""
    keys = put_photo_files(store, 5)
    clock.now = T0 + timedelta(days=10)
    put_photo_files(store, 5)
    assert check(store, reader, clock.now + timedelta(hours=1), sweep=True).removed == []
    assert all(store.exists(k) for k in keys)


def test_a_row_committed_during_the_check_saves_its_files(reader, store, clock, inspector, monkeypatch):
    """The sweep asks the database again just before removing: a row committed after the listing
    (here: while the store is being read) keeps its files, even if they are old."""
    keys = put_photo_files(store, 6)
    clock.now = T0 + timedelta(days=2)
    real_stat, committed = store.stat, []

    def stat_then_commit(key):
        if not committed:  # another request, on its own connection
            with Session(db.engine) as other:
                committed.append(add_photo_row(inspector, 6, other))
        return real_stat(key)

    monkeypatch.setattr(store, "stat", stat_then_commit)
    result = check(store, reader, clock.now, sweep=True)
    assert committed and result.removed == []
    assert all(store.exists(k) for k in keys)


@pytest.mark.parametrize("gone", ["original_key", "thumb_key"])
def test_rows_whose_files_are_missing_are_listed(reader, store, inspector, gone):
    keys = dict(zip(("original_key", "display_key", "thumb_key"), put_photo_files(store, 7), strict=True))
    photo_id = add_photo_row(inspector, 7)
    store.delete(keys[gone])
    result = check(store, reader, T0, sweep=True)
    assert not result.ok
    assert [(m.photo_id, m.column, m.key) for m in result.missing] == [(photo_id, gone, keys[gone])]
    visit_id = db.session.scalar(select(Photo.visit_id).where(Photo.id == photo_id))
    assert (result.missing[0].visit_id, result.missing[0].report_id) == (visit_id, None)
    assert all(store.exists(k) for c, k in keys.items() if c != gone) and result.removed == []


def test_a_display_copy_not_made_yet_is_not_missing(reader, store, inspector):
    """A filing stores the original and the thumbnail; the display copy comes on the first view."""
    original, display, thumb = put_photo_files(store, 8)
    store.delete(display)
    add_photo_row(inspector, 8)
    add_photo_row(inspector, 8)  # the same content filed twice: one copy to make
    result = check(store, reader, T0, sweep=True)
    assert result.ok and result.missing == [] and result.display_not_made == 1
    assert result.photo_files == 2 and result.unreferenced == [] and result.removed == []


def test_a_display_copy_made_on_first_view_long_ago_is_kept(reader, store, clock, inspector):
    """Made for a live row, the copy is referenced: the sweep never removes it, however old."""
    original, display, thumb = put_photo_files(store, 9)
    add_photo_row(inspector, 9)
    clock.now = T0 + timedelta(days=90)
    result = check(store, reader, clock.now, sweep=True)
    assert result.ok and result.display_not_made == 0 and result.unreferenced == [] and result.removed == []
    assert all(store.exists(k) for k in (original, display, thumb))


def test_keys_outside_the_photo_kinds_are_never_touched(reader, store, clock):
    store.put("exports/2026-10.xlsx", b"not a photo")
    clock.now = T0 + timedelta(days=30)
    result = check(store, reader, clock.now, sweep=True)
    assert result.photo_files == 0 and result.removed == []
    assert store.exists("exports/2026-10.xlsx")


# --------------------------------------------------------------------------------------------------
# Real files: times from the file system, temporary parts of interrupted writes


def age(path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def test_local_store_with_real_files_and_times(reader, tmp_path, inspector):
    store = LocalBlobStore(tmp_path / "blobs")
    now = datetime.now(UTC)
    referenced = put_photo_files(store, 1)
    add_photo_row(inspector, 1)
    old, young = put_photo_files(store, 2), put_photo_files(store, 3)
    for key in (*referenced, *old):
        age(store.path(key), now - timedelta(days=3))
    folder = store.path(old[0]).parent
    old_part, young_part = folder / ".tmp-abc123_x.part", folder / ".tmp-def456.part"
    old_part.write_bytes(b"half a photo")
    young_part.write_bytes(b"a photo being written")
    age(old_part, now - timedelta(days=2))
    (folder / "notes.txt~").write_bytes(b"a stranger: not a blob, not a part")

    listed = check(store, reader, now)
    assert [p.name for p in listed.temporary] == sorted(
        p.relative_to(store.root).as_posix() for p in (old_part, young_part)
    )
    assert all(p.temporary for p in listed.temporary)
    assert old_part.exists() and young_part.exists()

    swept = check(store, reader, now, sweep=True)
    removed = set(swept.removed)
    assert removed == {*old, old_part.relative_to(store.root).as_posix()}
    assert not old_part.exists() and young_part.exists() and (folder / "notes.txt~").exists()
    assert all(store.exists(k) for k in (*referenced, *young))
    assert not any(store.exists(k) for k in old)


def test_a_temporary_part_name_cannot_reach_outside_the_store(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    (tmp_path / ".tmp-x.part").write_bytes(b"outside")
    for name in ("../.tmp-x.part", "/tmp/.tmp-x.part", "originals/aa/bb"):
        with pytest.raises(ValueError):
            store.delete_temporary(name)
    assert (tmp_path / ".tmp-x.part").exists()


# --------------------------------------------------------------------------------------------------
# The command


def test_blobs_check_command(app, tmp_path, inspector):
    store = app.extensions["fieldcheck.storage"]
    with app.app_context():
        keys = put_photo_files(store, 1)
        add_photo_row(inspector, 1)
        orphans = put_photo_files(store, 2)
    for key in orphans:
        age(store.path(key), datetime.now(UTC) - timedelta(hours=30))
    runner = app.test_cli_runner()

    listed = runner.invoke(main, ["blobs", "check"])
    assert listed.exit_code == 0, listed.output
    assert all(f"unreferenced\t{key}\t" in listed.output for key in orphans)
    assert "3 unreferenced" in listed.output and "0 removed" in listed.output
    assert "0 display copies not made yet" in listed.output
    assert all(store.exists(k) for k in orphans)

    kept = runner.invoke(main, ["blobs", "check", "--sweep", "--grace", "48"])
    assert kept.exit_code == 0 and all(store.exists(k) for k in orphans)

    swept = runner.invoke(main, ["blobs", "check", "--sweep"])
    assert swept.exit_code == 0, swept.output
    assert "3 removed" in swept.output and not any(store.exists(k) for k in orphans)

    store.delete(keys[1])  # the display copy, as before its first view: not damage
    pending = runner.invoke(main, ["blobs", "check"])
    assert pending.exit_code == 0, pending.output
    assert "0 missing files" in pending.output and "1 display copies not made yet" in pending.output

    store.delete(keys[0])
    missing = runner.invoke(main, ["blobs", "check"])
    assert missing.exit_code == 1
    assert f"original_key\t{keys[0]}" in missing.output and "1 missing files" in missing.output

    refused = runner.invoke(main, ["blobs", "check", "--sweep", "--grace", "0"])
    assert refused.exit_code == 2  # a grace under an hour could remove a request's files in flight
