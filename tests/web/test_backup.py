"""`fieldcheck backup DIR` while reports are being filed, then `fieldcheck restore DIR` into an empty database
and store: counts, hashes, every photo row's files and a month's ranking as in the original (SQLite and
PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from fieldcheck import create_app
from fieldcheck.cli import main
from fieldcheck.extensions import db
from fieldcheck.ranking import services as ranking_services
from fieldcheck.reports.models import Photo, Report
from tests.conftest import app_config
from tests.photo_factory import jpeg
from tests.web.reporting import post_report

OCTOBER = "2026-10"


def table_counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables
        }


def october_ranking(app, now) -> str:
    with app.app_context():
        document = ranking_services.compute(OCTOBER, now=now, tz_name="Asia/Shanghai").document
        return json.dumps(document, sort_keys=True, default=str)


def report_rows(app, ids) -> dict:
    with app.app_context():
        rows = db.session.execute(select(Report.__table__).where(Report.id.in_(ids))).mappings().all()
        return {row["id"]: dict(row) for row in rows}


def blobs_of(app) -> dict[str, str]:
    store = app.extensions["fieldcheck.storage"]
    return {key: hashlib.sha256(store.get(key)).hexdigest() for key in store.keys()}  # noqa: SIM118 - a BlobStore, not a dict


@pytest.fixture
def empty_target(backend, tmp_path, request):
    """An app on an empty database (no tables) and an empty photo store."""
    if backend == "postgresql":
        url = request.getfixturevalue("pg_empty_database")
    else:
        url = f"sqlite:///{tmp_path / 'restored.db'}"
    target = create_app(app_config(url, tmp_path / "restored-blobs"))
    yield target
    with target.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_backup_under_filing_restores_whole(app, people, make_report, clock, empty_target, tmp_path):
    # October: a month to rank, in several states (rows and files made by the factory).
    for n, status in enumerate(["closed", "rectified", "dispatched", "voided", "closed", "appealed"]):
        make_report(
            status, community=f"C00{n % 3 + 1}", at=datetime(2026, 10, 5 + n, 2, tzinfo=UTC), photo_seed=n
        )
    ranking_before = october_ranking(app, clock.now())

    # November: an inspector files reports, with photos, through the API the whole time.
    filed, filed_photos, stop, errors = [], [], threading.Event(), []
    two_filed = threading.Event()

    def inspector():
        client = app.test_client()
        seed = 1000
        while not stop.is_set():
            seed += 1
            answer = post_report(client, people["insp"], photos=[jpeg(seed=seed), jpeg(seed=seed + 500)])
            if answer.status_code != 201:
                errors.append(answer.get_data(as_text=True))
                return
            filed.append(answer.get_json()["id"])
            filed_photos.append(answer.get_json()["photos"][0]["id"])
            if len(filed) >= 2:
                two_filed.set()

    thread = threading.Thread(target=inspector)
    thread.start()
    try:
        assert two_filed.wait(60), errors
        filed_before = len(filed)
        # One filed photo viewed: its display copy, made by that first view, is in the store and the backup.
        viewed_id = filed_photos[0]
        shown = app.test_client().get(f"/api/v1/photos/{viewed_id}/display", headers=people["office"])
        assert shown.status_code == 200
        folder = tmp_path / "backup"
        result = app.test_cli_runner().invoke(main, ["backup", str(folder)])
        after_backup = len(filed)
        while len(filed) < after_backup + 2 and not errors and thread.is_alive():
            two_filed.clear()
            two_filed.wait(30)
    finally:
        stop.set()
        thread.join(60)
    assert result.exit_code == 0, result.output
    assert not errors, errors
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["missing"] == []  # display copies not made yet are not missing ...
    assert manifest["display_not_made"] >= 1 and "display copies not made yet" in result.output
    with app.app_context():
        viewed_display = db.session.get(Photo, viewed_id).display_key
    assert viewed_display in manifest["blobs"]  # ... and one made on a first view is kept

    # The backup holds one moment: at least what was filed before it began, not what came after.
    reports_in_backup = manifest["tables"]["report"]["rows"]
    assert 6 + filed_before <= reports_in_backup < 6 + len(filed)

    restored = empty_target.test_cli_runner().invoke(main, ["restore", str(folder)])
    assert restored.exit_code == 0, restored.output
    assert "0 photo files missing" in restored.output

    counts = table_counts(empty_target)
    assert counts == {name: table["rows"] for name, table in manifest["tables"].items()}
    original = table_counts(app)
    assert counts["report"] < original["report"]  # filing went on after the snapshot
    # Every photo row has its files (the original and the thumbnail, and the display copy where it had
    # been made), byte for byte the original's.
    with empty_target.app_context():
        keys = {k for row in db.session.execute(select(Photo.original_key, Photo.thumb_key)) for k in row}
        displays = set(db.session.scalars(select(Photo.display_key)))
        ids = db.session.scalars(select(Report.id)).all()
        photo_ids = set(db.session.scalars(select(Photo.id)))
    restored_blobs = blobs_of(empty_target)
    assert keys and keys <= set(restored_blobs)
    assert viewed_display in restored_blobs and displays - set(restored_blobs)  # made ones only
    unseen = next(p for p in filed_photos if p in photo_ids and p != viewed_id)
    with app.app_context():
        assert db.session.get(Photo, unseen).display_key not in restored_blobs
    original_blobs = blobs_of(app)
    assert {k: original_blobs[k] for k in restored_blobs} == restored_blobs
    assert {k: v["sha256"] for k, v in manifest["blobs"].items()} == restored_blobs
    # The reports are the original's, column for column, and October ranks the same.
    assert report_rows(empty_target, ids) == report_rows(app, ids)
    assert october_ranking(empty_target, clock.now()) == ranking_before == october_ranking(app, clock.now())

    # A display copy not made before the backup is made on its first view after the restore, the same bytes
    # the original app makes.
    shown = [
        target.test_client().get(f"/api/v1/photos/{unseen}/display", headers=people["office"])
        for target in (empty_target, app)
    ]
    assert [r.status_code for r in shown] == [200, 200] and shown[0].data == shown[1].data

    # The restored database goes on: a new report gets a fresh id.
    new = post_report(empty_target.test_client(), people["insp"])
    assert new.status_code == 201, new.get_json()
    assert new.get_json()["id"] > max(ids)


def test_a_damaged_or_unfinished_backup_is_refused_and_a_full_database_too(
    app, people, make_report, empty_target, tmp_path
):
    make_report("closed", at=datetime(2026, 10, 5, 2, tzinfo=UTC))
    folder = tmp_path / "backup"
    assert app.test_cli_runner().invoke(main, ["backup", str(folder)]).exit_code == 0
    # Again into the same folder: the photo files are there already, none is copied again.
    again = app.test_cli_runner().invoke(main, ["backup", str(folder)])
    assert again.exit_code == 0 and "0 copied now" in again.output and " 0 photo files" not in again.output
    runner = empty_target.test_cli_runner()
    assert runner.invoke(main, ["restore", "--check", str(folder)]).exit_code == 0

    # Into the database it came from: refused, nothing written.
    before = table_counts(app)
    into_full = app.test_cli_runner().invoke(main, ["restore", str(folder)])
    assert into_full.exit_code == 1 and "not empty" in into_full.output
    assert table_counts(app) == before

    # A damaged file: found by --check and refused by restore before anything is written.
    blob = next((folder / "blobs" / "thumbs").rglob("*.jpg"))
    blob.write_bytes(blob.read_bytes()[:-1] + b"\0")
    check = runner.invoke(main, ["restore", "--check", str(folder)])
    assert check.exit_code == 1 and "does not match its SHA-256" in check.output
    damaged = runner.invoke(main, ["restore", str(folder)])
    assert damaged.exit_code == 1 and "damaged" in damaged.output
    assert not list(empty_target.extensions["fieldcheck.storage"].keys())

    # No manifest: an unfinished backup.
    (folder / "manifest.json").unlink()
    unfinished = runner.invoke(main, ["restore", str(folder)])
    assert unfinished.exit_code == 1 and "unfinished" in unfinished.output


def test_a_restore_into_a_store_that_kept_its_files_replaces_other_renditions(
    app, people, make_report, empty_target, tmp_path
):
    """The database was lost and the store kept (the usual disaster): the store may hold the same blobs,
    and renditions another version made with other bytes under the same keys. The restore puts the
    backup's verified bytes back and leaves the same bytes as they are."""
    make_report("closed", at=datetime(2026, 10, 5, 2, tzinfo=UTC))
    folder = tmp_path / "backup"
    assert app.test_cli_runner().invoke(main, ["backup", str(folder)]).exit_code == 0
    backed_up = blobs_of(app)
    store = empty_target.extensions["fieldcheck.storage"]
    thumb = next(key for key in backed_up if key.startswith("thumbs/"))
    store.put(thumb, b"a thumbnail another version made")
    restored = empty_target.test_cli_runner().invoke(main, ["restore", str(folder)])
    assert restored.exit_code == 0, restored.output
    assert blobs_of(empty_target) == backed_up
