"""Reading numbers and positions sent by clients (form text or JSON values): one rule each, pure.

Form fields arrive as text, JSON fields as numbers or text; both are read here. Text must be ASCII
(``float`` and ``int`` also accept Arabic-Indic and fullwidth digits), numbers finite (``1e999`` in JSON
is infinity, ``NaN`` is allowed by Python's parser) and within the stated range, and a boolean is never
a number. Refusals are ``Invalid`` (400) naming the field, with the caller's error code.
"""

from __future__ import annotations

import math
import re

from .errors import N_, Invalid

__all__ = ["LAT_RANGE", "LON_RANGE", "parse_number", "parse_position", "parse_whole_number"]

LAT_RANGE = (-90.0, 90.0)
LON_RANGE = (-180.0, 180.0)
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_WHOLE = re.compile(r"[+-]?[0-9]+")


def _empty(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def parse_number(
    raw: object, name: str, low: float, high: float, *, code: str | None = None, required: bool = False
) -> float | None:
    """A finite number from ``low`` to ``high``; None when empty (unless ``required``)."""
    code = code or "invalid_" + name
    if _empty(raw) and not required:
        return None
    value: float | None = None
    if isinstance(raw, str) and _DECIMAL.fullmatch(raw.strip()):
        value = float(raw.strip())
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        try:
            value = float(raw)
        except OverflowError:  # an integer too large for a float
            value = math.inf
    if value is None:
        raise Invalid(N_("%(field)s must be a number."), code=code, field=name)
    if not math.isfinite(value) or not low <= value <= high:
        raise Invalid(
            N_("%(field)s must lie between %(low)s and %(high)s."),
            code=code,
            field=name,
            low=f"{low:g}",
            high=f"{high:g}",
        )
    return value


def parse_whole_number(raw: object, name: str, low: int, high: int, *, code: str | None = None) -> int | None:
    """A whole number from ``low`` to ``high`` (text of ASCII digits, or a JSON integer); None when empty."""
    if _empty(raw):
        return None
    value: int | None = None
    if isinstance(raw, str) and _WHOLE.fullmatch(raw.strip()) and len(raw.strip()) <= 20:
        value = int(raw.strip())
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    if value is None or not low <= value <= high:
        raise Invalid(
            N_("%(field)s must be a whole number from %(low)s to %(high)s."),
            code=code or "invalid_" + name,
            field=name,
            low=low,
            high=high,
        )
    return value


def parse_position(
    lat: object, lon: object, *, code: str | None = None, required: bool = False
) -> tuple[float, float] | None:
    """A WGS-84 point (lat -90..90, lon -180..180), or None when neither is sent (unless ``required``).

    Codes ``invalid_lat``, ``invalid_lon`` and ``invalid_location`` (one without the other), or ``code``
    for every refusal when given."""
    lat_value = parse_number(lat, "lat", *LAT_RANGE, code=code or "invalid_lat", required=required)
    lon_value = parse_number(lon, "lon", *LON_RANGE, code=code or "invalid_lon", required=required)
    if lat_value is None or lon_value is None:
        if lat_value is None and lon_value is None:
            return None
        raise Invalid(N_("Send lat and lon together."), code=code or "invalid_location")
    return lat_value, lon_value
