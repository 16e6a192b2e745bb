"""Backups a restore can trust: ``fieldcheck backup DIR`` and ``fieldcheck restore DIR``.

A backup is a folder:

* ``database/<table>.jsonl.gz``: every row of every table of the app, one JSON object per line, in
  primary-key order. Values are written by column type (timestamps as ISO 8601 in UTC, dates as ISO
  dates, exact points as decimal strings, floats exactly), so a backup of SQLite restores into
  PostgreSQL and back.
* ``blobs/<key>``: every photo file a photo row of the dump refers to (original and thumbnail, and
  the display copy where it has been made), byte for byte. A display copy is made on the photo's first
  view, not at filing, so one that does not exist yet is neither copied nor missing (the restored app
  makes it from the restored original on its first view, the same bytes).
* ``manifest.json``, written last: the schema revision, each table's row count and the SHA-256 of its
  file, the SHA-256 and size of every blob, the keys that were missing from the store, and how many
  display copies were not made yet (``display_not_made``). A folder without a manifest is an unfinished
  backup and is refused.

**Consistency under load.** The rows are read in one transaction (PostgreSQL REPEATABLE READ, read
only; SQLite's read transaction on WAL), so they are one moment's state. The blobs copied are the ones
those rows name, read after the rows: the app writes a photo's files before it commits its rows and never
deletes a file on the request path, so every file a committed row names is in the store when the backup
reads it (only the sweeper deletes, and only files no row names for 24 hours). Reports filed while the
backup runs are simply not in it.

**Restore** checks every file against the manifest before it writes anything, then needs a database
with no rows at the backup's schema revision (an empty database is migrated to it first) and writes the
blobs, then every row in one transaction (sequences set past the highest ids on PostgreSQL), then checks
the counts and that every photo row's files are in the store.

Running a backup into the folder of a previous one copies only the blobs not already there.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    LargeBinary,
    MetaData,
    Table,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import JSON

from .database import READER
from .storage import BlobNotFound, BlobStore, InvalidBlobKey, put_replacing, validate_key

__all__ = ["BackupError", "BackupResult", "RestoreResult", "backup", "restore", "verify"]

FORMAT = "fieldcheck-backup/1"
PHOTO_KEY_COLUMNS = ("original_key", "display_key", "thumb_key")
# Made on a photo's first view (fieldcheck/reports/photofiles.py): copied when made, never missing.
MADE_ON_VIEW = "display_key"
_BATCH = 1000


class BackupError(Exception):
    """The backup folder cannot be used (no manifest, damaged files, another schema, a database not empty)."""


@dataclass
class BackupResult:
    folder: Path
    tables: dict[str, int]
    blobs: int
    blobs_copied: int
    blob_bytes: int
    missing: list[str] = field(default_factory=list)
    #: Display copies photo rows name that were not made yet (not copied, not missing).
    display_not_made: int = 0


@dataclass
class RestoreResult:
    tables: dict[str, int]
    blobs: int
    missing: list[str] = field(default_factory=list)


# -- values -----------------------------------------------------------------------------------------


def _kind(column) -> str:
    """How a column's values are written: by the type the app reads them as."""
    kind = column.type
    impl = getattr(kind, "impl", kind)
    if isinstance(kind, JSON):
        return "json"
    if isinstance(impl, DateTime):
        return "datetime"
    if isinstance(impl, Date):
        return "date"
    if isinstance(impl, LargeBinary):
        return "bytes"
    if isinstance(impl, Float):
        return "float"
    return "plain"


def _encode(value: Any, kind: str) -> Any:
    if value is None or kind in ("json", "plain", "float"):
        return str(value) if isinstance(value, Decimal) else value
    if kind in ("datetime", "date"):
        return value.isoformat()
    return base64.b64encode(value).decode()


def _decode(value: Any, kind: str, column) -> Any:
    if value is None:
        return None if kind != "json" or column.nullable else JSON.NULL
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "plain" and isinstance(value, str) and _is_decimal(column):
        return Decimal(value)
    return value


def _is_decimal(column) -> bool:
    try:
        return column.type.python_type is Decimal
    except NotImplementedError:
        return False


# -- files ------------------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _blob_path(folder: Path, key: str) -> Path:
    return folder.joinpath("blobs", *validate_key(key).split("/"))


# -- backup -----------------------------------------------------------------------------------------


def _snapshot_connection(engine: Engine) -> Connection:
    if engine.dialect.name == "postgresql":
        return engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return engine.connect().execution_options(**{READER: True})


