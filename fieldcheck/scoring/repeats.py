"""Finding repeats (回潮) one report at a time: closed reports indexed by item and spot, and by item on a
grid of cells, so a report is checked against the few closings near it (``rules.closes_in_window`` and
``rules.near`` decide). ``arrays.repeat_sources`` searches the same cells over arrays."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta

from .facts import ReportFact
from .rules import closed_report, closes_in_window, near, repeat_preference

_M_PER_DEG = 6_371_008.8 * math.pi / 180

#: Cell key = row × ROW + column: one int, cheap to hash, and mixed in its low bits (a power of two here
#: would put a whole column of cells in one dict slot chain). Two cells sharing a key only cost a distance
#: check, never a wrong match.
ROW = 1_000_003


def cell_size(radius_m: float, max_abs_lat: float) -> tuple[float, float]:
    """The grid's cells in degrees (latitude, longitude): at least twice ``radius_m`` wide at every
    latitude up to ``max_abs_lat``, so that a position within the radius of a report lies in the report's
    cell or in one of the three around the corner of it the report is nearest to (``block``)."""
    dlat = 2 * max(radius_m, 1e-6) / _M_PER_DEG
    return dlat, dlat / max(math.cos(math.radians(min(max_abs_lat, 89.0))), 1e-6)


def cell(lat: float, lon: float, dlat: float, dlon: float) -> int:
    return math.floor(lat / dlat) * ROW + math.floor(lon / dlon)


def block(lat: float, lon: float, dlat: float, dlon: float) -> tuple[int, int, int, int]:
    """The report's cell and the three cells around its nearest corner."""
    y, x = lat / dlat, lon / dlon
    row, col = math.floor(y), math.floor(x)
    dy = ROW if y - row >= 0.5 else -ROW
    dx = 1 if x - col >= 0.5 else -1
    base = row * ROW + col
    return base, base + dy, base + dx, base + dy + dx


class RepeatIndex:
    """The closed reports (``rules.closed_report``) by item code and spot, and by item code on the grid of
    ``cell_size``. Reports are ``ReportFact`` rows or plain tuples in its field order."""

    def __init__(self, reports: Iterable, radius_m: float, window: timedelta):
        self.radius, self.window = radius_m, window
        closed = [r for r in map(ReportFact._make, reports) if closed_report(r)]
        self.dlat, self.dlon = cell_size(
            radius_m, max((abs(r.lat) for r in closed if r.lat is not None), default=0.0)
        )
        self.by_spot: dict[tuple, list[tuple[datetime | None, int]]] = {}
        self.by_cell: dict[str, dict[int, list[tuple[datetime | None, int, float, float]]]] = {}
        for r in closed:
            if r.spot_id is not None:
                self.by_spot.setdefault((r.item_code, r.spot_id), []).append((r.closed_at, r.id))
            if r.lat is not None and r.lon is not None:
                cells = self.by_cell.setdefault(r.item_code, {})
                cells.setdefault(cell(r.lat, r.lon, self.dlat, self.dlon), []).append(
                    (r.closed_at, r.id, r.lat, r.lon)
                )

    def earlier(self, r: ReportFact) -> int | None:
        """The id of the closing that makes report ``r`` (a ``ReportFact``) a repeat, or None: of the closed
        reports of the same item at the same spot or near it, closed in the window before it, the one with
        the greatest ``rules.repeat_preference``."""
        rid, item, observed, spot, lat, lon = r.id, r.item_code, r.observed_at, r.spot_id, r.lat, r.lon
        best: tuple | None = None
        source = None
        candidates: list[tuple] = []
        if spot is not None:
            candidates += [
                (closed_at, other, None, None) for closed_at, other in self.by_spot.get((item, spot), ())
            ]
        cells = self.by_cell.get(item) if lat is not None and lon is not None else None
        if cells and lat is not None and lon is not None:
            for key in block(lat, lon, self.dlat, self.dlon):
                candidates += cells.get(key, ())
        for closed_at, other, other_lat, other_lon in candidates:
            if other == rid or not closes_in_window(closed_at, observed, self.window):
                continue
            preference = repeat_preference(closed_at, other)
            if (best is None or preference > best) and (
                other_lat is None
                or (lat is not None and lon is not None and near(lat, lon, other_lat, other_lon, self.radius))
            ):
                best, source = preference, other
        return source
