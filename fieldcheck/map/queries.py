"""What the map shows, read in a fixed number of set-based queries whatever the size of the city.

Visibility follows the pages (``fieldcheck.permissions``): the office and admin see the district,
sub-district staff their communities, community staff their own. Inspectors see every community's polygon
(they inspect the whole district) but neither scores nor ranks (``can_view_ranking``), and as reports and
counts only their own (``reports.queries.scoped``).

Communities: the boundary version in force (one query for the polygons), the month's score and rank from
the ranking (the published summary when the month is published, else the month cache, ``ranking.monthcache``:
computing a month takes about a second at scale), and the open and overdue counts as
they stand now (one grouped query).

Reports: one query of plain columns (never ORM objects), filtered in the database and cut at ``limit``
rows; one more row is read to tell whether the answer was truncated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, true

from ..checklist.models import ChecklistCategory, ChecklistItem
from ..errors import NotFound
from ..extensions import db
from ..geography.models import Community, CommunityBoundary, Subdistrict
from ..permissions import COMMUNITY, SUBDISTRICT, Principal, can_view_ranking
from ..ranking import services as ranking_services
from ..reports.models import Report
from ..reports.queries import scoped
from ..workflow import rules
from ..workflow.queries import overdue_clause

MAX_LIMIT = 5000
DEFAULT_LIMIT = 2000


# ---------------------------------------------------------------------------------------------------
# Communities


def month_standing(
    month: str, *, now: datetime, tz_name: str
) -> tuple[dict[str, tuple[str | None, int | None]], str | None]:
    """Per community code: (score as an exact decimal string, rank) of the month, and where they come from
    ("published", "live", or None when no checklist is in force for the month)."""
    if ranking_services.latest_snapshot(month, document=False) is not None:
        document = ranking_services.standing(month, now=now, tz_name=tz_name)  # the summary: no recomputation
        return {c["code"]: (c["score"], c["rank"]) for c in document["communities"]}, "published"
    try:
        document = ranking_services.cached(month, now=now, tz_name=tz_name).document  # the month cache
    except NotFound:  # no checklist in force for the month: nothing to score
        return {}, None
    return {c["code"]: (c["score"], c["rank"]) for c in document["communities"]}, "live"


def _visible_communities(p: Principal):
    """A WHERE clause on Community for the polygons the principal may see."""
    if p.role == COMMUNITY:
        return Community.id == p.community_id
    if p.role == SUBDISTRICT:
        return Community.subdistrict_id == p.subdistrict_id
    return true()  # the office, admin and inspectors: the district's polygons


def open_counts(p: Principal, now: datetime) -> dict[int, tuple[int, int]]:
    """Per community id: (open, overdue) reports the principal may see, as they stand now (one query)."""
    grouped = (
        scoped(select(Report.community_id, func.count(), func.count(case((overdue_clause(now), 1)))), p)
        .where(Report.status.in_(rules.OPEN), Report.community_id.is_not(None))
        .group_by(Report.community_id)
    )
    return {cid: (n_open, n_overdue) for cid, n_open, n_overdue in db.session.execute(grouped)}


def community_features(
    p: Principal,
    month: str,
    *,
    now: datetime,
    tz_name: str,
) -> dict:
    """A GeoJSON FeatureCollection: one polygon per visible community in the boundary version in force.

    Long because most of it is the GeoJSON feature written out, its properties the documented API answer field
    by field.
    """
    from ..geography.services import current_boundary_version

    version = current_boundary_version()
    version_id = version.id if version is not None else None
    rows = []
    if version_id is not None:
        rows = db.session.execute(
            select(
                Community.id,
                Community.code,
                Community.name,
                Subdistrict.code,
                Subdistrict.name,
                CommunityBoundary.geometry,
                CommunityBoundary.centroid_lat,
                CommunityBoundary.centroid_lon,
            )
            .join(CommunityBoundary, CommunityBoundary.community_id == Community.id)
            .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
            .where(CommunityBoundary.version_id == version_id, _visible_communities(p))
            .order_by(Community.code)
        ).all()
    standing, source = ({}, None)
    if can_view_ranking(p) and rows:
        standing, source = month_standing(month, now=now, tz_name=tz_name)
    counts = open_counts(p, now) if rows else {}
    features = []
    for cid, code, name, sd_code, sd_name, geometry, c_lat, c_lon in rows:
        score, rank = standing.get(code, (None, None))
        n_open, n_overdue = counts.get(cid, (0, 0))
        features.append(
            {
                "type": "Feature",
                "id": code,
                "geometry": json.loads(geometry),
                "properties": {
                    "code": code,
                    "name": name,
                    "subdistrict_code": sd_code,
                    "subdistrict_name": sd_name,
                    "score": score,
                    "rank": rank,
                    "open": n_open,
                    "overdue": n_overdue,
                    "centroid": [c_lon, c_lat],
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "month": month,
        "boundary_version": version_id,
        "ranking": source,
        "communities": len(standing),
        "features": features,
    }


# ---------------------------------------------------------------------------------------------------
# Reports


@dataclass(frozen=True)
class ReportFilter:
    """What the map's report layer asks for; every field optional. ``observed`` is a half-open UTC range."""

    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat
    observed: tuple[datetime, datetime] | None = None
    statuses: tuple[str, ...] = ()
    category: str | None = None
    item: str | None = None
    found_by: tuple[str, ...] = ()
    overdue: bool = False
    community: str | None = None


