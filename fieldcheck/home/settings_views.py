"""The office's run-time settings: a card on the office's and the administrator's home pages.

POST /settings   office and admin: every setting of the form at once (a checkbox left out is off),
                 then back to the home page (Post/Redirect/Get) with a flashed confirmation.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions as perm
from .. import settings
from ..types import utcnow
from ..unit_of_work import writing
from ..web import current_principal, require
from .views import bp


@bp.app_context_processor
def settings_card():
    """``settings_form()`` in templates: (spec, value) of every on/off setting, read when the card is shown
    (the formal documents' texts are on the administrator's settings page, /admin/settings)."""
    return {
        "settings_form": lambda: [
            (spec, settings.values()[key]) for key, spec in settings.SPECS.items() if spec.is_flag
        ]
    }


@bp.post("/settings")
@login_required
def save_settings():
    p = current_principal()
    require(perm.can_change_settings(p))
    changes = {key: request.form.get(key) == "on" for key, spec in settings.SPECS.items() if spec.is_flag}
    with writing():
        settings.set_values(changes, user_id=current_user.id, now=utcnow())
    flash(_("Settings saved."))
    return redirect(url_for(perm.home_endpoint(p)) + "#settings")
