"""The spot registry in the admin API (administrators only; 403 for everyone else).

GET   /api/v1/admin/spots          spots by code (filters type, community, active; after: the last code of
                                   the previous page; limit), with ``next`` and ``total``
POST  /api/v1/admin/spots          add: {code, name, type, community, lat?, lon?, responsible_unit?,
                                   contact?, active?}
POST  /api/v1/admin/spots/import   a CSV or GeoJSON file (multipart ``file``): every row checked, all
                                   stored or none (``preview=1``: check only)
PATCH /api/v1/admin/spots/CODE     change any field but the code (``active``: deactivate, reactivate)
"""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from .. import permissions as perm
from ..admin.api import ADMIN_ERRORS
from ..api import parse
from ..api.describe import MULTIPART, Answer, documented
from ..api.views import bp, json_body
from ..errors import N_, Invalid
from ..geo import SPOT_TYPES
from ..unit_of_work import writing
from ..web import current_principal, require
from . import schemas as s
from . import services

MAX_FILE_BYTES = 2_000_000


def _require_admin() -> None:
    require(perm.can_administer(current_principal()))


def spot_filter(args) -> services.SpotFilter:
    """The list's filters from query arguments (the page's, or the API's checked query); anything unknown
    is ignored (no filter)."""
    kind = (args.get("type") or "").strip().upper()
    return services.SpotFilter(
        type=kind if kind in SPOT_TYPES else "",
        community=(args.get("community") or "").strip().upper()[:32],
        active=args.get("active") if args.get("active") in ("yes", "no") else "",
    )


@bp.get("/admin/spots")
@documented(
    "Spots by code, a page at a time (admin)",
    query=s.SpotQuery,
    responses={200: s.SpotPage},
    errors=ADMIN_ERRORS,
)
def admin_spots():
    _require_admin()
    sent = parse.query(s.SpotQuery)
    limit = min(sent.limit or services.PAGE_SIZE, 500)
    after = (sent.after or "").strip().upper()[:48]
    rows, next_code, total = services.list_spots(spot_filter(sent.model_dump()), after=after, limit=limit)
    return jsonify(spots=[services.spot_dict(spot) for spot in rows], next=next_code, total=total)


def uploaded_text(field: str = "file", limit: int = MAX_FILE_BYTES) -> tuple[str, str]:
    """The uploaded file's text (UTF-8) and its name; refused readably when missing, too large or binary."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        raise Invalid(_("Choose a CSV or GeoJSON file."), code="no_file", details={"field": field})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise Invalid(
            _("The file is larger than %(n)s bytes.", n=limit), code="too_large", details={"field": field}
        )
    try:
        return data.decode("utf-8-sig"), upload.filename[:100]
    except UnicodeDecodeError:
        raise Invalid(_("The file is not UTF-8 text."), code="not_utf8", details={"field": field}) from None


@bp.post("/admin/spots/import")
@documented(
    "Import a CSV or GeoJSON file of spots (admin): every row checked, all stored or none; a registered code "
    "is changed",
    description="400 import_rows with error.rows listing every row (its problem and field, or its action) when "
    "any row has a problem: nothing is stored. 400 no_file without a file, not_utf8, bad_file, csv_header, "
    "empty_file; preview=1 checks without storing (200).",
    body=s.SpotFile,
    media=MULTIPART,
    body_required=True,
    responses={
        200: Answer("checked, nothing stored (preview=1)", s.SpotImport),
        201: Answer("stored", s.SpotImport),
    },
    errors=(*ADMIN_ERRORS, 413),
)
def admin_import_spots():
    _require_admin()
    text, name = uploaded_text()
    rows = services.preview_import(text)
    listed = [
        {
            "where": r.where,
            "code": (r.values or {}).get("code") or str(r.raw.get("code") or ""),
            "action": r.action,
        }
        | ({"problem": r.problem.translated(_), "field": r.problem.details.get("field")} if r.problem else {})
        for r in rows
    ]
    bad = [r for r in listed if "problem" in r]
    if bad:
        raise Invalid(
            N_("%(n)s rows have problems: nothing was stored."),
            code="import_rows",
            details={"rows": listed},
            n=len(bad),
        )
    if request.form.get("preview") in ("1", "yes", "true"):
        return jsonify(stored=False, rows=listed)
    with writing(exclusive=True):
        counts = services.import_spots(text, name)
    return jsonify(stored=True, rows=listed, counts=counts), 201


@bp.post("/admin/spots")
@documented(
    "Add a spot (admin)",
    description=s.FIELD_ERRORS,
    body=s.NewSpot,
    responses={201: s.OneSpot},
    errors=ADMIN_ERRORS,
)
def admin_add_spot():
    _require_admin()
    body = json_body()
    with writing(exclusive=True):
        spot = services.create_spot(body)
    return jsonify(spot=services.spot_dict(spot)), 201


@bp.patch("/admin/spots/<code>")
@documented(
    "Change a spot's fields but its code (admin); active false deactivates it (no longer offered to "
    "inspectors; reports that named it keep it)",
    description=s.FIELD_ERRORS + "; 404 unknown_spot",
    body=s.SpotChange,
    responses={200: s.ChangedSpot},
    errors=ADMIN_ERRORS,
)
def admin_update_spot(code: str):
    _require_admin()
    body = json_body()
    with writing():
        spot = services.spot_named(code)
        changed = services.update_spot(spot, body)
    return jsonify(spot=services.spot_dict(spot), changed=changed)
