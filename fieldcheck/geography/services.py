"""Loading boundary versions and answering which community a point lies in."""

from __future__ import annotations

import hashlib
import json
import threading

from shapely.geometry import shape
from sqlalchemy import select

from .. import audit
from ..errors import Invalid
from ..extensions import db
from ..geo import GeoError, Locator, parse_feature_collection
from .models import BoundaryVersion, Community, CommunityBoundary, Spot, Subdistrict


def import_boundaries(data: bytes, source_name: str) -> BoundaryVersion:
    """Stage a new boundary version from GeoJSON bytes; nothing is staged if any feature is bad."""
    try:
        features = parse_feature_collection(data)
    except GeoError as exc:
        raise Invalid(str(exc)) from None
    subdistricts = {s.code: s for s in db.session.scalars(select(Subdistrict))}
    communities = {c.code: c for c in db.session.scalars(select(Community))}
    version = BoundaryVersion(
        source_name=source_name, sha256=hashlib.sha256(data).hexdigest(), feature_count=len(features)
    )
    db.session.add(version)
    for number, feature in enumerate(features, start=1):
        _check_lengths(number, feature)
        sub = subdistricts.get(feature.subdistrict_code)
        if sub is None:
            sub = subdistricts[feature.subdistrict_code] = Subdistrict(code=feature.subdistrict_code, name="")
            db.session.add(sub)
        sub.name = feature.subdistrict_name
        community = communities.get(feature.community_code)
        if community is None:
            community = communities[feature.community_code] = Community(code=feature.community_code)
            db.session.add(community)
        community.name = feature.community_name
        community.subdistrict = sub
        if feature.spot_types:
            community.spot_types = list(feature.spot_types)
        elif not community.spot_types:
            community.spot_types = ["RES"]
        db.session.add(
            CommunityBoundary(
                version=version,
                community=community,
                geometry=json.dumps(feature.geometry_geojson, separators=(",", ":")),
                centroid_lat=feature.centroid_lat,
                centroid_lon=feature.centroid_lon,
            )
        )
    db.session.flush()
    audit.record(
        None,
        "boundaries.upload",
        f"boundaries:{version.id}",
        {"source_name": [None, source_name], "feature_count": [None, len(features)]},
    )
    return version


LIMITS = {"community_code": 32, "community_name": 100, "subdistrict_code": 32, "subdistrict_name": 100}


def _check_lengths(number: int, feature) -> None:
    for name, limit in LIMITS.items():
        if len(getattr(feature, name)) > limit:
            raise Invalid(
                f"feature {number} (community {feature.community_code[:32]}): {name} is longer than {limit} characters"
            )


def current_boundary_version() -> BoundaryVersion | None:
    return db.session.scalar(select(BoundaryVersion).order_by(BoundaryVersion.id.desc()).limit(1))


_locators: dict[tuple, Locator] = {}
_lock = threading.Lock()


def locator_for(version: BoundaryVersion) -> Locator:
    """The locator of one boundary version, built once per process (a version never changes)."""
    key = (str(db.engine.url), version.id, version.sha256, version.created_at)
    with _lock:
        cached = _locators.get(key)
    if cached is not None:
        return cached
    rows = db.session.execute(
        select(Community.code, CommunityBoundary.community_id, CommunityBoundary.geometry)
        .join(Community, Community.id == CommunityBoundary.community_id)
        .where(CommunityBoundary.version_id == version.id)
    ).all()
    # Keyed by (code, id): where boundaries meet, the code that sorts first wins (README), not import order.
    locator = Locator([((code, cid), shape(json.loads(geometry))) for code, cid, geometry in rows])
    with _lock:
        _locators[key] = locator
    return locator


def locate(lat: float, lon: float) -> tuple[Community | None, BoundaryVersion | None]:
    """The community a WGS-84 point lies in under the boundary version in force, or None."""
    version = current_boundary_version()
    if version is None:
        return None, None
    key = locator_for(version).locate(lat, lon)
    return (db.session.get(Community, key[1]) if key is not None else None), version


def boundary_geometries(version_id: int) -> dict[int, dict]:
    rows = db.session.execute(
        select(CommunityBoundary.community_id, CommunityBoundary.geometry).where(
            CommunityBoundary.version_id == version_id
        )
    ).all()
    return {cid: json.loads(geometry) for cid, geometry in rows}


def centroids(version_id: int) -> dict[int, tuple[float, float]]:
    rows = db.session.execute(
        select(
            CommunityBoundary.community_id, CommunityBoundary.centroid_lat, CommunityBoundary.centroid_lon
        ).where(CommunityBoundary.version_id == version_id)
    ).all()
    return {cid: (lat, lon) for cid, lat, lon in rows}


def add_spots(spots: list[dict]) -> None:
    """Stage spots given as dicts with code, name, spot_type, community code, lat and lon (and optionally
    responsible_unit and contact)."""
    communities = {c.code: c for c in db.session.scalars(select(Community))}
    for s in spots:
        community = communities.get(s["community_code"])
        if community is None:
            raise Invalid(f"spot {s['code']}: no community with code {s['community_code']!r}")
        db.session.add(
            Spot(
                code=s["code"],
                name=s["name"],
                spot_type=s["spot_type"],
                community=community,
                lat=s.get("lat"),
                lon=s.get("lon"),
                responsible_unit=s.get("responsible_unit", ""),
                contact=s.get("contact", ""),
            )
        )
    db.session.flush()
