"""The admin API under /api/v1/admin (administrators only; 403 for everyone else).

GET  /admin/users                 users (filters q, role, scope, active; page)
POST /admin/users                 add: {username, password, role, level?, community?, subdistrict?, display_name?}
PATCH /admin/users/NAME           change role, level, community, subdistrict, display_name, active
POST /admin/users/NAME/password   reset: {"password": "<temporary>"}, to be changed at the next login
GET  /admin/audit                 entries (from, to, actor, action; before: cursor), newest first
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, jsonify

from .. import audit
from .. import permissions as perm
from ..api import parse
from ..api.describe import documented
from ..api.views import bp
from ..auth import services as accounts
from ..unit_of_work import writing
from ..web import current_principal, require
from . import schemas as s
from . import services


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
    sent = parse.query(s.UserQuery)
    f = services.UserFilter(
        q=(sent.q or "").strip(),
        role=sent.role or "",
        scope=(sent.scope or "").strip(),
        active=sent.active or "",
    )
    page = sent.page or 1
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
    sent = parse.body(s.NewUser)
    spec = accounts.NewUser(
        username=sent.username,
        password=sent.password,
        role=sent.role,
        level=sent.level or None,
        community=sent.community or None,
        subdistrict=sent.subdistrict or None,
        display_name=sent.display_name or "",
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
    changes = parse.body(s.UserChange).model_dump(exclude_unset=True)
    user = accounts.user_named(username)
    with writing():
        changed = accounts.update_user(user, changes)
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
    sent = parse.query(s.AuditQuery)
    q = services.audit_query(sent.model_dump(by_alias=True), tz)
    before = services.parse_cursor(sent.before)
    limit = min(sent.limit or services.PAGE_SIZE, 500)
    rows = audit.entries(q, before=before, limit=limit + 1)
    next_cursor = services.cursor_of(rows[limit - 1]) if len(rows) > limit else None
    return jsonify(entries=[audit.as_dict(e) for e in rows[:limit]], next=next_cursor)
