"""A request id on every request and one structured access-log line per response.

The id is the incoming ``X-Request-ID`` when it is sane (1-128 characters of ``A-Z a-z 0-9 . _ : -``,
as nginx's ``$request_id`` or a load balancer sends), else a new random one; it is returned as
``X-Request-ID`` on every response and is ``flask.g.request_id`` for the request's own log messages.

The line goes to the ``fieldcheck.access`` logger at INFO, as JSON: ``{"method", "path", "status",
"duration_ms", "request_id", "user_id", "remote"}`` (``user_id`` null when nobody is logged in; the
path without its query string, which may carry a public link's token). The duration runs until the
response is handed to the server: a streamed photo may take longer to arrive.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, request

__all__ = ["ACCESS_LOGGER", "REQUEST_ID_HEADER", "register_request_log"]

ACCESS_LOGGER = "fieldcheck.access"
REQUEST_ID_HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")

log = logging.getLogger(ACCESS_LOGGER)


def request_id_from(value: str | None) -> str:
    """The incoming id if sane, else a new one (32 hex digits)."""
    if value and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


def _user_id() -> int | None:
    # Only a user the request already loaded: logging must not query the database or touch the session.
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "id", None)


def register_request_log(app: Flask) -> None:
    @app.before_request
    def start() -> None:
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()

    @app.after_request
    def finish(response):
        # A request refused before start() ran (e.g. by another before_request hook) still gets an id.
        rid = g.get("request_id") or request_id_from(request.headers.get(REQUEST_ID_HEADER))
        response.headers[REQUEST_ID_HEADER] = rid
        if log.isEnabledFor(logging.INFO):
            started = g.get("request_started")
            duration = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
            log.info(
                json.dumps(
                    {
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": duration,
                        "request_id": rid,
                        "user_id": _user_id(),
                        "remote": request.remote_addr,
                    },
                    ensure_ascii=False,
                )
            )
        return response
