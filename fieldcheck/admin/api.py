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
from ..api.describe import documented
from ..api.views import bp, json_body
from ..auth import services as accounts
from ..errors import Invalid
from ..unit_of_work import writing
from ..web import current_principal, require
from . import schemas as s
from . import services

NEW_USER_FIELDS = ("username", "password", "role", "level", "community", "subdistrict", "display_name")


def _require_admin() -> None:
    require(perm.can_administer(current_principal()))


ADMIN_ERRORS = (400, 401, 403, 404)


@bp.get("/admin/users")
@documented(
    "Users by username, a page of 50 (admin)",
    query=s.UserQuery,
    responses={200: s.UserPage},
    errors=ADMIN_ERRORS,
)
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
@documented(
    "Add a user with a password (admin); the user logs in with it",
    description=s.FIELD_ERRORS,
    body=s.NewUser,
    responses={201: s.OneUser},
    errors=ADMIN_ERRORS,
)
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
@documented(
    "Change role, level, community, subdistrict, display_name or active (admin); active false ends every "
    "session and API token of the user at once",
    description=s.FIELD_ERRORS,
    body=s.UserChange,
    responses={200: s.ChangedUser},
    errors=ADMIN_ERRORS,
)
def admin_update_user(username: str):
    _require_admin()
    user = accounts.user_named(username)
    with writing():
        changed = accounts.update_user(user, json_body())
    return jsonify(user=services.user_dict(user), changed=changed)


@bp.post("/admin/users/<username>/password")
@documented(
    "Reset the password (admin): answers a temporary one, shown once; every session and token of the user "
    "ends, and until the user chooses a new password on the login page POST /auth/token answers 403 "
    "password_change_required",
    responses={200: s.TemporaryPassword},
    errors=ADMIN_ERRORS,
)
def admin_reset_password(username: str):
    _require_admin()
    user = accounts.user_named(username)
    with writing():
        password = accounts.reset_password(user)
    response = jsonify(password=password)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/admin/audit")
@documented(
    "The audit log, newest first (admin)",
    query=s.AuditQuery,
    responses={200: s.AuditPage},
    errors=ADMIN_ERRORS,
)
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
