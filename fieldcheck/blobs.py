"""Blob store maintenance: photo files no row references, temporary parts, rows whose files are gone.

Photo files are content-addressed and shared: two reports of the same photo point at the same files
(an original, a thumbnail, and a display copy once the photo has been viewed: a filing does not make
it, its first view does, under the key the row has named from the start). So the request path never deletes a file (another transaction may be about to reference it);
this check is the only deleter. It finds

* **unreferenced files**: photo blobs (under ``originals/``, ``display/``, ``thumbs/``) that no Photo
  row names in any of its key columns: left by a request that failed or a server killed mid-upload;
* **temporary parts**: what a write interrupted between creating and renaming its temporary file
  left behind (``.tmp-*.part`` in a :class:`~fieldcheck.storage.LocalBlobStore`; multipart uploads
  never completed in an :class:`~fieldcheck.storage_s3.S3BlobStore`, whose times are ``LastModified``);
* **missing files**: Photo rows whose original or thumbnail is not in the store (a restore from the
  wrong backup, a disk fault): listed, never repaired here. A display copy not in the store is not
  missing: it is made on the photo's first view (``reports/photofiles.py``), so it is only counted
  (``display_not_made``). A display copy that exists is referenced by its row like any other file, so
  the sweep never removes one of a live row.

With ``sweep`` it removes unreferenced files and temporary parts older than the grace period (by
the store's modification time) and never a younger one: a request writes its files before it
commits its rows, and a request that reuses content already stored refreshes that content's time
(:meth:`~fieldcheck.storage.BlobStore.put`). Before removing, it asks the database again, in a new
transaction, whether a row now names a candidate, and reads each candidate's time again; a row
committed after that (with content untouched for the whole grace period) is the only race left.
Keys outside the photo kinds are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from .reports.models import Photo
from .storage import PHOTO_KINDS, BlobNotFound, BlobStore, InvalidBlobKey, StoredFile

__all__ = ["DEFAULT_GRACE", "BlobCheck", "MissingFile", "check"]

DEFAULT_GRACE = timedelta(hours=24)
KEY_COLUMNS = ("original_key", "display_key", "thumb_key")
# Made on the photo's first view, not at filing: absent is normal, not damage.
MADE_ON_VIEW = frozenset({"display_key"})
_BATCH = 300  # keys per re-check query (three IN lists of this many parameters)


@dataclass(frozen=True)
class MissingFile:
    """A Photo row naming a key the store does not hold."""

    photo_id: int
    report_id: int | None
    visit_id: int | None
    column: str
    key: str


@dataclass
class BlobCheck:
    """What :func:`check` found and, with ``sweep``, removed (``removed`` names files and parts)."""

    now: datetime
    grace: timedelta
    photo_files: int = 0
    unreferenced: list[StoredFile] = field(default_factory=list)
    temporary: list[StoredFile] = field(default_factory=list)
    missing: list[MissingFile] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: Display copies rows name that are not made yet (no one has viewed those photos): not missing.
    display_not_made: int = 0

    def is_old(self, item: StoredFile) -> bool:
        """Past the grace period: removable if still unreferenced."""
        return item.modified <= self.now - self.grace

    @property
    def ok(self) -> bool:
        """No row lacks a file (leftovers are not a fault, only clutter)."""
        return not self.missing


def check(
    store: BlobStore, connection: Any, now: datetime, *, grace: timedelta = DEFAULT_GRACE, sweep: bool = False
) -> BlobCheck:
    """Compare the store with the Photo rows; with ``sweep``, remove leftovers older than ``grace``.

    ``connection`` is a SQLAlchemy Session or Connection (read only: its transaction is rolled back
    before the re-check so that it sees rows committed meanwhile); ``now`` is an aware datetime.
    """
    if grace < timedelta(0):
        raise ValueError("the grace period cannot be negative")
    result = BlobCheck(now=now, grace=grace)
    present = {key for kind in PHOTO_KINDS for key in store.keys(f"{kind}/")}
    result.photo_files = len(present)
    unreferenced = set(present)
    maybe_missing = []
    not_made = set()
    for row in _photo_keys(connection):
        for column, key in zip(KEY_COLUMNS, row[3:], strict=True):
            if key in present:
                unreferenced.discard(key)
            elif column in MADE_ON_VIEW:
                not_made.add(key)
            else:
                maybe_missing.append(MissingFile(row[0], row[1], row[2], column, key))
    result.display_not_made = len(not_made)
    # Written after the listing (a request committing meanwhile) is not missing: ask the store.
    result.missing = [m for m in maybe_missing if not _exists(store, m.key)]
    result.unreferenced = list(_stat_all(store, sorted(unreferenced)))
    result.temporary = list(store.temporary_parts())
    if sweep:
        connection.rollback()
        _sweep(store, connection, result)
    return result


def _photo_keys(connection: Any) -> Iterator[Any]:
    stmt = select(Photo.id, Photo.report_id, Photo.visit_id, *(getattr(Photo, c) for c in KEY_COLUMNS))
    yield from connection.execute(stmt.order_by(Photo.id).execution_options(yield_per=2000))


def _exists(store: BlobStore, key: str) -> bool:
    try:
        return store.exists(key)
    except InvalidBlobKey:  # a row naming an impossible key has no file either
        return False


def _stat_all(store: BlobStore, keys: Iterable[str]) -> Iterator[StoredFile]:
    for key in keys:
        try:
            yield store.stat(key)
        except BlobNotFound:  # removed meanwhile
            continue


def _sweep(store: BlobStore, connection: Any, result: BlobCheck) -> None:
    candidates = [item.name for item in result.unreferenced if result.is_old(item)]
    referenced = _referenced_now(connection, candidates)
    for key in candidates:
        if key in referenced:
            continue
        try:
            fresh = store.stat(key)
        except BlobNotFound:
            continue
        if result.is_old(fresh):  # not rewritten by a request since the listing
            store.delete(key)
            result.removed.append(key)
    for part in result.temporary:
        if result.is_old(part):
            store.delete_temporary(part.name)
            result.removed.append(part.name)


def _referenced_now(connection: Any, keys: list[str]) -> set[str]:
    """Which of ``keys`` some Photo row names, as committed now."""
    found: set[str] = set()
    for start in range(0, len(keys), _BATCH):
        batch = keys[start : start + _BATCH]
        columns = [getattr(Photo, c) for c in KEY_COLUMNS]
        rows = connection.execute(select(*columns).where(or_(*(c.in_(batch) for c in columns))))
        for row in rows:
            found.update(row)
    connection.rollback()
    return found & set(keys)