def report_query(p: Principal, f: ReportFilter, now: datetime):
    """The SELECT of the map's points (plain columns), newest first (observed, then filed).

    Ordered as ix_report_observed_at reads backwards, so a month over the whole district stops after
    ``limit`` rows instead of sorting the month; a small box reads ix_report_lon_lat where the planner
    knows the table (PostgreSQL's statistics)."""
    query = scoped(
        select(
            Report.id,
            Report.status,
            ChecklistItem.code,
            Report.lon,
            Report.lat,
            Report.due_at,
            Report.observed_at,
        ).join(ChecklistItem, ChecklistItem.id == Report.item_id),
        p,
    ).where(Report.lat.is_not(None))
    if f.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = f.bbox
        query = query.where(
            Report.lon >= min_lon, Report.lon <= max_lon, Report.lat >= min_lat, Report.lat <= max_lat
        )
    if f.observed is not None:
        query = query.where(Report.observed_at >= f.observed[0], Report.observed_at < f.observed[1])
    if f.statuses:
        query = query.where(Report.status.in_(f.statuses))
    if f.category:
        query = query.where(
            ChecklistItem.category_id.in_(
                select(ChecklistCategory.id).where(ChecklistCategory.code == f.category)
            )
        )
    if f.item:
        query = query.where(ChecklistItem.code == f.item)
    if f.found_by:
        query = query.where(Report.found_by.in_(f.found_by))
    if f.overdue:
        query = query.where(overdue_clause(now))
    if f.community:
        query = query.where(
            Report.community_id == select(Community.id).where(Community.code == f.community).scalar_subquery()
        )
    return query.order_by(Report.observed_at.desc(), Report.id.desc())


def report_features(p: Principal, f: ReportFilter, *, now: datetime, limit: int = DEFAULT_LIMIT) -> dict:
    """A GeoJSON FeatureCollection of at most ``limit`` points, ``truncated`` when more match."""
    rows = db.session.execute(report_query(p, f, now).limit(limit + 1)).all()
    truncated = len(rows) > limit
    features = [
        {
            "type": "Feature",
            "id": rid,
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "id": rid,
                "status": status,
                "item_code": item_code,
                "overdue": rules.is_overdue(status, due_at, now),
                "observed_at": observed_at.isoformat(),
            },
        }
        for rid, status, item_code, lon, lat, due_at, observed_at in rows[:limit]
    ]
    return {"type": "FeatureCollection", "truncated": truncated, "limit": limit, "features": features}
