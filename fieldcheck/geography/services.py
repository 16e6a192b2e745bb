"""Loading boundary versions and answering which community a point lies in."""

from __future__ import annotations

import hashlib
import json
import threading

from shapely.geometry import shape
from sqlalchemy import select

from .. import audit, boundary_diff
from ..errors import N_, Invalid, NotFound
from ..extensions import db
from ..geo import (
    BoundaryFeature,
    GeoError,
    Locator,
    area_m2,
    check_feature_collection,
    parse_feature_collection,
    to_feature_collection,
)
from ..types import utcnow
from .models import BoundaryVersion, Community, CommunityBoundary, Spot, Subdistrict

MAX_BOUNDARY_BYTES = 20_000_000
LIMITS = {"community_code": 32, "community_name": 100, "subdistrict_code": 32, "subdistrict_name": 100}


def problem_dict(exc: GeoError) -> dict:
    """One fault of a boundary file as the API and the page show it: the feature's number and code."""
    return {
        "feature": exc.feature,
        "features": list(exc.features),
        "community_code": exc.code,
        "message": str(exc),
    }


def check_boundaries(data: bytes) -> tuple[list[BoundaryFeature], list[dict]]:
    """The features of a boundary file and every fault found in it (empty when it can be stored)."""
    try:
        features, problems = check_feature_collection(data, LIMITS)
    except GeoError as exc:
        return [], [problem_dict(exc)]
    return features, [problem_dict(p) for p in problems]


class BoundaryProblems(Invalid):
    """A boundary file with faults: ``details["errors"]`` lists each (see ``problem_dict``)."""

    code = "invalid_boundaries"


def upload_boundaries(data: bytes, source_name: str) -> tuple[BoundaryVersion, dict]:
    """Stage a new boundary version, inactive, and its differences from the version in force (see
    fieldcheck.boundary_diff); nothing is staged if any feature is bad (BoundaryProblems)."""
    if len(data) > MAX_BOUNDARY_BYTES:
        raise Invalid(N_("The file is larger than %(n)s bytes."), code="too_large", n=MAX_BOUNDARY_BYTES)
    features, problems = check_boundaries(data)
    if problems:
        raise BoundaryProblems("\n".join(p["message"] for p in problems), details={"errors": problems})
    version = BoundaryVersion(
        source_name=source_name[:255] or "boundaries.geojson",
        sha256=hashlib.sha256(data).hexdigest(),
        feature_count=len(features),
        features=json.dumps(to_feature_collection(features), ensure_ascii=False, separators=(",", ":")),
    )
    db.session.add(version)
    db.session.flush()
    diff = diff_against_in_force(features)
    changes = boundary_diff.counts(diff)
    audit.record(
        None,
        "boundaries.upload",
        f"boundaries:{version.id}",
        {"source_name": [None, version.source_name], "feature_count": [None, len(features)]}
        | {kind: [None, n] for kind, n in changes.items()},
    )
    return version, diff


def activate_boundaries(version: BoundaryVersion) -> bool:
    """Put a version in force: its boundaries, names and sub-districts; False if it already is in force.

    Reports keep the version they were located with; only filings from now on use this one.
    """
    current = current_boundary_version()
    if current is not None and current.id == version.id:
        return False
    features = version_features(version)
    subdistricts = {s.code: s for s in db.session.scalars(select(Subdistrict))}
    communities = {c.code: c for c in db.session.scalars(select(Community))}
    has_rows = db.session.scalar(
        select(CommunityBoundary.id).where(CommunityBoundary.version_id == version.id).limit(1)
    )
    for feature in features:
        community = _apply_names(feature, subdistricts, communities)
        if has_rows is None:
            db.session.add(
                CommunityBoundary(
                    version=version,
                    community=community,
                    geometry=json.dumps(feature.geometry_geojson, separators=(",", ":")),
                    centroid_lat=feature.centroid_lat,
                    centroid_lon=feature.centroid_lon,
                )
            )
    version.activated_at = utcnow()
    db.session.flush()
    audit.record(
        None,
        "boundaries.activate",
        f"boundaries:{version.id}",
        {"version_in_force": [current.id if current else None, version.id]},
    )
    return True


def _apply_names(feature: BoundaryFeature, subdistricts: dict, communities: dict) -> Community:
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
    return community


def import_boundaries(data: bytes, source_name: str) -> BoundaryVersion:
    """Stage a boundary version and put it in force at once (the command line's import)."""
    version, _diff = upload_boundaries(data, source_name)
    activate_boundaries(version)
    return version


def version_features(version: BoundaryVersion) -> list[BoundaryFeature]:
    """A version's features: from its upload, or (a version imported before uploads were kept) its rows."""
    if version.features is not None:
        return parse_feature_collection(version.features)
    rows = db.session.execute(
        select(Community, Subdistrict, CommunityBoundary.geometry)
        .join(CommunityBoundary, CommunityBoundary.community_id == Community.id)
        .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
        .where(CommunityBoundary.version_id == version.id)
        .order_by(Community.code)
    ).all()
    return [
        BoundaryFeature(c.code, c.name, s.code, s.name, shape(json.loads(g)), tuple(c.spot_types or ()))
        for c, s, g in rows
    ]


def outlines_in_force() -> list[boundary_diff.Outline]:
    """The communities of the version in force as the diff compares them (names as they are now)."""
    version = current_boundary_version()
    if version is None:
        return []
    rows = db.session.execute(
        select(Community.code, Community.name, Subdistrict.code, CommunityBoundary.geometry)
        .join(CommunityBoundary, CommunityBoundary.community_id == Community.id)
        .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
        .where(CommunityBoundary.version_id == version.id)
    ).all()
    return [
        boundary_diff.Outline(code, name, sub, area_m2(shape(json.loads(geometry))))
        for code, name, sub, geometry in rows
    ]


def outline(feature: BoundaryFeature) -> boundary_diff.Outline:
    return boundary_diff.Outline(
        feature.community_code, feature.community_name, feature.subdistrict_code, feature.area_m2
    )


def diff_against_in_force(features: list[BoundaryFeature]) -> dict:
    return boundary_diff.diff(outlines_in_force(), [outline(f) for f in features])


def boundary_versions(*, limit: int = 100) -> list[BoundaryVersion]:
    """The newest versions first (a district has a handful a year)."""
    return list(db.session.scalars(select(BoundaryVersion).order_by(BoundaryVersion.id.desc()).limit(limit)))


def boundary_version(version_id: int) -> BoundaryVersion:
    version = db.session.get(BoundaryVersion, version_id) if 0 < version_id < 2**31 else None
    if version is None:
        raise NotFound(N_("No boundary version %(id)s."), id=version_id)
    return version


# Built once: every filing and many pages ask (see ``auth.lookups``).
_VERSION_IN_FORCE = (
    select(BoundaryVersion)
    .where(BoundaryVersion.activated_at.is_not(None))
    .order_by(BoundaryVersion.activated_at.desc(), BoundaryVersion.id.desc())
    .limit(1)
)


def current_boundary_version() -> BoundaryVersion | None:
    """The version in force: the one activated last."""
    return db.session.scalar(_VERSION_IN_FORCE)


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
