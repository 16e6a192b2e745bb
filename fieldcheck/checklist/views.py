"""Checklist administration: the versions, one in full with its differences, upload, scheduling.

GET  /admin/checklists                 versions with the month each takes effect; upload form     office, admin
POST /admin/checklists                 upload YAML, JSON or XLSX (file, effective_month)        admin
GET  /admin/checklists/ID              the version in full, the differences from the previous    office, admin
GET  /admin/checklists/ID.xlsx|.yaml   the version as a workbook in the upload layout, or YAML    office, admin
POST /admin/checklists/ID/schedule     move its first month (not once a published month used it) admin
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from .. import permissions as perm
from ..admin.pages import admin_page
from ..errors import N_, DomainError, Invalid
from ..months import Month
from ..types import utcnow
from ..unit_of_work import writing
from ..web import current_principal, require
from . import services
from .sheet import checklist_to_xlsx
from .spec import SEVERITIES, checklist_to_dict

bp = Blueprint("checklist", __name__, url_prefix="/admin/checklists")
admin_page("checklist.versions", N_("Checklist versions"), order=30, anchor="admin-checklists")

#: The largest checklist file accepted (the default checklist is 12 KB as YAML, 14 KB as XLSX).
MAX_FILE_BYTES = 2_000_000
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_reader() -> None:
    require(perm.is_staff_of_office(current_principal()))


def _require_admin() -> None:
    require(perm.can_administer(current_principal()))


def next_month() -> str:
    return str(Month.of(utcnow(), ZoneInfo(current_app.config["TIMEZONE"])).next())


def uploaded_file() -> tuple[bytes, str]:
    """The bytes and name of the form's ``file``; 400 when there is none or it is too large."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid(_("Choose a checklist file (YAML, JSON or XLSX)."))
    raw = upload.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise Invalid(_("The file is larger than %(n)s MB.", n=MAX_FILE_BYTES // 1_000_000))
    return raw, upload.filename[:200]


def _list_page(status: int = 200, **context):
    return render_template(
        "checklist/versions.html",
        versions=services.versions(),
        published=services.published_months(),
        in_force=services.version_in_force(str(Month.of(utcnow(), ZoneInfo(current_app.config["TIMEZONE"])))),
        can_edit=perm.can_administer(current_principal()),
        default_month=next_month(),
        **context,
    ), status


@bp.get("")
@login_required
def versions():
    _require_reader()
    return _list_page()


@bp.post("")
@login_required
def upload():
    _require_admin()
    month = (request.form.get("effective_month") or "").strip()
    try:
        raw, name = uploaded_file()
        with writing():
            version = services.upload_checklist(raw, effective_month=month, source_name=name)
    except DomainError as exc:
        problems = exc.details.get("problems") or []
        message = (
            _("The checklist was not loaded: %(n)s problems.", n=len(problems))
            if problems
            else exc.translated(_)
        )
        return _list_page(exc.status, error=message, problems=problems, month=month[:7])
    flash(
        _(
            "Checklist version %(id)s loaded, in force from %(month)s.",
            id=version.id,
            month=version.effective_month,
        )
    )
    return redirect(url_for("checklist.show", version_id=version.id))


@bp.get("/<int:version_id>")
@login_required
def show(version_id: int):
    _require_reader()
    target = services.version(version_id)
    previous, changes = services.version_diff(target)
    used = services.published_months().get(target.id, [])
    return render_template(
        "checklist/version.html",
        version=target,
        doc=checklist_to_dict(services.parse_checklist_document(target)),
        severities=SEVERITIES,
        previous=previous,
        changes=changes,
        published=used,
        can_edit=perm.can_administer(current_principal()) and not used,
    )


@bp.get("/<int:version_id>.xlsx")
@login_required
def export_xlsx(version_id: int):
    _require_reader()
    target = services.version(version_id)
    response = make_response(checklist_to_xlsx(services.parse_checklist_document(target)))
    response.headers["Content-Type"] = XLSX_MIME
    response.headers["Content-Disposition"] = f'attachment; filename="checklist-{target.id}.xlsx"'
    return response


@bp.get("/<int:version_id>.yaml")
@login_required
def export_yaml(version_id: int):
    _require_reader()
    target = services.version(version_id)
    response = make_response(services.checklist_yaml(target))
    response.headers["Content-Type"] = "application/yaml; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="checklist-{target.id}.yaml"'
    return response


@bp.post("/<int:version_id>/schedule")
@login_required
def schedule(version_id: int):
    _require_admin()
    target = services.version(version_id)
    with writing():
        services.schedule(target, (request.form.get("effective_month") or "").strip())
    flash(_("Version %(id)s is in force from %(month)s.", id=target.id, month=target.effective_month))
    return redirect(url_for("checklist.show", version_id=target.id))
