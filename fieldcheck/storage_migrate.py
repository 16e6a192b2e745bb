"""Copy one blob store into another, verifying every blob: ``fieldcheck blobs migrate --to s3://...``.

For each key of the source: originals must hash (SHA-256) to their own key, or the source is damaged
and the blob is reported, not copied; every blob is then compared with what the destination already
holds and skipped if that is verified the same, else written (replacing a different object) and
verified after writing. Verifying an :class:`~fieldcheck.storage_s3.S3BlobStore` object needs only a
HEAD: its size, the SHA-256 this application records with each object, and, where the ETag is a plain
MD5 (single-part uploads without KMS encryption), the MD5 the server computed on receipt; an object
without a recorded SHA-256 (copied by another tool) is downloaded and compared. Other destinations are
read back and compared.

Only what the source holds is copied: a photo whose display copy has not been made yet (it is made on the
photo's first view) has its original and thumbnail copied, and its display copy is made later from the
original in the destination.

So an interrupted migration (a network failure, Ctrl-C) is resumed by running it again: what was copied
and verified is skipped. The source is never changed; switching ``FIELDCHECK_BLOB_URL`` to the
destination is the operator's step (README, "Object storage").
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .storage import BlobNotFound, BlobStore

__all__ = ["Migration", "migrate"]

_MD5 = re.compile(r"[0-9a-f]{32}")


@dataclass
class Migration:
    """What :func:`migrate` did: counts, and the keys it could not copy with the reason."""

    copied: int = 0
    replaced: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.copied + self.replaced + self.skipped + len(self.failed)

    @property
    def ok(self) -> bool:
        return not self.failed


def _holds(dest: BlobStore, key: str, data: bytes, sha: str) -> bool | None:
    """True if ``dest`` holds exactly ``data`` under ``key``, False if it holds something else, None if
    it holds nothing there."""
    recorded = getattr(dest, "recorded_sha256", None)
    try:
        if recorded is None:
            return dest.get(key) == data
        size, recorded_sha, etag = recorded(key)
        if size != len(data):
            return False
        if etag and _MD5.fullmatch(etag) and etag != hashlib.md5(data, usedforsecurity=False).hexdigest():
            return False
        if recorded_sha:
            return recorded_sha == sha
        return dest.get(key) == data
    except BlobNotFound:
        return None


def migrate(
    source: BlobStore,
    dest: BlobStore,
    *,
    jobs: int = 4,
    progress: Callable[[Migration], None] | None = None,
    every: int = 500,
) -> Migration:
    """Copy every blob of ``source`` to ``dest`` (module docstring). Store failures
    (:class:`~fieldcheck.storage.StorageUnavailable`) stop it and propagate: run it again to resume.

    Long because its parts (copying one key, the stop at the first failure, the bounded window of keys in
    flight) share one lock and one result; they are the inner functions.
    """
    result = Migration()
    lock = threading.Lock()

    stop = threading.Event()  # set by the first failure: blobs still queued are left for the next run

    def one(key: str) -> None:
        if stop.is_set():
            return
        try:
            copy(key)
        except BaseException:
            stop.set()
            raise

    def copy(key: str) -> None:
        data = source.get(key)
        sha = hashlib.sha256(data).hexdigest()
        if key.startswith("originals/") and key.rsplit("/", 1)[-1] != sha:
            outcome, reason = (
                "failed",
                f"the source's bytes hash to {sha}, not to the key: damaged, not copied",
            )
        else:
            held = _holds(dest, key, data, sha)
            if held:
                outcome, reason = "skipped", ""
            else:
                dest.put(key, data, overwrite=held is False)
                if _holds(dest, key, data, sha):
                    outcome, reason = ("replaced" if held is False else "copied"), ""
                else:
                    outcome, reason = "failed", "the copy does not verify"
        with lock:
            if outcome == "failed":
                result.failed.append((key, reason))
            else:
                setattr(result, outcome, getattr(result, outcome) + 1)
            if progress and result.done % every == 0:
                progress(result)

    keys = source.keys()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        # A bounded window of keys in flight: a city's store has millions of keys.
        window: list = []
        for key in keys:
            window.append(pool.submit(one, key))
            if len(window) >= jobs * 4:
                window.pop(0).result()
        for future in window:
            future.result()
    result.failed.sort()
    return result
