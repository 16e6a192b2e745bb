"""The settings page: the issuing body and bulletin number pattern of formal documents, and the
unannounced-inspection disclosures. Administrators change; the office reads.

GET  /admin/settings    every setting with its value and help                           office, admin
POST /admin/settings    every setting of the form at once (a checkbox left out is off)   admin

Nothing is half-applied: every value is checked before any is stored (``settings.set_values``), and a
refusal shows the form again with the values as typed and the setting at fault named. Each change is
in the audit log (``setting.change``, before → after).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions as perm
from .. import settings
from ..errors import DomainError
from ..types import utcnow
from ..unit_of_work import writing
from ..web import current_principal
from .views import bp, require_admin, require_reader


def _submitted() -> dict:
    """The form as setting values: checkboxes on or off, texts as typed (at most 500 characters read)."""
    return {
        key: (request.form.get(key) == "on") if spec.is_flag else (request.form.get(key) or "")[:500]
        for key, spec in settings.SPECS.items()
    }


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings_page():
    require_reader()
    error = field = None
    status = 200
    values = settings.values()
    if request.method == "POST":
        require_admin()
        values = _submitted()
        try:
            with writing():
                settings.set_values(values, user_id=current_user.id, now=utcnow())
        except DomainError as exc:
            error, field, status = exc.translated(_), exc.details.get("field"), exc.status
        else:
            flash(_("Settings saved."))
            return redirect(url_for("admin.settings_page"))
    return render_template(
        "admin/settings.html",
        specs=list(settings.SPECS.values()),
        values=values,
        can_edit=perm.can_administer(current_principal()),
        error=error,
        field=field,
    ), status
