"""API routes: the inbox (every user) and the robot targets (admin), registered on the api blueprint."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import get_locale
from flask_login import current_user

from .. import permissions as perm
from ..api import parse
from ..api.describe import documented
from ..api.views import bp
from ..errors import N_, Forbidden
from ..types import utcnow
from ..unit_of_work import writing
from ..web import current_principal
from . import inbox, messages, services
from . import schemas as s
from .models import Notification, NotifyTarget


def serialize(n: Notification) -> dict:
    zh = str(get_locale() or "").startswith("zh")
    return {
        "id": n.id,
        "kind": n.kind,
        "title": messages.title(n.kind),
        "text": messages.summary(n.payload or {}, n.report_id, zh=zh),
        "note": messages.note_of(n.payload or {}),
        "report_id": n.report_id,
        "url": _url_of(n),
        "created_at": n.created_at.isoformat(),
        "read_at": n.read_at.isoformat() if n.read_at else None,
    }


def _url_of(n: Notification) -> str | None:
    """The report's page, or the month's ranking for a month ready to publish."""
    if n.report_id is not None:
        return url_for("workflow.item", report_id=n.report_id)
    month = (n.payload or {}).get("month")
    return url_for("ranking.month_page", month=month) if isinstance(month, str) else None


@bp.get("/notifications")
@documented("The caller's inbox, newest first, paged by cursor", query=s.InboxQuery, responses={200: s.Inbox})
def notifications():
    sent = parse.query(s.InboxQuery, code="invalid_{field}")
    unread_only = sent.unread in ("1", "true", "yes")
    limit = 50 if sent.limit is None else sent.limit
    rows, next_cursor = inbox.page(current_user.id, unread=unread_only, cursor=sent.cursor, limit=limit)
    return jsonify(
        items=[serialize(n) for n in rows],
        next_cursor=str(next_cursor) if next_cursor is not None else None,
        unread=inbox.unread(current_user.id),
    )


@bp.post("/notifications/read")
@documented(
    'Mark some ({"ids": [...]}) or all ({"all": true}) of the caller\'s notifications read',
    body=s.MarkRead,
    responses={200: s.Marked},
)
def notifications_read():
    sent = parse.body(s.MarkRead, code="invalid_ids")
    ids = None if sent.all is True else sent.ids
    updated = inbox.mark_read(current_user.id, ids, utcnow())
    return jsonify(updated=updated, unread=inbox.unread(current_user.id))


# --- robot targets and failed messages (admin) ---


def _require_admin() -> None:
    if not perm.can_administer(current_principal()):
        raise Forbidden(N_("Only an administrator may do this."))


def _target(t: NotifyTarget) -> dict:
    return {
        "id": t.id,
        "scope": t.scope,
        "kind": t.kind,
        "url": services.shown_url(t.url),
        "has_secret": bool(t.secret),
        "created_at": t.created_at.isoformat(),
    }


@bp.get("/admin/notify-targets")
@documented("The robot targets (admin)", responses={200: s.Targets}, errors=(403,))
def notify_targets():
    _require_admin()
    return jsonify(items=[_target(t) for t in services.targets()])


@bp.post("/admin/notify-targets")
@documented("Add a robot target (admin)", body=s.NewTarget, responses={201: s.Target}, errors=(403,))
def notify_target_add():
    _require_admin()
    sent = parse.body(s.NewTarget, code="invalid_{field}")
    with writing():
        target = services.add_target(current_user, sent.scope, sent.kind, sent.url, sent.secret, now=utcnow())
    return jsonify(_target(target)), 201


@bp.delete("/admin/notify-targets/<int:target_id>")
@documented(
    "Remove a robot target and its unsent messages (admin)", responses={204: "Removed"}, errors=(403, 404)
)
def notify_target_delete(target_id: int):
    _require_admin()
    with writing():
        services.delete_target(current_user, target_id)
    return "", 204


@bp.post("/admin/notify-targets/<int:target_id>/test")
@documented(
    "Send a test message to a robot now (admin); ok false with the error if it failed",
    responses={200: s.TestResult},
    errors=(403, 404),
)
def notify_target_test(target_id: int):
    _require_admin()
    error = services.send_test(target_id)
    return jsonify(ok=error is None, error=error)


def _failed(f: services.Failed) -> dict:
    return {
        "id": f.id,
        "channel": f.channel,
        "destination": f.destination,
        "kind": f.kind,
        "report_id": f.report_id,
        "attempts": f.attempts,
        "last_error": f.last_error,
        "failed_at": f.failed_at.isoformat(),
        "created_at": f.created_at.isoformat(),
    }


@bp.get("/admin/notify-failed")
@documented(
    "Messages given up on, newest first, paged by cursor (admin)",
    query=s.FailedQuery,
    responses={200: s.FailedList},
    errors=(403,),
)
def notify_failed():
    _require_admin()
    sent = parse.query(s.FailedQuery, code="invalid_{field}")
    rows, next_cursor = services.failed(sent.cursor)
    return jsonify(items=[_failed(f) for f in rows], next_cursor=str(next_cursor) if next_cursor else None)


@bp.post("/admin/notify-failed/<int:delivery_id>/retry")
@documented(
    "Send a failed message again with its key, for another 24 hours of tries (admin)",
    responses={200: s.Retried},
    errors=(403, 404),
)
def notify_failed_retry(delivery_id: int):
    _require_admin()
    with writing():
        count = services.retry(delivery_id, now=utcnow())
    return jsonify(retried=count)


@bp.delete("/admin/notify-failed/<int:delivery_id>")
@documented("Dismiss a failed message (admin)", responses={204: "Dismissed"}, errors=(403, 404))
def notify_failed_dismiss(delivery_id: int):
    _require_admin()
    with writing():
        services.dismiss(delivery_id)
    return "", 204