def _dump_table(conn: Connection, table: Table, path: Path) -> int:
    kinds = [(c.name, _kind(c)) for c in table.columns]
    order = list(table.primary_key.columns) or list(table.columns)
    rows = conn.execute(select(table).order_by(*order).execution_options(yield_per=_BATCH))
    count = 0
    tmp = path.with_name(path.name + ".part")
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=3) as out:
        for row in rows:
            mapping = row._mapping
            record = {name: _encode(mapping[name], kind) for name, kind in kinds}
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    os.replace(tmp, path)
    return count


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def backup(
    folder: Path,
    engine: Engine,
    store: BlobStore,
    metadata: MetaData,
    *,
    now: datetime,
    revision: str,
    progress: Callable[[str], None] | None = None,
) -> BackupResult:
    """Write a backup of the database and the photo files its rows name into ``folder`` (module docstring).

    ``revision`` is the schema revision of the code's models (the migrations' head), which the rows are
    read with and which a restore must have."""
    folder = Path(folder)
    (folder / "database").mkdir(parents=True, exist_ok=True)
    previous = _previous_blobs(folder)
    (folder / "manifest.json").unlink(missing_ok=True)  # until the new one is written, it is unfinished
    tables: dict[str, dict] = {}
    keys: set[str] = set()
    optional: set[str] = set()
    with _snapshot_connection(engine) as conn, conn.begin():
        found = _revision(conn)
        if found not in (None, revision):
            raise BackupError(
                f"the database is at schema revision {found}, not {revision}: run `fieldcheck db upgrade`"
            )
        for table in metadata.sorted_tables:
            path = folder / "database" / f"{table.name}.jsonl.gz"
            rows = _dump_table(conn, table, path)
            tables[table.name] = {"rows": rows, "file": f"database/{path.name}", "sha256": _sha256_file(path)}
            if progress:
                progress(f"{table.name}: {rows} rows")
        photo = metadata.tables["photo"]
        for row in conn.execute(select(*(photo.c[c] for c in PHOTO_KEY_COLUMNS))):
            keys.update(row)
            optional.add(row._mapping[MADE_ON_VIEW])
    blobs, missing, copied, size = _copy_blobs(folder, store, sorted(keys), previous, progress)
    not_made = sorted(k for k in missing if k in optional)  # not viewed yet: nothing to copy, nothing lost
    missing = [k for k in missing if k not in optional]
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "dialect": engine.dialect.name,
        "revision": revision,
        "tables": tables,
        "blobs": blobs,
        "missing": missing,
        "display_not_made": len(not_made),
    }
    _write_atomic(folder / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True).encode())
    counts = {n: t["rows"] for n, t in tables.items()}
    return BackupResult(folder, counts, len(blobs), copied, size, missing, len(not_made))


def _previous_blobs(folder: Path) -> dict[str, dict]:
    """The blob records of the backup last finished in ``folder`` (none if there is none)."""
    try:
        return dict(read_manifest(folder)["blobs"])
    except (BackupError, KeyError, TypeError, ValueError):
        return {}


def _copy_blobs(
    folder: Path,
    store: BlobStore,
    keys: list[str],
    previous: dict[str, dict],
    progress: Callable[[str], None] | None,
) -> tuple[dict[str, dict], list[str], int, int]:
    blobs: dict[str, dict] = {}
    missing: list[str] = []
    copied = total = 0
    for n, key in enumerate(keys, 1):
        try:
            path = _blob_path(folder, key)
        except InvalidBlobKey:
            missing.append(key)
            continue
        kept = _kept(path, key, previous) if path.is_file() else None
        if kept is not None:  # a previous backup into this folder copied it
            digest, length = kept["sha256"], kept["size"]
        else:
            try:
                data = store.get(key)
            except BlobNotFound:
                missing.append(key)
                continue
            _write_atomic(path, data)
            digest, length = hashlib.sha256(data).hexdigest(), len(data)
            copied += 1
        blobs[key] = {"sha256": digest, "size": length}
        total += length
        if progress and n % 1000 == 0:
            progress(f"blobs: {n} of {len(keys)}")
    return blobs, missing, copied, total


def _kept(path: Path, key: str, previous: dict[str, dict]) -> dict | None:
    """The record of a blob file already in the backup folder, or None to copy it again. Files are written
    whole (atomically), so one the last finished backup recorded with this size is taken as recorded
    (a nightly backup does not read every photo again: `restore --check` does); any other is read, and an
    original must hash to its key."""
    size = path.stat().st_size
    known = previous.get(key)
    if isinstance(known, dict) and known.get("size") == size and isinstance(known.get("sha256"), str):
        return {"sha256": known["sha256"], "size": size}
    digest = _sha256_file(path)
    if key.startswith("originals/") and digest != key.rsplit("/", 1)[-1]:
        return None
    return {"sha256": digest, "size": size}


# -- verify and restore -----------------------------------------------------------------------------


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} has no manifest.json: not a backup, or an unfinished one") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a {FORMAT} manifest")
    return manifest


