"""Serving blobs over HTTP, and storage failures as HTTP answers.

:func:`blob_response` answers a request for one content-addressed blob (a photo file) after the view
has checked permissions: 304 when the browser's ``If-None-Match`` names the blob's ETag (the store is
not even asked), else the object streamed from the store with ``Content-Length``, the ETag and long
private caching; or, with ``FIELDCHECK_S3_PRESIGN=1`` and object storage, a redirect to a presigned
URL valid 60 seconds, so the bytes go from the store to the browser without passing through the app.
A blob made on demand (a photo's display copy, made on its first view) is made when the store lacks it,
before it is streamed or linked, so a presigned link always names an object that exists. A blob that is
missing (and cannot be made) answers 404 ``photo_file_missing``, never a 500.

:func:`register_storage_http` maps :class:`~fieldcheck.storage.StorageUnavailable` (a full disk, an
object store that is down) to 503 ``storage_unavailable``, and with presigned links adds the store's
origin to the pages' ``img-src`` (else the browser would refuse the redirected images).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, make_response, redirect, request
from flask_babel import gettext as _
from werkzeug.wsgi import wrap_file

from .errors import N_, NotFound
from .storage import BlobNotFound, StorageUnavailable

__all__ = ["IMMUTABLE", "blob_response", "presign_enabled", "register_storage_http"]

IMMUTABLE = "private, max-age=31536000, immutable"
# A redirect to a link valid 60 s may be reused for half that.
PRESIGNED_REDIRECT_CACHE = "private, max-age=30"
_TRUE = {"1", "true", "yes", "on"}


def presign_enabled(config: Any) -> bool:
    return str(config.get("S3_PRESIGN") or "").strip().lower() in _TRUE


def blob_etag(key: str) -> str:
    """The ETag of a content-addressed key: its content never changes, so the key determines it."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _size(fh: Any) -> int | None:
    size = getattr(fh, "size", None)
    if size is not None:
        return int(size)
    try:
        return os.fstat(fh.fileno()).st_size
    except (AttributeError, OSError, ValueError):
        pass
    getbuffer = getattr(fh, "getbuffer", None)
    return getbuffer().nbytes if getbuffer else None


def blob_response(
    key: str,
    *,
    mimetype: str,
    attachment_name: str | None = None,
    make: Callable[[], bytes] | None = None,
) -> Response:
    """Answer for one content-addressed blob (module docstring); permissions are the caller's.

    ``make``, when given, makes the blob if the store lacks it (puts it and returns its bytes); it is
    called only when the blob is wanted and absent, never for a 304.
    """
    etag = blob_etag(key)
    disposition = f'attachment; filename="{attachment_name}"' if attachment_name else None
    if request.if_none_match.contains_weak(etag):  # weak comparison (RFC 9110): a proxy that gzips weakens it
        response = Response(status=304)
    else:
        store = current_app.extensions["fieldcheck.storage"]
        if presign_enabled(current_app.config) and hasattr(store, "presigned_url"):
            if make is not None and not store.exists(key):
                make()  # the link must name an object that exists
            url = store.presigned_url(
                key, content_type=mimetype, disposition=disposition, cache_control=IMMUTABLE
            )
            response = redirect(url, code=302)
            response.headers["Cache-Control"] = PRESIGNED_REDIRECT_CACHE
            response.headers["Vary"] = "Cookie, Authorization"
            return response
        response = _stream(store, key, mimetype, make)
        if disposition:
            response.headers["Content-Disposition"] = disposition
    response.set_etag(etag)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _stream(store: Any, key: str, mimetype: str, make: Callable[[], bytes] | None) -> Response:
    """The blob streamed from the store, or, when absent and ``make`` can make it, the bytes just made."""
    try:
        fh = store.open(key)
    except BlobNotFound:
        if make is None:
            raise NotFound(
                N_("This photo's file is missing from storage."), code="photo_file_missing"
            ) from None
        return Response(make(), mimetype=mimetype)
    response = Response(wrap_file(request.environ, fh), mimetype=mimetype, direct_passthrough=True)
    size = _size(fh)
    if size is not None:
        response.content_length = size
    return response


def register_storage_http(app: Flask) -> None:
    from .web import CONTENT_SECURITY_POLICY, error_response

    @app.errorhandler(StorageUnavailable)
    def storage_unavailable(exc: StorageUnavailable):
        app.logger.warning("storage unavailable: %s", exc)
        response = make_response(
            error_response(
                503,
                "storage_unavailable",
                _("Photo storage is not available; nothing was changed. Try again shortly."),
            )
        )
        response.headers["Retry-After"] = "10"
        return response

    store = app.extensions["fieldcheck.storage"]
    if not (presign_enabled(app.config) and hasattr(store, "presigned_origin")):
        return
    origin = store.presigned_origin()

    @app.after_request
    def allow_presigned_images(response: Response) -> Response:
        policy = response.headers.get("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if "img-src 'self' blob:" in policy and origin not in policy:
            response.headers["Content-Security-Policy"] = policy.replace(
                "img-src 'self' blob:", f"img-src 'self' blob: {origin}", 1
            )
        return response
