"""API routes: the inbox (every user) and the robot targets (admin), registered on the api blueprint."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import jsonify, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import delete, select

from .. import permissions as perm
from ..api.describe import documented
from ..api.views import bp, json_body
from ..errors import N_, Forbidden, Invalid, NotFound
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..types import utcnow
from ..unit_of_work import writing
from ..web import current_principal
from . import inbox, messages
from . import schemas as s
from .models import TARGET_KINDS, Delivery, Notification, NotifyTarget


def serialize(n: Notification) -> dict:
    zh = str(get_locale() or "").startswith("zh")
    return {
        "id": n.id,
        "kind": n.kind,
        "title": messages.title(n.kind),
        "text": messages.summary(n.payload or {}, n.report_id, zh=zh),
        "note": messages.note_of(n.payload or {}),
        "report_id": n.report_id,
        "url": url_for("workflow.item", report_id=n.report_id) if n.report_id is not None else None,
        "created_at": n.created_at.isoformat(),
        "read_at": n.read_at.isoformat() if n.read_at else None,
    }


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(N_("%(field)s must be a whole number."), code="invalid_" + name, field=name) from None
    if not low <= value <= high:
        raise Invalid(N_("%(field)s is out of range."), code="invalid_" + name, field=name)
    return value


@bp.get("/notifications")
@documented("The caller's inbox, newest first, paged by cursor", query=s.InboxQuery, responses={200: s.Inbox})
def notifications():
    unread_only = request.args.get("unread", "") in ("1", "true", "yes")
    limit = _int_arg("limit", 50, 0, inbox.MAX_LIMIT)
    cursor = _int_arg("cursor", None, 1, 2**62)
    rows, next_cursor = inbox.page(current_user.id, unread=unread_only, cursor=cursor, limit=limit)
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
    body = json_body()
    if body.get("all") is True:
        ids = None
    else:
        ids = body.get("ids")
        if (
            not isinstance(ids, list)
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
            or len(ids) > 1000
        ):
            raise Invalid(
                N_('Send {"ids": [...]} (at most 1000 numbers) or {"all": true}.'), code="invalid_ids"
            )
    updated = inbox.mark_read(current_user.id, ids, utcnow())
    return jsonify(updated=updated, unread=inbox.unread(current_user.id))


# --- robot targets (admin) ---


def _require_admin() -> None:
    if not perm.can_administer(current_principal()):
        raise Forbidden(N_("Only an administrator may do this."))


def _target(t: NotifyTarget) -> dict:
    parts = urlsplit(t.url)
    return {
        "id": t.id,
        "scope": t.scope,
        "kind": t.kind,
        # The address without its query (the access token is a secret).
        "url": f"{parts.scheme}://{parts.netloc}{parts.path}" + ("?…" if parts.query else ""),
        "has_secret": bool(t.secret),
        "created_at": t.created_at.isoformat(),
    }


def check_scope(scope) -> str:
    if not isinstance(scope, str):
        raise Invalid(N_("scope must be community:CODE, subdistrict:CODE or office."), code="invalid_scope")
    scope = scope.strip()
    if scope == "office":
        return scope
    kind, _sep, code = scope.partition(":")
    model = {"community": Community, "subdistrict": Subdistrict}.get(kind)
    if model is None or not code:
        raise Invalid(N_("scope must be community:CODE, subdistrict:CODE or office."), code="invalid_scope")
    if db.session.scalar(select(model.id).where(model.code == code)) is None:
        raise Invalid(N_("Unknown community or sub-district %(scope)s."), code="unknown_scope", scope=code)
    return f"{kind}:{code}"


@bp.get("/admin/notify-targets")
@documented("The robot targets (admin)", responses={200: s.Targets}, errors=(403,))
def notify_targets():
    _require_admin()
    rows = db.session.scalars(select(NotifyTarget).order_by(NotifyTarget.scope, NotifyTarget.id))
    return jsonify(items=[_target(t) for t in rows])


@bp.post("/admin/notify-targets")
@documented("Add a robot target (admin)", body=s.NewTarget, responses={201: s.Target}, errors=(403,))
def notify_target_add():
    _require_admin()
    body = json_body()
    scope = check_scope(body.get("scope"))
    kind = body.get("kind")
    if kind not in TARGET_KINDS:
        raise Invalid(N_("kind must be wecom or dingtalk."), code="invalid_kind")
    url = body.get("url")
    if (
        not isinstance(url, str)
        or len(url) > 1000
        or urlsplit(url.strip()).scheme not in ("http", "https")
        or not urlsplit(url.strip()).netloc
    ):
        raise Invalid(N_("url must be the robot's http(s) webhook address."), code="invalid_url")
    secret = body.get("secret")
    if secret is not None and (not isinstance(secret, str) or len(secret) > 200):
        raise Invalid(N_("secret must be text."), code="invalid_secret")
    target = NotifyTarget(
        scope=scope, kind=kind, url=url.strip(), secret=(secret or "").strip() or None, created_at=utcnow()
    )
    with writing():
        db.session.add(target)
    return jsonify(_target(target)), 201


@bp.delete("/admin/notify-targets/<int:target_id>")
@documented(
    "Remove a robot target and its unsent messages (admin)", responses={204: "Removed"}, errors=(403, 404)
)
def notify_target_delete(target_id: int):
    _require_admin()
    target = db.session.get(NotifyTarget, target_id)
    if target is None:
        raise NotFound(N_("Not found."))
    with writing():
        db.session.execute(delete(Delivery).where(Delivery.target_id == target_id))
        db.session.delete(target)
    return "", 204
