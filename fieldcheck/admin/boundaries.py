"""Boundary versions in the browser and for scripts: upload, check, preview the differences, activate.

GET  /admin/boundaries                     versions, and the upload form                     office, admin
POST /admin/boundaries                     upload: stored inactive, or every bad feature named    admin
GET  /admin/boundaries/ID                  preview: the differences from the version in force, map   office, admin
GET  /admin/boundaries/ID.geojson          the version's polygons with their differences (the map)  office, admin
POST /admin/boundaries/ID/activate         put the version in force                          admin

GET  /api/v1/admin/boundaries              versions                                           admin
POST /api/v1/admin/boundaries              multipart ``file`` -> {"id", "errors", "diff"}, not activated   admin
POST /api/v1/admin/boundaries/ID/activate  put it in force                                    admin

One service (fieldcheck.geography.services) serves these and ``fieldcheck import-boundaries``.
"""

from __future__ import annotations

import json

from flask import flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy.exc import IntegrityError

from .. import boundary_diff
from .. import permissions as perm
from ..api.describe import MULTIPART, Answer, documented
from ..api.views import bp as api_bp
from ..errors import N_, Conflict, DomainError, Invalid
from ..geography import services as geo
from ..unit_of_work import writing
from ..web import current_principal, require
from . import schemas as s
from .api import ADMIN_ERRORS
from .pages import admin_page
from .views import bp, require_admin, require_reader

admin_page("admin.boundaries", N_("Boundaries"), order=20)

KIND_NAMES = {
    "added": N_("Added"),
    "removed": N_("Removed"),
    "renamed": N_("Renamed"),
    "moved": N_("Moved to another sub-district"),
    "area_changed": N_("Area changed by more than 5 %"),
}


def _uploaded() -> tuple[bytes, str]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid(N_("Choose a GeoJSON file."), code="no_file", details={"field": "file"})
    data = upload.read(geo.MAX_BOUNDARY_BYTES + 1)
    return data, upload.filename.replace("\\", "/").rpartition("/")[2][:255]


def _upload() -> tuple[geo.BoundaryVersion, dict]:
    data, name = _uploaded()
    with writing():
        return geo.upload_boundaries(data, name)


def _diff(version) -> dict:
    return geo.diff_against_in_force(geo.version_features(version))


def _activate(version_id: int) -> tuple[geo.BoundaryVersion, bool]:
    try:
        with writing(exclusive=True):
            version = geo.boundary_version(version_id)
            activated = geo.activate_boundaries(version)
    except IntegrityError:  # another activation of the same version won the race
        raise Conflict(N_("The version was activated by someone else just now."), code="activated") from None
    return version, activated


def _version_dict(version, in_force_id: int | None) -> dict:
    return {
        "id": version.id,
        "source_name": version.source_name,
        "sha256": version.sha256,
        "feature_count": version.feature_count,
        "created_at": version.created_at.isoformat(),
        "activated_at": version.activated_at.isoformat() if version.activated_at else None,
        "in_force": version.id == in_force_id,
    }


# --- pages ------------------------------------------------------------------------------------------------


def _list_page(errors=None, error=None, status=200):
    current = geo.current_boundary_version()
    return render_template(
        "admin/boundaries.html",
        versions=geo.boundary_versions(),
        current=current,
        errors=errors or [],
        error=error,
        can_edit=perm.can_administer(current_principal()),
        max_bytes=geo.MAX_BOUNDARY_BYTES,
    ), status


@bp.get("/boundaries")
@login_required
def boundaries():
    require_reader()
    return _list_page()


@bp.post("/boundaries")
@login_required
def upload_boundaries():
    require_admin()
    try:
        version, _diff_unused = _upload()
    except geo.BoundaryProblems as exc:
        count = len(exc.details["errors"])
        message = _("%(n)s problems: nothing was stored. Correct the file and upload it again.", n=count)
        return _list_page(errors=exc.details["errors"], error=message, status=400)
    except DomainError as exc:
        return _list_page(error=exc.translated(_), status=exc.status)
    flash(_("Boundary version %(id)s uploaded. It is not in force until you activate it.", id=version.id))
    return redirect(url_for("admin.boundary_version", version_id=version.id))


