"""``GET /healthz`` for load balancers and monitoring: no login, no session, not rate limited.

200 ``{"status": "ok", "database": "ok", "storage": "ok"}`` when a ``SELECT 1`` answers and the blob
store passes its cheap check (the folder is writable; object storage answers a one-item listing);
otherwise 503 with ``"status": "unavailable"`` and ``"failed"`` in each failed part's place (the
reason is logged, not shown: this route is public). Each check is one round trip.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .extensions import db, limiter

__all__ = ["bp"]

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:
        log.exception("health: the database failed")
        return "failed"
    finally:
        db.session.remove()


def _storage() -> str:
    store = current_app.extensions["fieldcheck.storage"]
    try:
        check = getattr(store, "check", None)
        if check is not None:
            check()
        else:
            store.exists("healthz")
        return "ok"
    except Exception:
        log.exception("health: blob storage failed")
        return "failed"


@bp.get("/healthz")
@limiter.exempt
def healthz():
    parts = {"database": _database(), "storage": _storage()}
    ok = all(v == "ok" for v in parts.values())
    response = jsonify({"status": "ok" if ok else "unavailable", **parts})
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response
