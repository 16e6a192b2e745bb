"""The map page (一张图): the page is a shell; static/js/map.js draws it from the map's API routes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, make_response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from ..calendar import local_month
from ..checklist import services as checklist_services
from ..errors import Invalid
from ..formats import display_name
from ..months import month_text
from ..permissions import COMMUNITY, SUBDISTRICT, can_view_ranking
from ..reports.models import FOUND_BY
from ..types import utcnow
from ..web import current_principal
from ..workflow.rules import OPEN, STATUS_NAMES
from ..workflow.views import LEVEL_NAMES
from .minimaps import allow_tiles, tile_origin  # noqa: F401  (tile_origin: re-exported)

bp = Blueprint("map", __name__)


def _filters(month: str, zh: bool) -> dict:
    """The choices of the filter form: statuses, levels, and the categories and items of the month's checklist."""
    version = checklist_services.version_in_force(month)
    categories = []
    if version is not None:
        for cat in version.categories:
            categories.append(
                {
                    "code": cat.code,
                    "name": display_name(cat, en=not zh),
                    "choices": [{"code": i.code, "name": display_name(i, en=not zh)} for i in cat.items],
                }
            )
    return {
        "statuses": [{"code": s, "name": _(name), "open": s in OPEN} for s, name in STATUS_NAMES.items()],
        "found_by": [{"code": f, "name": _(LEVEL_NAMES[f])} for f in FOUND_BY],
        "categories": categories,
    }


@bp.get("/map")
@login_required
def page():
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    p = current_principal()
    error = None
    try:
        month = month_text(request.args.get("month") or local_month(utcnow(), tz))
    except Invalid as exc:
        error, month = exc.translated(_), local_month(utcnow(), tz)
    zh = str(get_locale() or current_app.config["DEFAULT_LOCALE"]).startswith("zh")
    # Where a community's open items are listed for this user (the office has no such page yet).
    items_link = {COMMUNITY: "/community", SUBDISTRICT: "/subdistrict?community={code}"}.get(p.role)
    config = {
        "month": month,
        "communities_url": request.script_root + "/api/v1/map/communities",
        "reports_url": request.script_root + "/api/v1/map/reports",
        "report_api": request.script_root + "/api/v1/reports/{id}",
        "report_page": request.script_root + "/reports/{id}",
        "breakdown_page": request.script_root + "/ranking/{month}/{code}" if can_view_ranking(p) else None,
        "items_page": request.script_root + items_link if items_link else None,
        "tiles": current_app.config.get("MAP_TILES") or None,
        "tiles_datum": current_app.config.get("MAP_TILES_DATUM", "wgs84"),
        "tiles_attribution": current_app.config.get("MAP_TILES_ATTRIBUTION") or "",
        "ranking": can_view_ranking(p),
        "filters": _filters(month, zh),
    }
    response = make_response(
        render_template("map/map.html", config=config, month=month, error=error), 400 if error else 200
    )
    return allow_tiles(response, config["tiles"])
