"""Blob storage for photos: originals (private evidence), display copies and thumbnails.

:class:`BlobStore` is the interface the rest of the application uses; it speaks only in keys and
bytes, so an S3-compatible implementation (keys as object names, ``put`` as a single PutObject, which
is atomic by nature; ``open`` returning the streaming body) can be added next to
:class:`LocalBlobStore` without touching callers. Only the local store exists today.

Keys are relative, slash-separated paths such as ``originals/ab/cdef0123...`` (see :func:`blob_key`).
Every segment starts with a letter or digit and uses only ``A-Z a-z 0-9 . _ -``, so a key can never
climb out of the store (``..``), be absolute, or collide with the store's own hidden temporary files.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

__all__ = [
    "BlobConflict",
    "BlobNotFound",
    "BlobStore",
    "InvalidBlobKey",
    "LocalBlobStore",
    "blob_key",
    "validate_key",
]

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_KEY_LENGTH = 512


class InvalidBlobKey(ValueError):
    """The key is not a safe relative path (see the module docstring)."""


class BlobNotFound(KeyError):
    """No blob under this key."""


class BlobConflict(Exception):
    """A different blob already exists under this key and overwriting was not asked for."""


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


def blob_key(kind: str, sha256: str) -> str:
    """The content-addressed key for a blob: ``f"{kind}/{sha256[:2]}/{sha256[2:]}"``.

    ``kind`` is e.g. ``originals``, ``display`` or ``thumbs``; ``sha256`` is 64 lowercase hex digits
    (for display copies and thumbnails, use the hash of the original they were made from).
    """
    if not _SHA256.fullmatch(sha256):
        raise InvalidBlobKey(f"not a lowercase hex SHA-256: {sha256!r}")
    return validate_key(f"{kind}/{sha256[:2]}/{sha256[2:]}")


@runtime_checkable
class BlobStore(Protocol):
    """Where blobs live. Implementations must make ``put`` atomic: a reader sees the whole blob or
    nothing, never a partial one, even if the writer dies half-way."""

    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> None:
        """Store ``data`` under ``key``. Storing the same bytes again is a no-op; different bytes
        under an existing key raise :class:`BlobConflict` unless ``overwrite`` is true."""
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
                return
            raise BlobConflict(f"a different blob already exists under {key!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        _fsync_dir(target.parent)

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


def _same_content(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except FileNotFoundError:
        return False


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
