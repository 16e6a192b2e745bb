"""Administration pages: users and the audit log. Administrators change; the office reads.

GET  /admin/users                    list (search, role, scope, active filters; paged)       office, admin
GET  /admin/users.csv                the filtered list as CSV                                 office, admin
GET/POST /admin/users/new            add a user                                               admin
GET/POST /admin/users/NAME           edit role, level, scope, display name                    admin
POST /admin/users/NAME/password      reset: a temporary password shown once                   admin
POST /admin/users/NAME/active        deactivate or reactivate                                 admin
GET/POST /admin/users/import         CSV: preview every row's problem, then import all or nothing   admin
GET  /admin/audit, /admin/audit.csv  the audit log, filtered, paged by cursor; CSV            office, admin
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required

from .. import audit
from .. import permissions as perm
from ..auth import services as accounts
from ..errors import N_, DomainError, Invalid
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..unit_of_work import writing
from ..web import current_principal, require
from . import services
from .pages import admin_page

bp = Blueprint("admin", __name__, url_prefix="/admin")

admin_page("admin.users", N_("Users"), order=10)
admin_page("admin.audit_log", N_("Audit log"), order=90)

MAX_CSV_BYTES = 1_000_000


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def require_reader() -> None:
    require(perm.is_staff_of_office(current_principal()))


def require_admin() -> None:
    require(perm.can_administer(current_principal()))


def _choices() -> dict:
    return {
        "roles": perm.ROLES,
        "levels": perm.LEVELS,
        "communities": list(db.session.scalars(db.select(Community).order_by(Community.code))),
        "subdistricts": list(db.session.scalars(db.select(Subdistrict).order_by(Subdistrict.code))),
    }


def _user_filter() -> services.UserFilter:
    args = request.args
    role = args.get("role", "")
    return services.UserFilter(
        q=args.get("q", "").strip()[:64],
        role=role if role in perm.ROLES else "",
        scope=args.get("scope", "").strip()[:32],
        active=args.get("active", "") if args.get("active") in ("yes", "no") else "",
    )


def _page() -> int:
    value = request.args.get("page", "1")
    return min(int(value), 100_000) if value.isdigit() and int(value) > 0 else 1


@bp.get("/users")
@login_required
def users():
    require_reader()
    f = _user_filter()
    page = _page()
    rows, total = services.users(f, page=page)
    pages = max(1, -(-total // services.PAGE_SIZE))
    return render_template(
        "admin/users.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        f=f,
        can_edit=perm.can_administer(current_principal()),
        **_choices(),
    )


@bp.get("/users.csv")
@login_required
def users_csv():
    require_reader()
    response = make_response(services.users_csv(_user_filter()))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="users.csv"'
    return response


def _form_value(name: str) -> str | None:
    return (request.form.get(name) or "").strip() or None


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def add_user():
    require_admin()
    error = field = None
    status = 200
    if request.method == "POST":
        password, confirm = request.form.get("password") or "", request.form.get("confirm") or ""
        spec = accounts.NewUser(
            username=_form_value("username") or "",
            password=password,
            role=_form_value("role") or "",
            level=_form_value("level"),
            community=_form_value("community"),
            subdistrict=_form_value("subdistrict"),
            display_name=_form_value("display_name") or "",
        )
        try:
            if password != confirm:
                raise Invalid(_("The passwords do not match."), details={"field": "confirm"})
            with writing():
                user = accounts.add_user(spec)
        except DomainError as exc:
            error, field, status = exc.translated(_), exc.details.get("field"), exc.status
        else:
            flash(_("User %(username)s added.", username=user.username))
            return redirect(url_for("admin.users", q=user.username))
    return render_template(
        "admin/user_form.html", user=None, error=error, field=field, values=request.form, **_choices()
    ), status


@bp.route("/users/<username>", methods=["GET", "POST"])
@login_required
def edit_user(username: str):
    require_admin()
    user = accounts.user_named(username)
    error = field = None
    status = 200
    if request.method == "POST":
        changes = {
            key: request.form.get(key, "")
            for key in ("role", "level", "community", "subdistrict", "display_name")
        }
        try:
            with writing():
                accounts.update_user(user, changes)
        except DomainError as exc:
            user = accounts.user_named(username)
            error, field, status = exc.translated(_), exc.details.get("field"), exc.status
        else:
            flash(_("User %(username)s saved.", username=user.username))
            return redirect(url_for("admin.edit_user", username=user.username))
    values = request.form if request.method == "POST" else services.user_dict(user)
    return render_template(
        "admin/user_form.html", user=user, error=error, field=field, values=values, **_choices()
    ), status


@bp.post("/users/<username>/password")
@login_required
def reset_password(username: str):
    require_admin()
    user = accounts.user_named(username)
    with writing():
        password = accounts.reset_password(user)
    response = make_response(render_template("admin/temporary_password.html", user=user, password=password))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/users/<username>/active")
@login_required
def set_active(username: str):
    require_admin()
    user = accounts.user_named(username)
    active = request.form.get("active") == "yes"
    try:
        with writing():
            accounts.update_user(user, {"active": active})
    except DomainError as exc:
        flash(exc.translated(_))
    else:
        flash(
            _("User %(username)s reactivated.", username=username)
            if active
            else _("User %(username)s deactivated: every session and API token has ended.", username=username)
        )
    return redirect(url_for("admin.edit_user", username=username))


def _uploaded_text() -> str:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        data = upload.read(MAX_CSV_BYTES + 1)
    else:
        data = (request.form.get("text") or "").encode("utf-8")
    if len(data) > MAX_CSV_BYTES:
        raise Invalid(_("The file is larger than %(n)s bytes.", n=MAX_CSV_BYTES), details={"field": "file"})
    if not data.strip():
        raise Invalid(_("Choose a CSV file."), details={"field": "file"})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(_("The file is not UTF-8 text."), details={"field": "file"}) from None


@bp.route("/users/import", methods=["GET", "POST"])
@login_required
def import_users():
    """Preview first (every row with its problem), then import the same text: all rows or none."""
    require_admin()
    error = text = None
    rows = []
    status = 200
    if request.method == "POST":
        try:
            text = _uploaded_text()
            rows = accounts.preview_users(text)
            bad = [r for r in rows if r.problem is not None]
            if request.form.get("confirm") == "yes" and not bad and rows:
                with writing():
                    added = accounts.import_users(text)
                flash(_("%(n)s users imported.", n=len(added)))
                return redirect(url_for("admin.users"))
            if bad:
                status = 400
                error = _(
                    "%(n)s rows have problems: nothing was imported. Correct the file and preview it again.",
                    n=len(bad),
                )
            elif not rows:
                status, error = 400, _("The file has no rows.")
        except DomainError as exc:
            error, status = exc.translated(_), exc.status
    return render_template(
        "admin/users_import.html",
        rows=rows,
        text=text,
        error=error,
        columns=accounts.USER_CSV_COLUMNS,
        translate=lambda e: e.translated(_),
    ), status


@bp.get("/audit")
@login_required
def audit_log():
    require_reader()
    tz = _tz()
    error = None
    entries, next_cursor = [], None
    try:
        q = services.audit_query(request.args, tz)
        before = services.parse_cursor(request.args.get("before"))
        entries = audit.entries(q, before=before, limit=services.PAGE_SIZE + 1)
    except DomainError as exc:
        error = exc.translated(_)
    if len(entries) > services.PAGE_SIZE:
        entries = entries[: services.PAGE_SIZE]
        next_cursor = services.cursor_of(entries[-1])
    filters = {k: request.args.get(k, "") for k in ("from", "to", "actor", "action")}
    return render_template(
        "admin/audit.html",
        entries=entries,
        next_cursor=next_cursor,
        filters=filters,
        actions=audit.ACTIONS,
        error=error,
        tz=tz,
    ), (400 if error else 200)


@bp.get("/audit.csv")
@login_required
def audit_csv():
    require_reader()
    tz = _tz()
    q = services.audit_query(request.args, tz)
    # Built whole, not streamed: a streamed body holds the request context until a client reads it all.
    response = make_response("".join(services.audit_csv_rows(q, tz)))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response
