"""API routes for reports, visits and photo files (registered on the api blueprint).

One report with the moves its reader may make (GET /reports/ID) is the workflow's (``workflow.api``):
the reports feature does not depend on the workflow, the workflow depends on it.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Response, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from .. import links, paging, settings
from .. import permissions as perm
from ..api import parse
from ..api.describe import MULTIPART, Answer, documented
from ..api.views import bp
from ..calendar import local_month
from ..errors import N_, Invalid, NotFound
from ..extensions import db
from ..months import Month
from ..storage_http import blob_response
from ..types import utcnow
from ..web import current_principal, require
from . import export, listing, photofiles, queries, search, serialize, services
from . import schemas as s
from .filing import filing_context, uploaded_photos
from .intake import parse_submission
from .models import Photo, Visit


def _file(kind: str):
    require(perm.can_file_report(current_principal()))
    ctx = filing_context()
    sub = parse_submission(request.form.to_dict(), ctx.now, with_item=(kind == "report"), tz=ctx.tz)
    filer = services.file_report if kind == "report" else services.file_visit
    filed = filer(current_user, sub, uploaded_photos(), ctx)
    return filed, ctx


IDEMPOTENT = (
    "Idempotent by client_id: the content (every field and the SHA-256 of each photo, in order) is "
    "remembered; concurrent duplicates make one record. Nothing is stored when the request is refused. "
    "Inspectors only (403 for other roles)."
)
SAME_AGAIN = "the same client_id and content were filed before: that record, unchanged"


@bp.post("/reports")
@documented(
    "File a report (multipart form, the same fields as the capture page)",
    description=IDEMPOTENT,
    body=s.ReportForm,
    media=MULTIPART,
    body_required=True,
    responses={
        201: Answer(
            "filed: the community from the location, status dispatched with due_at from the item's severity "
            "(or reported, for the office, when the location lies in no community), found_by from the "
            "inspector's level",
            s.Report,
        ),
        200: Answer(SAME_AGAIN, s.Report),
    },
    errors=(400, 401, 403, 409, 413),
)
def create_report():
    filed, ctx = _file("report")
    body = serialize.report(filed.record, now=ctx.now, originals=perm.can_view_originals(current_principal()))
    return jsonify(body), 201 if filed.created else 200


@bp.post("/visits")
@documented(
    "Record an inspection without a problem (coverage): a community or spot, a location, optional photos",
    description=IDEMPOTENT,
    body=s.VisitForm,
    media=MULTIPART,
    body_required=True,
    responses={201: Answer("recorded", s.Visit), 200: Answer(SAME_AGAIN, s.Visit)},
    errors=(400, 401, 403, 409, 413),
)
def create_visit():
    filed, _ctx = _file("visit")
    return jsonify(serialize.visit(filed.record)), 201 if filed.created else 200


def cursor_key(cursor: str) -> tuple[datetime, int]:
    micros, report_id = paging.decode(cursor, (int, int))
    try:
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros), report_id
    except OverflowError:
        raise Invalid(N_("cursor is not one this list gave."), code="invalid_cursor") from None


def cursor_after(report) -> str:
    """The cursor continuing a ``queries.NEWEST_FIRST`` list after this report (or an inspector's list
    of visits after this visit: the same key, observed_at then id)."""
    since_epoch = report.observed_at - datetime(1970, 1, 1, tzinfo=UTC)
    return paging.encode((since_epoch // timedelta(microseconds=1), report.id))


@bp.get("/reports")
@documented(
    "Reports the user may see (inspectors their own, community staff their community, sub-district staff "
    "their communities, office and admin all), newest observed first; filtered, paged by cursor",
    query=s.ReportQuery,
    responses={200: Answer("one page", s.ReportPage)},
)
def list_reports():
    """Filtered (``reports.search``), newest first, paged by ``cursor`` (or by ``page`` for older clients:
    the first page and every ``page`` answer also carry ``total``, counted up to ``queries.TOTAL_CAP``, except a search for words)."""
    p = current_principal()
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    # The filters' meaning is search's (shared with the pages' list, whose messages come first); the
    # documented model checks every argument's shape too and reads the paging ones.
    f = search.parse_filter(request.args, tz)
    sent = parse.query(s.ReportQuery)
    per_page, page, cursor = sent.per_page, sent.page, sent.cursor or None
    if cursor is not None and "page" in sent.model_fields_set:
        raise Invalid(N_("Give either cursor or page, not both."))
    now = utcnow()
    key = cursor_key(cursor) if cursor else None
    # Plain rows, the page's shared values worked out once: listing.py (issue 16).
    reports, last, more = listing.rows_page(
        p, f, now=now, key=key, offset=(page - 1) * per_page, per_page=per_page
    )
    body = {
        "per_page": per_page,
        "next_cursor": cursor_after(last) if more else None,
        "reports": reports,
    }
    if cursor is None:
        body["page"] = page
    if cursor is None and not f.words:  # counting a word search reads every note that matches
        total = queries.count_reports(p, f, now=now, cap=queries.TOTAL_CAP)
        body.update(total=min(total, queries.TOTAL_CAP), total_capped=total > queries.TOTAL_CAP)
    return jsonify(body)


@bp.get("/visits")
@documented(
    "The inspector's own visits (inspections that found no problem) observed in a local month of the city "
    "(this one by default), newest first, paged by cursor; inspectors only (403 for other roles)",
    query=s.VisitQuery,
    responses={200: Answer("one page", s.VisitPage)},
    errors=(400, 401, 403),
)
def list_visits():
    p = current_principal()
    require(perm.can_file_report(p))
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    sent = parse.query(s.VisitQuery)
    since, until = Month.parse(sent.month or local_month(utcnow(), tz)).bounds(tz)
    per_page, cursor = sent.per_page, sent.cursor or None
    rows, more = queries.page_of_visits(
        p.user_id,
        since,
        until,
        key=cursor_key(cursor) if cursor else None,
        per_page=per_page,
        loads=(*queries.VISIT_LOADS, selectinload(Visit.photos)),
    )
    shown = settings.disclosure_for(p)
    body = {
        "per_page": per_page,
        "next_cursor": cursor_after(rows[-1]) if more else None,
        "visits": [serialize.visit(v, shown) for v in rows],
    }
    if cursor is None:
        body["total"] = queries.count_visits(p.user_id, since, until)
    return jsonify(body)


@bp.get("/reports.csv")
@documented(
    "Every report GET /reports would list with the same filters, as CSV (UTF-8 with BOM, spreadsheet-safe "
    "cells, the city's local times), streamed whatever the size",
    query=s.ReportFilterQuery,
    responses={200: Answer("the CSV", media=("text/csv",))},
)
def reports_csv():
    """Every report the filters of ``GET /reports`` match, streamed as CSV (no paging)."""
    p = current_principal()
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    f = search.parse_filter(request.args, tz)
    parse.query(s.ReportFilterQuery)
    chunks = export.csv_chunks(
        current_app._get_current_object(),
        p,
        f,
        now=utcnow(),
        tz=tz,
        disclosure=settings.disclosure_for(p),
        base=links.public_base(),
    )
    response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="reports.csv"'
    return response


VARIANTS = ("display", "thumb", "original")


@bp.get("/photos/<int:photo_id>/<variant>")
@documented(
    "A photo file. display and thumb (image/jpeg) for whoever may see the report or visit; original (the "
    "uploaded bytes and type, as an attachment) for office and admin only (403 for the others who may see "
    "the report). 404 when the photo or variant does not exist or the user may not see the report, or its file "
    "is missing from storage (photo_file_missing). The display copy is made from the original on its first "
    "view (once; later views read it from storage). 503 storage_unavailable when storage fails. Sent with "
    "X-Content-Type-Options: nosniff",
    path=s.PhotoPath,
    responses={
        200: Answer("the image", media=("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"))
    },
    errors=(403, 404, 503),
)
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
    make = None
    if variant == "display":  # made on its first view (photofiles.py), after the permission checks above
        store = current_app.extensions["fieldcheck.storage"]
        make = functools.partial(
            photofiles.make_display, store, photo, max_pixels=current_app.config["MAX_IMAGE_PIXELS"]
        )
    # Streamed with an ETag (304 without reading the store), or a presigned redirect: storage_http.py.
    return blob_response(
        key, mimetype=mime, attachment_name=photo.sha256[:16] if variant == "original" else None, make=make
    )


def _can_view_visit(p: perm.Principal, visit: Visit) -> bool:
    place = perm.Place(
        community_id=visit.community_id,
        subdistrict_id=visit.community.subdistrict_id if visit.community else None,
        filed_by=visit.inspector_id,
    )
    return perm.can_view_place(p, place)
