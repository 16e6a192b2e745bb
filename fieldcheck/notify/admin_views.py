"""Pages: the robot targets and failed messages (administrator), each user's e-mail preference.

GET  /admin/notify                          targets, add form, failed messages          office, admin
POST /admin/notify/targets                  add a target                                admin
POST /admin/notify/targets/ID/delete        remove a target                             admin
POST /admin/notify/targets/ID/test          send a test message now                     admin
POST /admin/notify/failed/ID/retry|dismiss  send a failed message again, or drop it     admin
GET/POST /notifications/settings            my e-mail address and opt-in                every user
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions as perm
from ..admin.pages import admin_page
from ..errors import N_, DomainError
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..types import utcnow
from ..unit_of_work import writing
from ..web import current_principal, require
from . import messages, services
from .views import bp

admin_page("notify.robots", N_("Notification robots"), order=60)


def _require_admin() -> None:
    require(perm.can_administer(current_principal()))


def _cursor() -> int | None:
    value = request.args.get("cursor", "")
    return int(value) if value.isdigit() and 0 < int(value) < 2**62 else None


def _page(error: str | None = None, values=None, status: int = 200):
    rows, next_cursor = services.failed(_cursor())
    return render_template(
        "notify/admin.html",
        targets=services.targets(),
        shown_url=services.shown_url,
        failed=rows,
        next_cursor=next_cursor,
        messages=messages,
        communities=list(db.session.scalars(db.select(Community).order_by(Community.code))),
        subdistricts=list(db.session.scalars(db.select(Subdistrict).order_by(Subdistrict.code))),
        error=error,
        values=values or {},
        can_edit=perm.can_administer(current_principal()),
    ), status


@bp.get("/admin/notify")
@login_required
def robots():
    require(perm.is_staff_of_office(current_principal()))  # the office reads, the admin changes
    return _page()


@bp.post("/admin/notify/targets")
@login_required
def admin_add():
    _require_admin()
    form = request.form
    try:
        with writing():
            services.add_target(
                current_user,
                form.get("scope", ""),
                form.get("kind", ""),
                form.get("url", ""),
                form.get("secret") or None,
                now=utcnow(),
            )
    except DomainError as exc:
        return _page(exc.translated(_), form, exc.status)
    flash(_("Robot added."))
    return redirect(url_for("notify.robots"))


@bp.post("/admin/notify/targets/<int:target_id>/delete")
@login_required
def admin_delete(target_id: int):
    _require_admin()
    with writing():
        services.delete_target(current_user, target_id)
    flash(_("Robot removed."))
    return redirect(url_for("notify.robots"))


@bp.post("/admin/notify/targets/<int:target_id>/test")
@login_required
def admin_test(target_id: int):
    _require_admin()
    error = services.send_test(target_id)
    if error is None:
        flash(_("Test message sent."))
    else:
        flash(_("The test message failed: %(error)s", error=error))
    return redirect(url_for("notify.robots"))


@bp.post("/admin/notify/failed/<int:delivery_id>/retry")
@login_required
def admin_retry(delivery_id: int):
    _require_admin()
    with writing():
        services.retry(delivery_id, now=utcnow())
    flash(_("The message will be sent again."))
    return redirect(url_for("notify.robots"))


@bp.post("/admin/notify/failed/<int:delivery_id>/dismiss")
@login_required
def admin_dismiss(delivery_id: int):
    _require_admin()
    with writing():
        services.dismiss(delivery_id)
    flash(_("The message was dismissed."))
    return redirect(url_for("notify.robots"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    error, status = None, 200
    if request.method == "POST":
        email = request.form.get("email", "")
        opt_in = request.form.get("email_opt_in") == "1"
        try:
            with writing():
                services.set_preference(current_user.id, email, opt_in)
        except DomainError as exc:
            error, status = exc.translated(_), exc.status
        else:
            flash(_("Saved."))
            return redirect(url_for("notify.settings"))
        values = {"email": email[:254], "email_opt_in": opt_in}
    else:
        pref = services.preference(current_user.id)
        values = {"email": pref.email, "email_opt_in": pref.email_opt_in}
    return render_template("notify/settings.html", values=values, error=error), status