def verify(folder: Path) -> list[str]:
    """Every problem with the backup's files (empty: every file is there with its recorded SHA-256)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    problems = []
    for name, table in sorted(manifest["tables"].items()):
        path = folder / table["file"]
        if not path.is_file():
            problems.append(f"{table['file']} is missing")
        elif _sha256_file(path) != table["sha256"]:
            problems.append(f"{table['file']} does not match its SHA-256 (table {name})")
    for key, blob in sorted(manifest["blobs"].items()):
        try:
            path = _blob_path(folder, key)
        except InvalidBlobKey:
            problems.append(f"blob key {key!r} is not valid")
            continue
        if not path.is_file():
            problems.append(f"blobs/{key} is missing")
        elif _sha256_file(path) != blob["sha256"]:
            problems.append(f"blobs/{key} does not match its SHA-256")
    return problems


def _rows(path: Path, table: Table) -> Iterator[list[dict]]:
    columns = {c.name: (c, _kind(c)) for c in table.columns}
    batch: list[dict] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            unknown = set(record) - set(columns)
            if unknown:
                raise BackupError(f"{path.name}: columns {sorted(unknown)} are not in table {table.name}")
            batch.append({name: _decode(v, columns[name][1], columns[name][0]) for name, v in record.items()})
            if len(batch) >= _BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def check_target(session, metadata: MetaData, revision: str | None) -> None:
    """Refuse a database that holds any row, or is at another schema revision than the backup's."""
    filled = [
        t.name
        for t in metadata.sorted_tables
        if session.execute(select(func.count()).select_from(t)).scalar()
    ]
    if filled:
        raise BackupError(
            f"the database is not empty (rows in {', '.join(filled)}): restore needs an empty one"
        )
    conn = session.connection()
    found = _revision(conn)
    if found != revision:
        raise BackupError(
            f"the database is at schema revision {found}, the backup at {revision}: restore with the "
            "fieldcheck version that took the backup (then `fieldcheck db upgrade`)"
        )


def restore_blobs(folder: Path, store: BlobStore, manifest: dict) -> int:
    """Put every blob of the backup into ``store``. The same bytes already there are left as they are;
    other bytes under a backed-up key (a rendition another version made, or a damaged file in a store
    that was kept) are replaced by the backup's, whose SHA-256 :func:`verify` has checked."""
    for key in sorted(manifest["blobs"]):
        put_replacing(store, key, _blob_path(folder, key).read_bytes())
    return len(manifest["blobs"])


def restore_rows(folder: Path, session, metadata: MetaData, manifest: dict) -> dict[str, int]:
    """Insert every row of the backup through ``session`` (the caller commits), sequences past the ids."""
    counts = {}
    for table in metadata.sorted_tables:
        entry = manifest["tables"].get(table.name)
        if entry is None:
            raise BackupError(f"the backup has no table {table.name}")
        counts[table.name] = 0
        for batch in _rows(Path(folder) / entry["file"], table):
            session.execute(insert(table), batch)
            counts[table.name] += len(batch)
        if counts[table.name] != entry["rows"]:
            raise BackupError(
                f"{entry['file']} holds {counts[table.name]} rows, the manifest says {entry['rows']}"
            )
    if session.get_bind().dialect.name == "postgresql":
        _set_sequences(session, metadata)
    return counts


def _set_sequences(session, metadata: MetaData) -> None:
    for table in metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or table.autoincrement_column is None:
            continue
        name = pk[0].name
        session.execute(
            text(
                f'SELECT setval(pg_get_serial_sequence(:table, :column), COALESCE(MAX("{name}"), 1), '
                f'MAX("{name}") IS NOT NULL) FROM "{table.name}"'
            ),
            {"table": f'"{table.name}"', "column": name},
        )


def missing_photo_files(session, metadata: MetaData, store: BlobStore) -> list[str]:
    """Keys that photo rows name and the store lacks; a display copy not made yet is not missing."""
    photo = metadata.tables["photo"]
    keys = set()
    required = [c for c in PHOTO_KEY_COLUMNS if c != MADE_ON_VIEW]
    for row in session.execute(select(*(photo.c[c] for c in required))):
        keys.update(row)
    present = set(store.keys())
    return sorted(k for k in keys if k not in present)


def restore(
    folder: Path, session, store: BlobStore, metadata: MetaData, *, write: Callable[[], Any]
) -> RestoreResult:
    """Check the backup, then put its blobs and rows into an empty database and store (module docstring).

    ``write`` is the unit of work (``fieldcheck.unit_of_work.writing``) the rows are inserted in.
    """
    manifest = read_manifest(folder)
    problems = verify(folder)
    if problems:
        raise BackupError("the backup is damaged: " + "; ".join(problems[:10]))
    check_target(session, metadata, manifest["revision"])
    session.rollback()
    blobs = restore_blobs(Path(folder), store, manifest)
    with write():
        counts = restore_rows(Path(folder), session, metadata, manifest)
    return RestoreResult(counts, blobs, missing_photo_files(session, metadata, store))
