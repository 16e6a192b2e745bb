"""The small maps of the workflow pages, as data embedded in the page (static/js/minimap.js draws them).

- A report's page: its community's polygon in the boundary version in force, the report's point with its
  accuracy circle, and the EXIF point of its first before-photo with the distance between the two, when
  the two differ by a metre or more and the reader may see photo metadata (``settings.disclosure_for``).
- The office's unassigned queue: each report's point and the communities nearest it (``nearest.py``, by
  metres to the polygon), to assign it in one tap.

Polygons are read from the boundary version in force; the nearest-community index is built once per
process and version (a version never changes), like ``geography.services.locator_for``. Callers check
that the reader may see the reports (the pages' own scope): nothing here widens it.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import urlsplit

import shapely
from flask import current_app
from shapely.geometry import mapping
from sqlalchemy import select

from .. import settings
from ..earth import distance_m
from ..extensions import db
from ..geography.models import BoundaryVersion, Community, CommunityBoundary
from ..geography.services import current_boundary_version
from ..permissions import Principal
from ..reports.models import Report
from ..web import CONTENT_SECURITY_POLICY
from .nearest import NearestIndex

#: How many communities the unassigned queue offers for each report.
NEAREST = 5
#: The polygons as the small maps draw them: simplified within about a metre, on a 0.1 m grid (a GIS
#: outline's thousands of vertices would weigh more than the rest of the page).
DISPLAY_TOLERANCE_DEG = 1e-5
DISPLAY_GRID_DEG = 1e-6
#: The EXIF point is shown when it lies at least this far from the report's point (metres).
EXIF_SHOWN_FROM_M = 1.0


class Boundaries:
    """One boundary version's polygons: the nearest-community index, and each community's geometry as the
    small maps draw it (``display``, made on first use and kept), by code."""

    def __init__(self, shapes: dict) -> None:
        self.index: NearestIndex[str] = NearestIndex(shapes.items())
        self._shapes = shapes
        self._display: dict[str, dict] = {}

    def geometry(self, code: str) -> dict | None:
        if code not in self._shapes:
            return None
        if code not in self._display:
            self._display[code] = display(self._shapes[code])
        return self._display[code]


_cache: dict[tuple, Boundaries] = {}
_lock = threading.Lock()


def boundaries(version: BoundaryVersion) -> Boundaries:
    """The polygons of a boundary version, read and indexed once per process."""
    key = (str(db.engine.url), version.id, version.sha256, version.created_at)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    rows = db.session.execute(
        select(Community.code, CommunityBoundary.geometry)
        .join(Community, Community.id == CommunityBoundary.community_id)
        .where(CommunityBoundary.version_id == version.id)
        .order_by(Community.code)
    ).all()
    # GEOS reads the GeoJSON texts itself: a third of json.loads + shape's time for a city's outlines.
    built = Boundaries(
        dict(zip([code for code, _ in rows], shapely.from_geojson([text for _, text in rows]), strict=True))
    )
    with _lock:
        _cache[key] = built
    return built


def display(geometry) -> dict:
    """A polygon's GeoJSON geometry for a small map: simplified within about a metre, coordinates rounded."""
    simple = shapely.set_precision(
        geometry.simplify(DISPLAY_TOLERANCE_DEG, preserve_topology=True), DISPLAY_GRID_DEG
    )
    return json.loads(json.dumps(mapping(simple)))  # tuples to lists, as GeoJSON text reads back


def tiles() -> dict:
    """The base layer settings the small maps share with /map (no tiles unless configured)."""
    config = current_app.config
    return {
        "tiles": config.get("MAP_TILES") or None,
        "tiles_datum": config.get("MAP_TILES_DATUM", "wgs84"),
        "tiles_attribution": config.get("MAP_TILES_ATTRIBUTION") or "",
    }


def tile_origin(template: str) -> str:
    """The CSP source of a tile URL template: scheme and host, a templated label ({s}) as a wildcard."""
    parts = urlsplit(template)
    host = ".".join("*" if "{" in label else label for label in parts.netloc.split("."))
    return f"{parts.scheme}://{host}"


def allow_tiles(response, tiles_url: str | None):
    """A map page's response, its Content-Security-Policy letting the configured tile server (only its
    origin, only for images) serve beside the app itself; unchanged without tiles."""
    if tiles_url:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
            "img-src 'self' blob:", f"img-src 'self' blob: {tile_origin(tiles_url)}"
        )
    return response


def _names(codes) -> dict[str, str]:
    if not codes:
        return {}
    return dict(
        db.session.execute(select(Community.code, Community.name).where(Community.code.in_(codes))).all()
    )


def _exif_point(report: Report) -> tuple[float, float] | None:
    """(lat, lon) of the first before-photo with EXIF GPS, as filing reads it."""
    for photo in sorted(report.photos, key=lambda p: p.id):
        if photo.kind == "before" and photo.exif_lat is not None and photo.exif_lon is not None:
            return photo.exif_lat, photo.exif_lon
    return None


def report_map(report: Report, p: Principal, *, assigning: bool = False) -> dict | None:
    """The report page's map: None when there is nothing to place (no point, no EXIF point, no polygon).
    ``assigning`` (the reader may assign the report): the communities nearest its point, as in the queue."""
    point = None if report.lat is None or report.lon is None else [report.lon, report.lat]
    exif = None
    at = _exif_point(report) if settings.disclosure_for(p).photo_metadata else None
    if at is not None:
        apart = distance_m(report.lat, report.lon, *at) if point is not None else None
        if apart is None or apart >= EXIF_SHOWN_FROM_M:
            exif = {"point": [at[1], at[0]], "distance_m": None if apart is None else round(apart)}
    near = unassigned_maps([report]) if assigning and point is not None else None
    if near is not None:
        near["maps"][0]["exif"] = exif
        return near
    polygons = {}
    version = current_boundary_version()
    if version is not None and report.community is not None:
        geometry = boundaries(version).geometry(report.community.code)
        if geometry is not None:
            polygons[report.community.code] = {"name": report.community.name, "geometry": geometry}
    if point is None and exif is None and not polygons:
        return None
    one = {
        "id": f"report-map-{report.id}",
        "point": point,
        "accuracy_m": report.accuracy_m if point is not None else None,
        "exif": exif,
        "communities": list(polygons),
    }
    return {**tiles(), "polygons": polygons, "maps": [one]}


def unassigned_maps(reports: list[Report]) -> dict | None:
    """The unassigned queue's maps: per report with a point, the nearest communities with metres; the
    polygons they name, once each. None when no report on the page has a point or no boundaries are in force."""
    version = current_boundary_version()
    if version is None:
        return None
    found = boundaries(version)  # read once per process: a page's queries do not depend on what it lists
    placed = [r for r in reports if r.lat is not None and r.lon is not None]
    if not placed:
        return None
    maps, codes = [], set()
    for r in placed:
        near = found.index.nearest(r.lat, r.lon, NEAREST)
        codes.update(n.key for n in near)
        maps.append(
            {
                "id": f"report-map-{r.id}",
                "report": r.id,
                "point": [r.lon, r.lat],
                "accuracy_m": r.accuracy_m,
                "exif": None,
                "communities": [n.key for n in near],
                "near": [{"code": n.key, "distance_m": round(n.distance_m)} for n in near],
            }
        )
    names = _names(sorted(codes))
    for m in maps:
        for n in m["near"]:
            n["name"] = names.get(n["code"], n["code"])
    polygons = {
        code: {"name": names.get(code, code), "geometry": found.geometry(code)} for code in sorted(codes)
    }
    return {**tiles(), "polygons": polygons, "maps": maps}
