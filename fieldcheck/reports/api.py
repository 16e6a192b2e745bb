"""API routes for reports, visits and photo files (registered on the api blueprint).

One report with the moves its reader may make (GET /reports/ID) is the workflow's (``workflow.api``):
the reports feature does not depend on the workflow, the workflow depends on it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions as perm
from ..api.views import bp
from ..errors import N_, Invalid, NotFound
from ..extensions import db
from ..inputs import parse_whole_number
from ..months import month_text
from ..storage_http import blob_response
from ..types import utcnow
from ..web import current_principal, require
from . import queries, serialize, services
from .filing import filing_context, uploaded_photos
from .intake import parse_submission
from .models import STATUSES, Photo, Visit


def _file(kind: str):
    require(perm.can_file_report(current_principal()))
    ctx = filing_context()
    sub = parse_submission(request.form.to_dict(), ctx.now, with_item=(kind == "report"), tz=ctx.tz)
    filer = services.file_report if kind == "report" else services.file_visit
    filed = filer(current_user, sub, uploaded_photos(), ctx)
    return filed, ctx


@bp.post("/reports")
def create_report():
    filed, ctx = _file("report")
    body = serialize.report(filed.record, now=ctx.now, originals=perm.can_view_originals(current_principal()))
    return jsonify(body), 201 if filed.created else 200


@bp.post("/visits")
def create_visit():
    filed, _ctx = _file("visit")
    return jsonify(serialize.visit(filed.record)), 201 if filed.created else 200


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    value = parse_whole_number(request.args.get(name), name, low, high, code="invalid")
    return default if value is None else value


@bp.get("/reports")
def list_reports():
    p = current_principal()
    month = request.args.get("month") or None
    if month is not None:
        month = month_text(month)
    status = request.args.get("status") or None
    if status and status not in STATUSES:
        raise Invalid(N_("status must be one of %(choices)s."), choices=", ".join(STATUSES))
    page = _int_arg("page", 1, 1, 100_000)
    per_page = _int_arg("per_page", 50, 1, 200)
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    rows, total = queries.list_reports(
        p,
        tz=tz,
        month=month,
        community_code=request.args.get("community") or None,
        status=status,
        page=page,
        per_page=per_page,
    )
    now = utcnow()
    originals = perm.can_view_originals(p)
    return jsonify(
        page=page,
        per_page=per_page,
        total=total,
        reports=[serialize.report(r, now=now, originals=originals) for r in rows],
    )


VARIANTS = ("display", "thumb", "original")


@bp.get("/photos/<int:photo_id>/<variant>")
def photo_file(photo_id: int, variant: str):
    """A photo file, only for users who may see its report; originals only for the office and admin."""
    p = current_principal()
    photo = db.session.get(Photo, photo_id)
    if photo is None or variant not in VARIANTS:
        raise NotFound(_("Not found."))
    if photo.report is not None:
        allowed = perm.can_view_place(p, queries.place_of(photo.report))
    else:
        allowed = _can_view_visit(p, photo.visit)
    require(allowed, hide=True)
    if variant == "original":
        require(perm.can_view_originals(p))
    key = {"display": photo.display_key, "thumb": photo.thumb_key, "original": photo.original_key}[variant]
    mime = photo.mime if variant == "original" else "image/jpeg"
    # Streamed with an ETag (304 without reading the store), or a presigned redirect: storage_http.py.
    return blob_response(
        key, mimetype=mime, attachment_name=photo.sha256[:16] if variant == "original" else None
    )


def _can_view_visit(p: perm.Principal, visit: Visit) -> bool:
    place = perm.Place(
        community_id=visit.community_id,
        subdistrict_id=visit.community.subdistrict_id if visit.community else None,
        filed_by=visit.inspector_id,
    )
    return perm.can_view_place(p, place)
