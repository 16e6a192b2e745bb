"""Measures on the earth: areas and distances of WGS-84 coordinates, and checked (lat, lon) pairs.

Pure module: plain data in, plain data out; no Flask, no database. Functions take ``(lat, lon)``;
shapely geometries have x = longitude.
"""

from __future__ import annotations

import math
from decimal import Decimal
from numbers import Real
from typing import Any

from shapely.geometry.base import BaseGeometry

# Mean earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8
_M_PER_DEG = EARTH_RADIUS_M * math.pi / 180


def area_m2(geometry: BaseGeometry, lat0: float | None = None) -> float:
    """Area in square metres of a WGS-84 geometry, by a local equirectangular projection at ``lat0``.

    ``lat0`` defaults to the geometry's centroid latitude.
    """
    if geometry.is_empty:
        return 0.0
    if lat0 is None:
        lat0 = geometry.centroid.y
    return geometry.area * _M_PER_DEG * _M_PER_DEG * math.cos(math.radians(lat0))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine on a sphere of the mean earth radius)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def validate_latlon(lat: Any, lon: Any) -> tuple[float, float]:
    """Return (lat, lon) as floats; raise ValueError unless both are finite numbers in WGS-84 range."""
    checked = []
    for label, value, limit in (("latitude", lat, 90), ("longitude", lon, 180)):
        if isinstance(value, bool) or not isinstance(value, Real | Decimal):
            raise ValueError(f"{label} must be a number, got {value!r}")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{label} must be finite, got {value!r}")
        if not -limit <= number <= limit:
            raise ValueError(f"{label} {number} is out of range -{limit}..{limit}")
        checked.append(number)
    return checked[0], checked[1]
