"""Display copies made on their first view (issue #16: a filing stores the original and the thumbnail only).

A photo row names its display copy's key from the start (``storage.photo_keys``: derived from the
original's SHA-256, as before). The first request for it finds no blob there, so :func:`make_display`
reads the original, renders the copy (``photos.display_copy``: the rendering a filing did before
session 10, the same bytes) and puts it under that key; every later view is served from the store.

Two processes rendering the same photo at once put the same bytes under the same key: a put is atomic
(a rename into place, or one PutObject) and the same bytes again are not a conflict, so both succeed and
the store holds one copy. A copy already stored with other bytes (made by another version of the
renderer) is kept and served. The caller checks permissions first: nothing is rendered for a reader
who may not see the photo.
"""

from __future__ import annotations

import logging

from ..errors import N_, NotFound
from ..photos import PhotoError, display_copy
from ..storage import BlobConflict, BlobNotFound, BlobStore
from .models import Photo

__all__ = ["make_display"]

log = logging.getLogger(__name__)


def make_display(store: BlobStore, photo: Photo, *, max_pixels: int) -> bytes:
    """Render ``photo``'s display copy from its original, store it, and return the bytes now stored.

    404 ``photo_file_missing`` when the original is not in the store; 404 ``photo_unreadable`` when the
    stored original no longer decodes (damaged in the store, or the pixel limit lowered since it was
    filed); a store that fails raises :class:`~fieldcheck.storage.StorageUnavailable` (503).
    """
    try:
        original = store.get(photo.original_key)
    except BlobNotFound:
        raise NotFound(N_("This photo's file is missing from storage."), code="photo_file_missing") from None
    try:
        data = display_copy(original, max_pixels=max_pixels)
    except PhotoError as exc:
        log.error("photo %s: the original cannot be rendered: %s", photo.id, exc.message)
        raise NotFound(N_("This photo cannot be shown."), code="photo_unreadable") from None
    try:
        store.put(photo.display_key, data)
    except BlobConflict:  # made by another version of the renderer: that copy stands
        return store.get(photo.display_key)
    return data
