"""The spot registry's pages (点位). Administrators change; the office reads.

GET  /admin/spots                  list (type, community, active filters; paged by code)      office, admin
GET  /admin/spots/map              the spots on the map (static/js/spots-map.js)              office, admin
GET  /admin/spots.geojson          the filtered spots as GeoJSON points (the map's data)      office, admin
GET/POST /admin/spots/new          add a spot                                                 admin
GET/POST /admin/spots/CODE         edit a spot                                                admin
POST /admin/spots/CODE/active      deactivate or reactivate                                   admin
GET/POST /admin/spots/import       CSV or GeoJSON: preview every row's problem, then all or nothing   admin
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import login_required

from .. import permissions as perm
from ..admin.pages import admin_page
from ..errors import N_, DomainError, Invalid
from ..extensions import db
from ..geo import SPOT_TYPES
from ..geography.models import Community
from ..map.views import tile_origin
from ..unit_of_work import writing
from ..web import CONTENT_SECURITY_POLICY, current_principal, require
from . import rules, services
from .api import spot_filter, uploaded_text

bp = Blueprint("spots", __name__, url_prefix="/admin")
admin_page("spots.spot_list", N_("Spots"), order=40)

TYPE_NAMES = {
    "RES": lazy_gettext("Residential estate"),
    "ALY": lazy_gettext("Back street or alley"),
    "ROAD": lazy_gettext("Main road"),
    "MKT": lazy_gettext("Farmers' market"),
    "XING": lazy_gettext("Road crossing"),
    "WC": lazy_gettext("Public toilet"),
    "CEN": lazy_gettext("Community service centre"),
    "PARK": lazy_gettext("Square or park"),
}
FORM_FIELDS = ("code", "name", "type", "community", "lat", "lon", "responsible_unit", "contact")


def require_reader() -> None:
    require(perm.is_staff_of_office(current_principal()))


def require_admin() -> None:
    require(perm.can_administer(current_principal()))


def _choices() -> dict:
    return {
        "types": [(t, TYPE_NAMES[t]) for t in SPOT_TYPES],
        "communities": list(db.session.scalars(db.select(Community).order_by(Community.code))),
    }


@bp.get("/spots")
@login_required
def spot_list():
    require_reader()
    f = spot_filter(request.args)
    after = (request.args.get("after") or "").strip().upper()[:48]
    rows, next_code, total = services.list_spots(f, after=after)
    return render_template(
        "spots/list.html",
        rows=rows,
        next_code=next_code,
        total=total,
        after=after,
        f=f,
        type_names=TYPE_NAMES,
        can_edit=perm.can_administer(current_principal()),
        **_choices(),
    )


@bp.get("/spots/map")
@login_required
def spot_map():
    require_reader()
    f = spot_filter(request.args)
    config = {
        "spots_url": url_for("spots.spots_geojson", type=f.type, community=f.community, active=f.active),
        "communities_url": request.script_root + "/api/v1/map/communities",
        "edit_url": url_for("spots.edit_spot", code="CODE")
        if perm.can_administer(current_principal())
        else None,
        "tiles": current_app.config.get("MAP_TILES") or None,
        "tiles_datum": current_app.config.get("MAP_TILES_DATUM", "wgs84"),
        "tiles_attribution": current_app.config.get("MAP_TILES_ATTRIBUTION") or "",
        "types": {t: str(name) for t, name in TYPE_NAMES.items()},
        "text": {
            "failed": _("The map could not load: {reason}"),
            "inactive": _("Deactivated"),
            "edit": _("Edit"),
            "unit": _("Responsible unit"),
            "contact": _("Contact"),
            "none": _("No spot has a position."),
        },
    }
    response = make_response(render_template("spots/map.html", config=config, f=f, **_choices()))
    if config["tiles"]:  # as on the map page: only the tile server's origin may serve images beside the app
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "img-src 'self' blob:", f"img-src 'self' blob: {tile_origin(config['tiles'])}"
        )
    return response


@bp.get("/spots.geojson")
@login_required
def spots_geojson():
    require_reader()
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
            "properties": services.spot_dict(s),
        }
        for s in services.all_spots(spot_filter(request.args))
        if s.lat is not None and s.lon is not None
    ]
    return jsonify(type="FeatureCollection", features=features)


def _form_values() -> dict:
    return {k: request.form.get(k, "") for k in FORM_FIELDS}


@bp.route("/spots/new", methods=["GET", "POST"])
@login_required
def add_spot():
    require_admin()
    error = field = None
    status = 200
    if request.method == "POST":
        try:
            with writing(exclusive=True):
                spot = services.create_spot(_form_values())
        except DomainError as exc:
            error, field, status = exc.translated(_), exc.details.get("field"), exc.status
        else:
            flash(_("Spot %(code)s added.", code=spot.code))
            return redirect(url_for("spots.spot_list", community=spot.community.code))
    return render_template(
        "spots/form.html", spot=None, error=error, field=field, values=request.form, **_choices()
    ), status


@bp.route("/spots/<code>", methods=["GET", "POST"])
@login_required
def edit_spot(code: str):
    require_admin()
    spot = services.spot_named(code)
    error = field = None
    status = 200
    if request.method == "POST":
        changes = {k: v for k, v in _form_values().items() if k != "code"}
        try:
            with writing():
                services.update_spot(spot, changes)
        except DomainError as exc:
            spot = services.spot_named(code)
            error, field, status = exc.translated(_), exc.details.get("field"), exc.status
        else:
            flash(_("Spot %(code)s saved.", code=spot.code))
            return redirect(url_for("spots.edit_spot", code=spot.code))
    values = request.form if request.method == "POST" else services.spot_fields(spot)
    return render_template(
        "spots/form.html", spot=spot, error=error, field=field, values=values, **_choices()
    ), status


@bp.post("/spots/<code>/active")
@login_required
def set_active(code: str):
    require_admin()
    spot = services.spot_named(code)
    active = request.form.get("active") == "yes"
    with writing():
        services.update_spot(spot, {"active": active})
    flash(
        _("Spot %(code)s reactivated.", code=spot.code)
        if active
        else _("Spot %(code)s deactivated: inspectors are no longer offered it.", code=spot.code)
    )
    return redirect(url_for("spots.edit_spot", code=spot.code))


def _import_text() -> tuple[str, str]:
    if request.form.get("confirm") == "yes":
        text = request.form.get("text") or ""
        if not text.strip() or len(text) > 2_000_000:
            raise Invalid(_("Choose a CSV or GeoJSON file."), details={"field": "file"})
        return text, (request.form.get("name") or "")[:100]
    return uploaded_text()


@bp.route("/spots/import", methods=["GET", "POST"])
@login_required
def import_spots():
    """Preview first (every row with its problem or what it changes), then import the same text: all
    rows or none."""
    require_admin()
    error = text = name = None
    rows: list[rules.ImportRow] = []
    status = 200
    if request.method == "POST":
        try:
            text, name = _import_text()
            rows = services.preview_import(text)
            bad = [r for r in rows if r.problem is not None]
            if request.form.get("confirm") == "yes" and not bad:
                with writing(exclusive=True):
                    counts = services.import_spots(text, name)
                flash(
                    _(
                        "Spots imported: %(new)s new, %(changed)s changed, %(unchanged)s unchanged.",
                        new=counts["new"],
                        changed=counts["changed"],
                        unchanged=counts["unchanged"],
                    )
                )
                return redirect(url_for("spots.spot_list"))
            if bad:
                status = 400
                error = _(
                    "%(n)s rows have problems: nothing was imported. Correct the file and preview it again.",
                    n=len(bad),
                )
        except DomainError as exc:
            error, status = exc.translated(_), exc.status
    return render_template(
        "spots/import.html",
        rows=rows,
        text=text,
        name=name,
        error=error,
        columns=rules.FIELDS,
        type_names=TYPE_NAMES,
        translate=lambda e: e.translated(_),
    ), status
