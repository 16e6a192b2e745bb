"""Map routes on the API blueprint (GeoJSON; shapes in map/schemas.py).

GET /api/v1/map/communities?month=YYYY-MM
GET /api/v1/map/reports?bbox=minLon,minLat,maxLon,maxLat&month=&status=a,b&category=&item=&found_by=&overdue=1&limit=
"""

from __future__ import annotations

import math
from zoneinfo import ZoneInfo

from flask import current_app, jsonify

from ..api import parse
from ..api.describe import Answer, documented
from ..api.views import bp
from ..calendar import local_month, month_bounds
from ..errors import N_, Invalid
from ..reports.models import FOUND_BY, STATUSES
from ..types import utcnow
from ..web import current_principal
from . import queries
from . import schemas as s

_TRUE = ("1", "true", "yes")
_FALSE = ("", "0", "false", "no")


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """'minLon,minLat,maxLon,maxLat' (WGS-84) or None when absent; 400 bad_bbox otherwise."""
    if value is None or value == "":
        return None
    parts = value.split(",")
    try:
        numbers = tuple(float(x) for x in parts)
    except ValueError:
        numbers = ()
    if (
        len(numbers) != 4
        or not all(math.isfinite(x) for x in numbers)
        or not (-180 <= numbers[0] <= numbers[2] <= 180 and -90 <= numbers[1] <= numbers[3] <= 90)
    ):
        raise Invalid(
            N_("bbox must be minLon,minLat,maxLon,maxLat in degrees (WGS-84), the minimum first."),
            code="bad_bbox",
        )
    return numbers  # type: ignore[return-value]


def parse_choice_list(name: str, raw: str | None, choices: tuple[str, ...]) -> tuple[str, ...]:
    values = tuple(v for v in (s.strip() for s in (raw or "").split(",")) if v)
    if any(v not in choices for v in values):
        raise Invalid(
            N_("%(field)s must be one or more of %(choices)s, separated by commas."),
            code=f"bad_{name}",
            field=name,
            choices=", ".join(choices),
        )
    return values


def parse_flag(name: str, raw: str | None) -> bool:
    raw = (raw or "").lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise Invalid(N_("%(field)s must be 1 or 0."), code=f"bad_{name}", field=name)


@bp.get("/map/communities")
@documented(
    "Community polygons for the map, with the month's score and rank and today's open and overdue counts. "
    "Office and admin: every community; sub-district staff: their communities; community staff: their own; "
    "inspectors: every polygon without scores, counts of their own reports only. Score and rank come from "
    "the published snapshot when the month is published, else from the computation, kept in the database "
    "until the month's data change (the month cache)",
    query=s.CommunityLayerQuery,
    responses={200: Answer("the community layer", s.CommunityLayer)},
)
def map_communities():
    tz_name = current_app.config["TIMEZONE"]
    month = parse.query(s.CommunityLayerQuery, code="bad_{field}").month or local_month(
        utcnow(), ZoneInfo(tz_name)
    )
    body = queries.community_features(
        current_principal(),
        month,
        now=utcnow(),
        tz_name=tz_name,
    )
    return jsonify(body)


def report_filter(sent: s.ReportLayerQuery, tz: ZoneInfo) -> queries.ReportFilter:
    """The report layer's filters from its checked query (400 with a code naming the argument)."""
    return queries.ReportFilter(
        bbox=parse_bbox(sent.bbox),
        observed=month_bounds(sent.month, tz) if sent.month else None,
        statuses=parse_choice_list("status", sent.status, STATUSES),
        category=(sent.category or "").strip() or None,
        item=(sent.item or "").strip() or None,
        found_by=parse_choice_list("found_by", sent.found_by, FOUND_BY),
        overdue=parse_flag("overdue", sent.overdue),
        community=(sent.community or "").strip() or None,
    )


@bp.get("/map/reports")
@documented(
    "Report points for the map, newest first, within what the user may see (as GET /reports). At most "
    "limit features; truncated is true when more match",
    query=s.ReportLayerQuery,
    responses={200: Answer("the report layer", s.ReportLayer)},
)
def map_reports():
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    sent = parse.query(s.ReportLayerQuery, code="bad_{field}")
    f = report_filter(sent, tz)
    limit = queries.DEFAULT_LIMIT if sent.limit is None else sent.limit
    return jsonify(queries.report_features(current_principal(), f, now=utcnow(), limit=limit))