@bp.get("/boundaries/<int:version_id>")
@login_required
def boundary_version(version_id: int):
    require_reader()
    version = geo.boundary_version(version_id)
    current = geo.current_boundary_version()
    diff = _diff(version)
    return render_template(
        "admin/boundary_version.html",
        version=version,
        current=current,
        diff=diff,
        counts=boundary_diff.counts(diff),
        kinds={kind: _(name) for kind, name in KIND_NAMES.items()},  # "5 %" is not a format for Jinja's _()
        can_edit=perm.can_administer(current_principal()),
        config={
            "geojson_url": url_for("admin.boundary_geojson", version_id=version.id),
            "text": {kind: _(name) for kind, name in KIND_NAMES.items()}
            | {"unchanged": _("Unchanged"), "failed": _("The map could not load: {reason}")},
        },
    )


@bp.get("/boundaries/<int:version_id>.geojson")
@login_required
def boundary_geojson(version_id: int):
    """The version's polygons, each with the kinds of difference it has, and the removed ones in force."""
    require_reader()
    version = geo.boundary_version(version_id)
    features = geo.version_features(version)
    diff = geo.diff_against_in_force(features)
    changes = boundary_diff.changes_by_code(diff)
    out = []
    for f in features:
        feature = f.to_geojson()
        feature["properties"]["changes"] = changes.get(f.community_code, [])
        out.append(feature)
    removed = {entry["code"] for entry in diff["removed"]}
    current = geo.current_boundary_version()
    if removed and current is not None:
        for f in geo.version_features(current):
            if f.community_code in removed:
                feature = f.to_geojson()
                feature["properties"]["changes"] = ["removed"]
                out.append(feature)
    response = make_response(json.dumps({"type": "FeatureCollection", "features": out}, ensure_ascii=False))
    response.headers["Content-Type"] = "application/geo+json"
    return response


@bp.post("/boundaries/<int:version_id>/activate")
@login_required
def activate_boundaries(version_id: int):
    require_admin()
    try:
        version, activated = _activate(version_id)
    except DomainError as exc:
        flash(exc.translated(_))
        return redirect(url_for("admin.boundaries"))
    if activated:
        flash(_("Boundary version %(id)s is now in force.", id=version.id))
    else:
        flash(_("Boundary version %(id)s was already in force.", id=version.id))
    return redirect(url_for("admin.boundary_version", version_id=version.id))


# --- API --------------------------------------------------------------------------------------------------


def _require_api_admin() -> None:
    require(perm.can_administer(current_principal()))


@api_bp.get("/admin/boundaries")
@documented(
    "Boundary versions, newest first, and the id of the one in force (admin)",
    responses={200: s.BoundaryVersions},
    errors=ADMIN_ERRORS,
)
def api_boundaries():
    _require_api_admin()
    current = geo.current_boundary_version()
    in_force = current.id if current else None
    return jsonify(versions=[_version_dict(v, in_force) for v in geo.boundary_versions()], in_force=in_force)


@api_bp.post("/admin/boundaries")
@documented(
    "Upload a GeoJSON FeatureCollection of community boundaries (admin): checked whole and stored inactive, "
    "with its differences from the version in force; nothing else changes until it is activated",
    description="400 invalid_boundaries with id null, diff null and errors naming every bad feature (also in "
    "error.errors): nothing is stored. 400 no_file without a file, too_large over 20 MB.",
    body=s.BoundaryUpload,
    media=MULTIPART,
    body_required=True,
    responses={201: Answer("the stored (inactive) version", s.UploadedBoundaries)},
    errors=(*ADMIN_ERRORS, 413),
)
def api_upload_boundaries():
    """Check and store a version without activating it; 400 with every fault when the file is bad."""
    _require_api_admin()
    try:
        version, diff = _upload()
    except geo.BoundaryProblems as exc:
        errors = exc.details["errors"]
        message = _(
            "%(n)s problems: nothing was stored. Correct the file and upload it again.", n=len(errors)
        )
        body = {"error": {"code": exc.code, "message": message, "errors": errors}}
        return jsonify(body | {"id": None, "errors": errors, "diff": None}), 400
    return jsonify(id=version.id, errors=[], diff=diff, feature_count=version.feature_count), 201


@api_bp.post("/admin/boundaries/<int:version_id>/activate")
@documented(
    "Put a boundary version in force (admin), in one transaction: its boundaries, community names and "
    "sub-districts. Reports keep the version they were located with. Activating the version in force again "
    "changes nothing (activated false).",
    responses={200: s.ActivatedBoundaries},
    errors=(*ADMIN_ERRORS, 409),
)
def api_activate_boundaries(version_id: int):
    _require_api_admin()
    version, activated = _activate(version_id)
    return jsonify(id=version.id, activated=activated, in_force=True)
