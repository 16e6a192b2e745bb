"""The checklist part of the admin API (administrators only; 403 for everyone else).

GET  /api/v1/admin/checklists    every version: id, label, effective_month, items, published_months, locked
POST /api/v1/admin/checklists    multipart ``file`` (YAML, JSON or XLSX) and ``effective_month`` → 201 with
                                 the version and its differences from the previous one; 400 lists every
                                 problem with its place (``error.problems``); 409 for a published month
"""

from __future__ import annotations

from flask import jsonify, request

from .. import permissions as perm
from ..api.describe import MULTIPART, documented
from ..api.views import bp
from ..unit_of_work import writing
from ..web import current_principal, require
from . import schemas as s
from . import services
from .models import ChecklistVersion
from .views import uploaded_file


def version_dict(version: ChecklistVersion, published: dict[int, list[str]]) -> dict:
    used = published.get(version.id, [])
    return {
        "id": version.id,
        "label": version.label,
        "effective_month": version.effective_month,
        "created_at": version.created_at.isoformat(),
        "sha256": version.sha256,
        "items": sum(len(category["items"]) for category in version.settings.get("categories", [])),
        "published_months": used,
        "locked": bool(used),
    }


@bp.get("/admin/checklists")
@documented(
    "Every checklist version, the latest first month first (admin)",
    responses={200: s.ChecklistVersions},
    errors=(400, 401, 403),
)
def admin_checklists():
    require(perm.can_administer(current_principal()))
    published = services.published_months()
    return jsonify(checklists=[version_dict(v, published) for v in services.versions()])


@bp.post("/admin/checklists")
@documented(
    "Load a checklist version (admin): YAML, JSON or an XLSX in the exported layout, in force from "
    "effective_month; answers the differences from the version it supersedes",
    description=s.UPLOAD_ERRORS,
    body=s.ChecklistUpload,
    media=MULTIPART,
    body_required=True,
    responses={201: s.ChecklistUploaded},
    errors=(400, 401, 403, 409, 413),
)
def admin_upload_checklist():
    require(perm.can_administer(current_principal()))
    raw, name = uploaded_file()
    month = (request.form.get("effective_month") or "").strip()
    with writing():
        version = services.upload_checklist(raw, effective_month=month, source_name=name)
    previous, changes = services.version_diff(version)
    return jsonify(
        checklist=version_dict(version, {}),
        previous=previous.id if previous is not None else None,
        diff=[change.as_dict() for change in changes],
    ), 201
