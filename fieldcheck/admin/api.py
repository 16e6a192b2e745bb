"""The admin API under /api/v1/admin (administrators only; 403 for everyone else).

GET  /admin/users                 users (filters q, role, scope, active; page)
POST /admin/users                 add: {username, password, role, level?, community?, subdistrict?, display_name?}
PATCH /admin/users/NAME           change role, level, community, subdistrict, display_name, active
POST /admin/users/NAME/password   reset: {"password": "<temporary>"}, to be changed at the next login
GET  /admin/audit                 entries (from, to, actor, action; before: cursor), newest first
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, jsonify, request
from flask_babel import gettext as _

from .. import audit
from .. import permissions as perm
from ..api.views import bp, json_body
from ..auth import services as accounts
from ..errors import Invalid
from ..unit_of_work import writing
from ..web import current_principal, require
from . import services

NEW_USER_FIELDS = ("username", "password", "role", "level", "community", "subdistrict", "display_name")


def _require_admin() -> None:
    require(perm.can_administer(current_principal()))


@bp.get("/admin/users")
def admin_users():
    _require_admin()
    args = request.args
    f = services.UserFilter(
        q=(args.get("q") or "").strip(),
        role=args.get("role") or "",
        scope=(args.get("scope") or "").strip(),
        active=args.get("active") if args.get("active") in ("yes", "no") else "",
    )
    page = args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) <= 100_000 else 1
    rows, total = services.users(f, page=page)
    return jsonify(
        users=[services.user_dict(u) for u in rows], total=total, page=page, page_size=services.PAGE_SIZE
    )


@bp.post("/admin/users")
def admin_add_user():
    _require_admin()
    body = json_body()
    unknown = sorted(set(body) - set(NEW_USER_FIELDS))
    if unknown:
        raise Invalid(_("Unknown field %(field)s.", field=unknown[0]), details={"field": unknown[0]})
    for key in NEW_USER_FIELDS:
        if body.get(key) is not None and not isinstance(body[key], str):
            raise Invalid(_("%(field)s must be text.", field=key), details={"field": key})
    spec = accounts.NewUser(
        username=body.get("username") or "",
        password=body.get("password") or "",
        role=body.get("role") or "",
        level=body.get("level") or None,
        community=body.get("community") or None,
        subdistrict=body.get("subdistrict") or None,
        display_name=body.get("display_name") or "",
    )
    with writing():
        user = accounts.add_user(spec)
    return jsonify(user=services.user_dict(user)), 201


@bp.patch("/admin/users/<username>")
def admin_update_user(username: str):
    _require_admin()
    user = accounts.user_named(username)
    with writing():
        changed = accounts.update_user(user, json_body())
    return jsonify(user=services.user_dict(user), changed=changed)


@bp.post("/admin/users/<username>/password")
def admin_reset_password(username: str):
    _require_admin()
    user = accounts.user_named(username)
    with writing():
        password = accounts.reset_password(user)
    response = jsonify(password=password)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/admin/audit")
def admin_audit():
    _require_admin()
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    q = services.audit_query(request.args, tz)
    before = services.parse_cursor(request.args.get("before"))
    limit = request.args.get("limit", "")
    limit = min(int(limit), 500) if limit.isdigit() and int(limit) > 0 else services.PAGE_SIZE
    rows = audit.entries(q, before=before, limit=limit + 1)
    next_cursor = services.cursor_of(rows[limit - 1]) if len(rows) > limit else None
    return jsonify(entries=[audit.as_dict(e) for e in rows[:limit]], next=next_cursor)
