"""The communities nearest a point, by the distance in metres from the point to each community's polygon.

Pure module: plain data in, plain data out; no Flask, no database. Coordinates are WGS-84 degrees, taken
as ``(lat, lon)`` like fieldcheck/geo.py; shapely's x is the longitude.

The office assigns a report filed outside every community (or beside the boundaries) to one of the
communities nearest its point. The distance is from the point to the polygon (zero inside it, else to its
nearest edge), measured in metres in one local equirectangular projection centred on the polygons (x the
longitude times the cosine of their middle latitude): within 0.2 % across a city district and its
surroundings (the cosine changes by that much over about 30 km of latitude at 35° N).

``NearestIndex`` projects the polygons once per boundary version and keeps an STRtree of them. A query asks
the tree for the polygons within a radius of the point and doubles the radius until ``k`` polygons lie
within it (then no polygon outside it can be nearer than those).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

import shapely
from shapely import MultiPolygon, Point, Polygon, STRtree

from ..earth import EARTH_RADIUS_M, validate_latlon

K = TypeVar("K", bound=Hashable)

_M_PER_DEG = EARTH_RADIUS_M * math.pi / 180
#: The first radius asked of the tree, in metres; doubled until enough polygons answer.
FIRST_RADIUS_M = 500.0


@dataclass(frozen=True)
class Near(Generic[K]):
    """One community near a point: its key and the distance in metres (0 when the point is inside)."""

    key: K
    distance_m: float


class NearestIndex(Generic[K]):
    """The polygons of one boundary version, keyed (e.g. by community code), for ``nearest`` queries."""

    def __init__(self, items: Iterable[tuple[K, Polygon | MultiPolygon]]):
        pairs = list(items)
        for key, geometry in pairs:
            if not isinstance(geometry, Polygon | MultiPolygon) or geometry.is_empty:
                raise ValueError(f"key {key!r}: geometry must be a non-empty Polygon or MultiPolygon")
        self._keys: list[K] = [key for key, _ in pairs]
        lat0 = 0.0
        if pairs:
            bounds = shapely.total_bounds([geometry for _, geometry in pairs])
            lat0 = (bounds[1] + bounds[3]) / 2
        self._scale = (math.cos(math.radians(lat0)) * _M_PER_DEG, _M_PER_DEG)
        self._geoms = shapely.transform([geometry for _, geometry in pairs], lambda xy: xy * self._scale)
        shapely.prepare(self._geoms)
        self._tree = STRtree(self._geoms)

    def __len__(self) -> int:
        return len(self._keys)

    def nearest(self, lat: float, lon: float, k: int = 5) -> list[Near[K]]:
        """The ``k`` polygons nearest (lat, lon), nearest first (ties in the order given), with metres."""
        lat, lon = validate_latlon(lat, lon)
        k = min(k, len(self._keys))
        if k <= 0:
            return []
        point = Point(lon * self._scale[0], lat * self._scale[1])
        radius = FIRST_RADIUS_M
        while True:
            found = self._tree.query(point, predicate="dwithin", distance=radius)
            if len(found) >= k:
                break
            radius *= 2
        found.sort()
        metres = shapely.distance(self._geoms[found], point)
        order = sorted(range(len(found)), key=lambda j: (metres[j], found[j]))[:k]
        return [Near(self._keys[int(found[j])], float(metres[j])) for j in order]


def nearest_communities(
    polygons: Iterable[tuple[K, Polygon | MultiPolygon]], lat: float, lon: float, k: int = 5
) -> list[Near[K]]:
    """``NearestIndex(polygons).nearest(lat, lon, k)``: for a single question (build the index once for many)."""
    return NearestIndex(polygons).nearest(lat, lon, k)
