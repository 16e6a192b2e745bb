"""A published month's XLSX and CSV, written once and kept in the blob store (``fieldcheck.storage``):
served from the blob afterwards, so a download of a large published month does not read the snapshot's
whole document and write every deduction row again (seconds on a large month: bench/ranking.py).

A file is keyed by the publication (month, sequence and digest: a correction is a new publication, so it
gets new files) and by what else the bytes depend on: the communities and sub-districts the reader may see
(``services.visible_to``), the links' base address, and whether a recomputation now differs from the
publication and in how many communities (the 说明 sheet says so). An unpublished month, or a published one
asked for ``live``, is written for each request, as it is computed now.

Keys live under ``exports/``, apart from the photos (the photo sweeper in ``fieldcheck.blobs`` lists only
the photo kinds). Writers racing on a missing file each store the same key: the first one's bytes stay (a
different file under the key is a conflict, left as it is), and each serves its own bytes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable

from ..storage import BlobConflict, BlobNotFound, BlobStore, StorageUnavailable

log = logging.getLogger(__name__)


def key_of(document: dict, shown: dict, fmt: str, base_url: str | None) -> str | None:
    """The blob key of the file of ``shown`` (the document as the reader sees it), or None when the month
    is not shown as published."""
    published = document.get("published")
    if document.get("source") != "published" or not published:
        return None
    variant = json.dumps(
        [
            sorted(c["code"] for c in shown["communities"]),
            sorted(s["code"] for s in shown["subdistricts"]),
            base_url or "",
            bool(published.get("differs")),
            len(published.get("differences") or ()),
        ],
        ensure_ascii=False,
    )
    digest = hashlib.sha256(variant.encode("utf-8")).hexdigest()
    month, sequence, sha = document["month"], published["sequence"], published["sha256"]
    return f"exports/ranking/{month}/{sequence}-{sha[:16]}/{digest[:32]}.{fmt}"


def published_file(store: BlobStore, key: str | None, write: Callable[[], bytes]) -> bytes:
    """The file under ``key`` from the store, or ``write()``'s bytes, stored under ``key`` for the next
    request (when there is a key). A store that fails leaves the download working: the file is written."""
    if key is None:
        return write()
    try:
        return store.get(key)
    except BlobNotFound:
        pass
    except StorageUnavailable:
        log.warning("blob store unavailable: %s written for this request", key, exc_info=True)
        return write()
    body = write()
    try:
        store.put(key, body)
    except (BlobConflict, StorageUnavailable):
        log.warning("%s not kept", key, exc_info=True)
    return body
