"""Blob storage for photos: originals (private evidence), display copies and thumbnails.

:class:`BlobStore` is the interface the rest of the application uses; it speaks only in keys and
bytes, so an S3-compatible implementation (keys as object names, ``put`` as a single PutObject, which
is atomic by nature; ``open`` returning the streaming body) sits next to :class:`LocalBlobStore`
without touching callers: :class:`fieldcheck.storage_s3.S3BlobStore`. :class:`MemoryBlobStore` keeps
blobs in a dict, for tests; :func:`store_from_config` picks one from the configuration.

A store that cannot write or cannot be reached raises :class:`StorageUnavailable` (an ``OSError``), which
the app answers with 503 ``storage_unavailable``.

Keys are relative, slash-separated paths such as ``originals/ab/abcdef0123...`` (see
:func:`photo_keys`, the one place that lays keys out). Every segment starts with a letter or digit and
uses only ``A-Z a-z 0-9 . _ -``, so a key can never climb out of the store (``..``), be absolute, or
collide with the store's own hidden temporary files.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat as stat_module
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

__all__ = [
    "PHOTO_KINDS",
    "BlobConflict",
    "BlobNotFound",
    "BlobStore",
    "InvalidBlobKey",
    "LocalBlobStore",
    "MemoryBlobStore",
    "StorageUnavailable",
    "StoredFile",
    "blob_key",
    "photo_keys",
    "put_replacing",
    "store_from_config",
    "validate_key",
]

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_TEMPORARY = re.compile(r"\.tmp-[A-Za-z0-9_]+\.part")  # what tempfile.mkstemp makes in put()
MAX_KEY_LENGTH = 512


class InvalidBlobKey(ValueError):
    """The key is not a safe relative path (see the module docstring)."""


class BlobNotFound(KeyError):
    """No blob under this key."""


class BlobConflict(Exception):
    """A different blob already exists under this key and overwriting was not asked for."""


class StorageUnavailable(OSError):
    """The store failed for now (a full disk, an object store that is down or refuses us): retry later.
    Whatever raised it wrote nothing partial (puts are atomic)."""


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a valid blob key, else raise :class:`InvalidBlobKey`."""
    if not isinstance(key, str) or not key:
        raise InvalidBlobKey("a blob key must be a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidBlobKey(f"blob key longer than {MAX_KEY_LENGTH} characters")
    for segment in key.split("/"):
        if not _SEGMENT.fullmatch(segment):
            raise InvalidBlobKey(f"invalid blob key {key!r}: bad segment {segment!r}")
    return key


# The kinds of photo blob and the suffix of each kind's keys. This is the layout every stored Photo row
# has used since the first release; changing it would orphan every file already on disk.
PHOTO_KINDS: dict[str, str] = {"originals": "", "display": ".jpg", "thumbs": ".jpg"}


def blob_key(kind: str, sha256: str) -> str:
    """The content-addressed key of one photo blob: ``f"{kind}/{sha256[:2]}/{sha256}{suffix}"``.

    ``kind`` is ``originals``, ``display`` or ``thumbs`` (suffix ``.jpg`` for the last two, the JPEG
    renditions); ``sha256`` is 64 lowercase hex digits, the hash of the original (display copies and
    thumbnails are keyed by the original they were made from). Example:
    ``display/9f/9f86d08...b0f00a08.jpg``.
    """
    if kind not in PHOTO_KINDS:
        raise InvalidBlobKey(f"unknown blob kind {kind!r}; expected one of {', '.join(PHOTO_KINDS)}")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise InvalidBlobKey(f"not a lowercase hex SHA-256: {sha256!r}")
    return validate_key(f"{kind}/{sha256[:2]}/{sha256}{PHOTO_KINDS[kind]}")


def photo_keys(sha256: str) -> tuple[str, str, str]:
    """Keys of the original, the display copy and the thumbnail of one photo content."""
    return blob_key("originals", sha256), blob_key("display", sha256), blob_key("thumbs", sha256)


def put_replacing(store: BlobStore, key: str, data: bytes) -> None:
    """Store ``data`` under ``key`` whatever is there: the same bytes are not rewritten (their time is
    refreshed, as by any put); other bytes (a rendition another version made, a damaged copy) are
    replaced. For blobs whose bytes the caller vouches for: a rendition it just made, a checked backup."""
    try:
        store.put(key, data)
    except BlobConflict:
        store.put(key, data, overwrite=True)


@dataclass(frozen=True)
class StoredFile:
    """A blob, or a temporary part an interrupted write left behind, as a maintenance job sees it.

    ``name`` is the blob's key, or for a temporary part its path relative to the store's root;
    ``modified`` is aware (UTC): when the blob was last written (see :meth:`BlobStore.put`).
    """

    name: str
    size: int
    modified: datetime
    temporary: bool = False


@runtime_checkable
class BlobStore(Protocol):
    """Where blobs live. Implementations must make ``put`` atomic: a reader sees the whole blob or
    nothing, never a partial one, even if the writer dies half-way."""

    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> None:
        """Store ``data`` under ``key``. Storing the same bytes again rewrites nothing but refreshes
        the blob's modification time (so a sweeper's grace period counts from the last request that
        wrote it); different bytes under an existing key raise :class:`BlobConflict` unless
        ``overwrite`` is true."""
        ...

    def get(self, key: str) -> bytes:
        """The blob's bytes; :class:`BlobNotFound` if absent."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A binary file object positioned at the start (for ``flask.send_file``); the caller closes
        it. :class:`BlobNotFound` if absent."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing key is not an error."""
        ...

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every key (under ``prefix``, a key prefix such as ``"originals/"``), sorted. For tests,
        maintenance and audits: it lists the whole store."""
        ...

    def stat(self, key: str) -> StoredFile:
        """Size and modification time of a blob; :class:`BlobNotFound` if absent."""
        ...

    def temporary_parts(self) -> Iterator[StoredFile]:
        """Temporary parts of writes that never finished (a crash mid-``put``), for a sweeper."""
        ...

    def delete_temporary(self, name: str) -> None:
        """Remove one temporary part named by :meth:`temporary_parts`; a missing one is not an error."""
        ...


class LocalBlobStore:
    """Blobs as files under ``root`` (created on first write): ``root/originals/ab/cdef...``.

    Writes go to a hidden temporary file in the destination folder, are flushed and fsynced, then
    renamed over the destination with ``os.replace`` (atomic on POSIX and Windows), and the folder is
    fsynced so the rename survives a crash. Two writers racing on the same key with the same bytes
    (the normal case for content-addressed keys) both succeed.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def path(self, key: str) -> Path:
        """The file a key maps to (whether or not it exists)."""
        return self.root.joinpath(*validate_key(key).split("/"))

    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> None:
        target = self.path(key)
        data = bytes(data)
        if not overwrite and target.is_file():
            if _same_content(target, data):
                _touch(target)
                return
            raise BlobConflict(f"a different blob already exists under {key!r}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=target.parent)
        except OSError as exc:
            raise StorageUnavailable(f"cannot write {key!r}: {exc.strerror or exc}") from exc
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, target)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            if isinstance(exc, OSError) and not isinstance(exc, StorageUnavailable):
                raise StorageUnavailable(f"cannot write {key!r}: {exc.strerror or exc}") from exc
            raise
        _fsync_dir(target.parent)

    def check(self) -> None:
        """Raise :class:`StorageUnavailable` unless the folder (or, before the first write, the folder
        it will be made in) is a writable directory: cheap, for ``/healthz``."""
        folder = self.root
        while not folder.exists() and folder.parent != folder:
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise StorageUnavailable(f"{folder} is not a writable folder")

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFound(key) from None

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self.path(key), "rb")  # noqa: SIM115 - the caller owns and closes the file
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFound(key) from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        path = self.path(key)
        if path.is_dir():  # a key prefix, not a blob
            return
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            path.unlink()

    def keys(self, prefix: str = "") -> Iterator[str]:
        if not self.root.is_dir():
            return
        found = []
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if _SEGMENT.fullmatch(d)]
            rel = Path(folder).relative_to(self.root).as_posix()
            for name in files:
                if not _SEGMENT.fullmatch(name):  # temporary files and other strangers
                    continue
                key = name if rel == "." else f"{rel}/{name}"
                if key.startswith(prefix):
                    found.append(key)
        yield from sorted(found)

    def stat(self, key: str) -> StoredFile:
        try:
            info = self.path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            raise BlobNotFound(key) from None
        if not stat_module.S_ISREG(info.st_mode):
            raise BlobNotFound(key)
        return StoredFile(key, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))

    def temporary_parts(self) -> Iterator[StoredFile]:
        """The ``.tmp-*.part`` files :meth:`put` leaves when the process dies between creating and
        renaming one (they are never listed by :meth:`keys`)."""
        if not self.root.is_dir():
            return
        found = []
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = [d for d in dirs if _SEGMENT.fullmatch(d)]
            rel = Path(folder).relative_to(self.root).as_posix()
            for name in files:
                if not _TEMPORARY.fullmatch(name):
                    continue
                try:
                    info = os.stat(os.path.join(folder, name))
                except FileNotFoundError:  # renamed into place or removed meanwhile
                    continue
                modified = datetime.fromtimestamp(info.st_mtime, UTC)
                found.append(
                    StoredFile(name if rel == "." else f"{rel}/{name}", info.st_size, modified, True)
                )
        yield from sorted(found, key=lambda f: f.name)

    def delete_temporary(self, name: str) -> None:
        *folders, base = name.split("/") if isinstance(name, str) else [""]
        if not _TEMPORARY.fullmatch(base) or not all(_SEGMENT.fullmatch(f) for f in folders):
            raise InvalidBlobKey(f"not a temporary part: {name!r}")
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            self.root.joinpath(*folders, base).unlink()


