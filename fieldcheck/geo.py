"""Community boundaries: GeoJSON import checks, point-in-community lookup, distances on the earth.

Pure module: plain data in, plain data out; no Flask, no database.

Coordinates are WGS-84 degrees. Functions take ``(lat, lon)`` in that order, as phones and EXIF report
them; shapely and GeoJSON put longitude first (x = longitude, y = latitude).

Import file (``parse_feature_collection``): a GeoJSON FeatureCollection whose features each carry a
Polygon or MultiPolygon geometry and exactly these properties (other properties are ignored):

- ``community_code`` and ``community_name``: unique code and display name of the community (社区);
- ``subdistrict_code`` and ``subdistrict_name``: the sub-district (街道) it belongs to; one code, one name;
- codes are identifiers the app puts in addresses (``/ranking/2026-03/C001``) and in forms: letters,
  digits, ``-``, ``_`` and ``.``, beginning with a letter or digit, upper-cased on import (the capture
  form upper-cases what an inspector types); a code that is a word of the app's own addresses
  (``RESERVED_CODES``, e.g. ``bulletin``) is refused;
- ``spot_types`` (optional): kinds of spot present in the community, a list such as ``["RES", "MKT"]``
  or a comma-separated string ``"RES,MKT"`` (attribute tables of GIS tools cannot hold lists).

Features are numbered from 1 in file order in every error message, e.g.
``feature 3 (community C012 "东风社区"): ...``.

Overlaps: two communities may share edges, and digitising leaves small slivers where hand-drawn
neighbours cross each other. An overlap is accepted when its area is at most the larger of
``SLIVER_MIN_M2`` (10 m²) and ``SLIVER_FRACTION`` (0.1 %) of the smaller community's area; anything
more is an error naming both features. Areas are computed in square metres with a local equirectangular
projection around the geometry, which is accurate to well under 1 % at the size of a city district.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import shapely
from shapely import MultiPolygon, Point, Polygon, STRtree
from shapely.validation import explain_validity

from .earth import EARTH_RADIUS_M, area_m2, distance_m, validate_latlon  # noqa: F401  (re-exported)

SPOT_TYPES = ("RES", "ALY", "ROAD", "MKT", "XING", "WC", "CEN", "PARK")
REQUIRED_PROPERTIES = ("community_code", "community_name", "subdistrict_code", "subdistrict_name")
SLIVER_MIN_M2 = 10.0
# A community or sub-district code: what an address segment and a form field carry as they are.
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_.-]*")
# Fixed words beside a community code in the app's addresses (/ranking/<month>/bulletin beside
# /ranking/<month>/<code>): a community with such a code could not be reached. Compared upper-cased.
RESERVED_CODES = frozenset({"BULLETIN", "PUBLISH"})
SLIVER_FRACTION = 0.001

# Names of geographic WGS-84 systems a GeoJSON "crs" member may carry; CGCS2000 (EPSG:4490), China's
# national datum, differs from WGS-84 by centimetres and is accepted as the same.
_ACCEPTED_CRS = re.compile(r"CRS84|EPSG:+(4326|4490)\b|WGS ?84", re.IGNORECASE)
_SPOT_SEPARATORS = re.compile(r"[\s,，、;；]+")


class GeoError(ValueError):
    """A boundary file that cannot be imported; the message names the offending feature(s)."""

    def __init__(
        self,
        message: str,
        *,
        features: tuple[int, ...] = (),
        code: str | None = None,
        feature: int | None = None,
    ):
        super().__init__(message)
        # 1-based feature numbers in file order, empty for errors about the file as a whole.
        self.features = features
        # The feature at fault (by default the last one named) and its community code, where the file gives one.
        self.feature = feature if feature is not None else (features[-1] if features else None)
        self.code = code


@dataclass(frozen=True)
class BoundaryFeature:
    """One community's boundary with its sub-district and the kinds of spot in it.

    The geometry is a valid shapely Polygon or MultiPolygon in WGS-84 (x = longitude). Rings are stored
    oriented as RFC 7946 asks (exterior counter-clockwise, holes clockwise) so that a feature written
    with ``to_geojson`` and parsed again compares equal.
    """

    community_code: str
    community_name: str
    subdistrict_code: str
    subdistrict_name: str
    geometry: Polygon | MultiPolygon
    spot_types: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        label = _label(self.community_code, self.community_name)
        for name in REQUIRED_PROPERTIES:
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{label}: {name} must be a non-empty string")
        try:
            spot_types = _check_spot_types(self.spot_types)
            _check_geometry(self.geometry)
        except ValueError as exc:
            raise ValueError(f"{label}: {exc}") from None
        object.__setattr__(self, "spot_types", spot_types)
        object.__setattr__(self, "geometry", shapely.orient_polygons(self.geometry, exterior_cw=False))

    @property
    def centroid_lat(self) -> float:
        """Latitude of the true centroid; for odd shapes it may lie outside (see ``label_point``)."""
        return self.geometry.centroid.y

    @property
    def centroid_lon(self) -> float:
        return self.geometry.centroid.x

    @property
    def label_point(self) -> tuple[float, float]:
        """A (lat, lon) guaranteed inside the community, for map labels and pins."""
        point = self.geometry.representative_point()
        return point.y, point.x

    @property
    def area_m2(self) -> float:
        return area_m2(self.geometry)

    @property
    def geometry_geojson(self) -> dict[str, Any]:
        """The geometry as a GeoJSON dict (lists, not tuples), ready for ``json.dumps``."""
        return _geometry_to_geojson(self.geometry)

    def to_geojson(self) -> dict[str, Any]:
        """The feature as a GeoJSON Feature dict with the import properties."""
        return {
            "type": "Feature",
            "properties": {
                "community_code": self.community_code,
                "community_name": self.community_name,
                "subdistrict_code": self.subdistrict_code,
                "subdistrict_name": self.subdistrict_name,
                "spot_types": list(self.spot_types),
            },
            "geometry": self.geometry_geojson,
        }


def to_feature_collection(features: Iterable[BoundaryFeature]) -> dict[str, Any]:
    """Write features as a GeoJSON FeatureCollection dict that ``parse_feature_collection`` reads back."""
    return {"type": "FeatureCollection", "features": [feature.to_geojson() for feature in features]}


def parse_feature_collection(data: bytes | str) -> list[BoundaryFeature]:
    """Read and check a GeoJSON FeatureCollection of community boundaries; raise GeoError on the first fault.

    Checks, in order: the text is JSON, a FeatureCollection in WGS-84 with at least one feature; each
    feature has the four required properties, known spot types, a Polygon or MultiPolygon with closed
    rings, coordinates in range and the right way round, and valid geometry; community codes are unique
    and every sub-district code has a single name; no two communities overlap beyond a sliver.
    """
    features, problems = check_feature_collection(data)
    if problems:
        raise problems[0]
    return features


def check_feature_collection(
    data: bytes | str, limits: Mapping[str, int] | None = None
) -> tuple[list[BoundaryFeature], list[GeoError]]:
    """The good features and every fault of the bad ones, in file order (see ``parse_feature_collection``).

    A fault of the file as a whole (not JSON, not a FeatureCollection, no features) is raised at once.
    Overlaps are looked for among the features that are good in themselves. ``limits``: the longest
    text each property may hold (a database column's length).
    """
    raw_features = _raw_features(data)
    features: list[BoundaryFeature] = []
    numbers: list[int] = []
    problems: list[GeoError] = []
    code_seen: dict[str, int] = {}
    subdistrict_seen: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(raw_features, start=1):
        try:
            feature = _parse_feature(number, raw)
            _check_lengths(number, feature, limits or {})
        except GeoError as exc:
            problems.append(exc)
            continue
        code = feature.community_code
        label = _feature_label(number, code, feature.community_name)
        first = code_seen.setdefault(code, number)
        known = subdistrict_seen.setdefault(feature.subdistrict_code, (feature.subdistrict_name, number))
        if first != number:
            message = f"{label}: community code {code} is already used by feature {first}"
            problems.append(GeoError(message, features=(first, number), code=code))
        elif known[0] != feature.subdistrict_name:
            message = (
                f'{label}: sub-district {feature.subdistrict_code} is named "{feature.subdistrict_name}" '
                f'here but "{known[0]}" in feature {known[1]}'
            )
            problems.append(GeoError(message, features=(known[1], number), code=code))
        if first != number or known[0] != feature.subdistrict_name:
            continue
        features.append(feature)
        numbers.append(number)
    problems += _overlaps(features, numbers)
    return features, problems


def _check_lengths(number: int, feature: BoundaryFeature, limits: Mapping[str, int]) -> None:
    for name, limit in limits.items():
        if len(getattr(feature, name)) > limit:
            code = feature.community_code
            raise GeoError(
                f"feature {number} (community {code[:32]}): {name} is longer than {limit} characters",
                features=(number,),
                code=code[:32],
            )


def _raw_features(data: bytes | str) -> list[Any]:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GeoError(f"not a GeoJSON file: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise GeoError(f"not a GeoJSON file: {exc}") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        found = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
        raise GeoError(f"not a GeoJSON FeatureCollection (found {found!r})")
    _check_crs(doc.get("crs"))
    raw_features = doc.get("features")
    if not isinstance(raw_features, list):
        raise GeoError("the FeatureCollection has no list of features")
    if not raw_features:
        raise GeoError("the FeatureCollection has no features")
    return raw_features


def _parse_feature(number: int, raw: Any) -> BoundaryFeature:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        raise GeoError(f"feature {number}: not a GeoJSON Feature", features=(number,))
    props = raw.get("properties")
    if not isinstance(props, dict) or not props:
        raise GeoError(
            f"feature {number}: has no properties (needs {', '.join(REQUIRED_PROPERTIES)})",
            features=(number,),
        )
    code = _text(props.get("community_code"))
    name = _text(props.get("community_name"))
    label = _feature_label(number, code, name)
    values: dict[str, str] = {}
    for key in REQUIRED_PROPERTIES:
        value = _text(props.get(key))
        if value is None:
            raise GeoError(f"{label}: missing or empty property {key}", features=(number,), code=code)
        values[key] = value
    try:
        for key in ("community_code", "subdistrict_code"):
            values[key] = normalise_code(key, values[key])
        spot_types = _check_spot_types(props.get("spot_types"))
        geometry = _build_geometry(raw.get("geometry"))
        _check_geometry(geometry)
    except ValueError as exc:
        raise GeoError(f"{label}: {exc}", features=(number,), code=code) from None
    return BoundaryFeature(**values, geometry=geometry, spot_types=spot_types)


def normalise_code(name: str, value: str) -> str:
    """A code as stored (upper case); ValueError naming the property when the app could not serve it."""
    code = value.upper()
    if not value.isascii() or not CODE_PATTERN.fullmatch(code):
        raise ValueError(
            f"{name} {value!r} cannot be used: a code holds only letters A-Z, digits, '-', '_' and '.', "
            "beginning with a letter or digit (no spaces, '/' or markup)"
        )
    if code in RESERVED_CODES:
        raise ValueError(f"{name} {value!r} cannot be used: it is a word of the app's own addresses")
    return code


def _text(value: Any) -> str | None:
    """A property as stripped text; integer codes are accepted as their digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def _check_crs(crs: Any) -> None:
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if not isinstance(name, str) or not _ACCEPTED_CRS.search(name):
        raise GeoError(
            f"coordinate reference system {name or crs!r} is not supported; export as WGS-84 (EPSG:4326)"
        )


def _check_spot_types(value: Any) -> tuple[str, ...]:
    """Spot types as a tuple in the canonical order of SPOT_TYPES, duplicates dropped."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = [part for part in _SPOT_SEPARATORS.split(value) if part]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValueError(f"spot_types must be a list or a comma-separated string, got {value!r}")
    wanted = set()
    for item in items:
        kind = item.strip().upper() if isinstance(item, str) else item
        if kind not in SPOT_TYPES:
            raise ValueError(f"unknown spot type {item!r} (known: {', '.join(SPOT_TYPES)})")
        wanted.add(kind)
    return tuple(kind for kind in SPOT_TYPES if kind in wanted)


def _build_geometry(geometry: Any) -> Polygon | MultiPolygon:
    if not isinstance(geometry, dict):
        raise ValueError("has no geometry")
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    if kind == "Polygon":
        return Polygon(*_rings(coords, ""))
    if kind == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise ValueError("empty MultiPolygon")
        return MultiPolygon([_rings(part, f" of polygon {i}") for i, part in enumerate(coords, start=1)])
    raise ValueError(f"geometry must be a Polygon or MultiPolygon, not {kind!r}")


def _rings(coords: Any, where: str) -> tuple[list[tuple[float, float]], list[list[tuple[float, float]]]]:
    """Shell and holes of one GeoJSON polygon, checked for shape, closure and coordinate range."""
    if not isinstance(coords, list) or not coords:
        raise ValueError(f"empty polygon{where}")
    rings = []
    for r, ring in enumerate(coords, start=1):
        ring_name = f"ring {r}{where}"
        if not isinstance(ring, list) or len(ring) < 4:
            raise ValueError(f"{ring_name} needs at least 4 positions")
        points = [_position(position, ring_name) for position in ring]
        if points[0] != points[-1]:
            raise ValueError(f"{ring_name} is not closed (first and last positions differ)")
        rings.append(points)
    return rings[0], rings[1:]


def _position(position: Any, ring_name: str) -> tuple[float, float]:
    if (
        not isinstance(position, list)
        or len(position) < 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position[:2])
    ):
        raise ValueError(f"{ring_name}: {position!r} is not a [longitude, latitude] position")
    lon, lat = float(position[0]), float(position[1])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError(f"{ring_name}: non-finite coordinate in {position!r}")
    if -180 <= lon <= 180 and -90 <= lat <= 90:
        return lon, lat
    if abs(lat) > 90 and abs(lat) <= 180 and abs(lon) <= 90:
        raise ValueError(
            f"{ring_name}: latitude {lat} is out of range; longitude and latitude look swapped "
            "(GeoJSON positions are [longitude, latitude])"
        )
    if abs(lon) > 180 or abs(lat) > 180:
        raise ValueError(
            f"{ring_name}: {position!r} is outside WGS-84 longitude/latitude (projected coordinates in "
            "metres?); export as WGS-84 (EPSG:4326)"
        )
    raise ValueError(f"{ring_name}: {position!r} is outside WGS-84 range (lon -180..180, lat -90..90)")


def _check_geometry(geometry: Any) -> None:
    if not isinstance(geometry, Polygon | MultiPolygon):
        raise ValueError(f"geometry must be a shapely Polygon or MultiPolygon, not {type(geometry).__name__}")
    if geometry.is_empty:
        raise ValueError("geometry is empty")
    if not geometry.is_valid:
        raise ValueError(f"invalid geometry: {explain_validity(geometry)} (x = longitude, y = latitude)")


def _overlaps(features: Sequence[BoundaryFeature], numbers: Sequence[int]) -> list[GeoError]:
    """Every pair (in file order) overlapping by more than a sliver; ``numbers`` are the features' numbers."""
    geoms = [feature.geometry for feature in features]
    if not geoms:
        return []
    tree = STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = sorted((int(i), int(j)) for i, j in zip(left, right, strict=True) if i < j)
    problems = []
    for i, j in pairs:
        a, b = geoms[i], geoms[j]
        overlap = a.intersection(b)
        if overlap.is_empty or overlap.area == 0:
            continue
        # One projection for the pair, so the three areas are measured alike.
        lat0 = (a.centroid.y + b.centroid.y) / 2
        overlap_m2 = area_m2(overlap, lat0)
        tolerance = max(SLIVER_MIN_M2, SLIVER_FRACTION * min(area_m2(a, lat0), area_m2(b, lat0)))
        if overlap_m2 > tolerance:
            fa, fb = features[i], features[j]
            problems.append(
                GeoError(
                    f"{_feature_label(numbers[i], fa.community_code, fa.community_name)} overlaps "
                    f"{_feature_label(numbers[j], fb.community_code, fb.community_name)} by "
                    f"{overlap_m2:,.0f} m² (tolerance {tolerance:,.0f} m²) near lat {overlap.centroid.y:.6f}, "
                    f"lon {overlap.centroid.x:.6f}",
                    features=(numbers[i], numbers[j]),
                    code=fa.community_code,
                    feature=numbers[i],
                )
            )
    return problems


def _label(code: str | None, name: str | None) -> str:
    if code and name:
        return f'community {code} "{name}"'
    if code:
        return f"community {code}"
    if name:
        return f'community "{name}"'
    return "community"


def _feature_label(number: int, code: str | None, name: str | None) -> str:
    if not code and not name:
        return f"feature {number}"
    return f"feature {number} ({_label(code, name)})"


def _geometry_to_geojson(geometry: Polygon | MultiPolygon) -> dict[str, Any]:
    def rings(polygon: Polygon) -> list[list[list[float]]]:
        return [[list(xy) for xy in ring.coords] for ring in (polygon.exterior, *polygon.interiors)]

    if isinstance(geometry, Polygon):
        return {"type": "Polygon", "coordinates": rings(geometry)}
    return {"type": "MultiPolygon", "coordinates": [rings(part) for part in geometry.geoms]}


K = TypeVar("K", bound=Hashable)


class Locator(Generic[K]):
    """Find the community that contains a point, with an STRtree built once per boundary version.

    A point belongs to a community when the community's closed polygon covers it: points on an edge
    count, points in a hole do not, but a point on a hole's edge does. Where closed polygons meet (a
    shared edge, or a vertex shared by three), several cover the point; the answer is the one whose key
    sorts first, so it does not depend on the order the boundaries were given in. Keys must therefore
    be unique and mutually orderable (all ints or all strings, say). "On the edge" means exactly on it
    in floating point; a point that rounding puts a hair to one side belongs to that side.
    """

    def __init__(self, items: Iterable[tuple[K, Polygon | MultiPolygon]]):
        pairs = sorted(items, key=lambda item: item[0])  # type: ignore[type-var,arg-type,return-value]  # orderable keys
        keys = [key for key, _ in pairs]
        for before, after in zip(keys, keys[1:], strict=False):
            if before == after:
                raise ValueError(f"duplicate locator key {before!r}")
        geoms = []
        for key, geometry in pairs:
            if not isinstance(geometry, Polygon | MultiPolygon) or geometry.is_empty:
                raise ValueError(f"locator key {key!r}: geometry must be a non-empty Polygon or MultiPolygon")
            geoms.append(geometry)
        shapely.prepare(geoms)
        self._keys: list[K] = keys
        self._tree = STRtree(geoms)

    @classmethod
    def from_features(cls, features: Iterable[BoundaryFeature]) -> Locator[str]:
        """A locator keyed by community code."""
        return Locator((feature.community_code, feature.geometry) for feature in features)

    def __len__(self) -> int:
        return len(self._keys)

    def covering(self, lat: float, lon: float) -> tuple[K, ...]:
        """Keys of every community whose closed polygon covers the point, sorted."""
        lat, lon = validate_latlon(lat, lon)
        hits = self._tree.query(Point(lon, lat), predicate="covered_by")
        return tuple(self._keys[int(i)] for i in sorted(hits))

    def locate(self, lat: float, lon: float) -> K | None:
        """The key of the community at (lat, lon), or None outside every community (see class doc)."""
        lat, lon = validate_latlon(lat, lon)
        hits = self._tree.query(Point(lon, lat), predicate="covered_by")
        return self._keys[int(hits.min())] if len(hits) else None