class MemoryBlobStore:
    """Blobs in a dict, for tests (chosen with ``FIELDCHECK_BLOB_URL=memory://``). Never for a city:
    nothing survives a restart and each process has its own.

    ``clock`` (an aware UTC datetime) stamps each write, so a test can age blobs without sleeping.
    A put is atomic (it holds a lock), so no temporary parts ever exist.
    """

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))
        self._blobs: dict[str, tuple[bytes, datetime]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryBlobStore({len(self._blobs)} blobs)"

    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> None:
        validate_key(key)
        data = bytes(data)
        with self._lock:
            held = self._blobs.get(key)
            if held is not None and not overwrite and held[0] != data:
                raise BlobConflict(f"a different blob already exists under {key!r}")
            self._blobs[key] = (data, self._clock())

    def get(self, key: str) -> bytes:
        validate_key(key)
        with self._lock:
            held = self._blobs.get(key)
        if held is None:
            raise BlobNotFound(key)
        return held[0]

    def open(self, key: str) -> BinaryIO:
        return io.BytesIO(self.get(key))

    def exists(self, key: str) -> bool:
        validate_key(key)
        return key in self._blobs

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._lock:
            self._blobs.pop(key, None)

    def keys(self, prefix: str = "") -> Iterator[str]:
        with self._lock:
            found = sorted(k for k in self._blobs if k.startswith(prefix))
        yield from found

    def stat(self, key: str) -> StoredFile:
        validate_key(key)
        with self._lock:
            held = self._blobs.get(key)
        if held is None:
            raise BlobNotFound(key)
        return StoredFile(key, len(held[0]), held[1])

    def temporary_parts(self) -> Iterator[StoredFile]:
        return iter(())

    def check(self) -> None:
        """Always fine (for ``/healthz``)."""

    def delete_temporary(self, name: str) -> None:
        raise InvalidBlobKey(f"not a temporary part: {name!r}")


def store_from_config(config: Mapping[str, Any]) -> BlobStore:
    """The blob store the configuration names: ``BLOB_URL`` ``memory://`` (tests), ``file:///path``,
    ``s3://bucket/prefix`` (object storage, with the ``S3_*`` settings: see
    :func:`fieldcheck.storage_s3.s3_store_from_config`), or unset for a :class:`LocalBlobStore` at
    ``BLOB_DIR``. Anything else is a startup error."""
    url = config.get("BLOB_URL") or ""
    if not url:
        return LocalBlobStore(Path(config["BLOB_DIR"]))
    if url == "memory://":
        return MemoryBlobStore()
    if url.startswith("file://") and len(url) > len("file://"):
        return LocalBlobStore(Path(url[len("file://") :]))
    if url.startswith("s3://"):
        from .storage_s3 import s3_store_from_config

        return s3_store_from_config(url, config)
    raise ValueError(
        f"FIELDCHECK_BLOB_URL {url!r} is not supported: use s3://bucket/prefix, memory:// or file:///path, "
        "or unset it"
    )


def _same_content(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except FileNotFoundError:
        return False


def _touch(path: Path) -> None:
    """Refresh a blob's modification time (content untouched); a vanished file is not an error."""
    with contextlib.suppress(FileNotFoundError):
        os.utime(path)


def _fsync_dir(folder: Path) -> None:
    """Persist a rename in ``folder``; not possible (nor needed) on every platform."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
