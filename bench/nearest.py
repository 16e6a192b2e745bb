"""Benchmark the unassigned queue's "nearest communities" (fieldcheck/map/nearest.py) at 1,000 communities.

A 40 x 25 grid of 390 m x 330 m communities with 50 m lanes between them (about 16 km x 11 km), each outline
given ``--vertices`` points (real outlines have hundreds). On the same points, in cells, lanes and outside:

* index -- ``NearestIndex``: projected once, an STRtree queried within a growing radius, built once per
  boundary version (what the queue page uses);
* naive -- the distance from the point to every community's outline, sorted (the same answer).

The answers are checked equal first. Run from the project root:
    python bench/nearest.py [--points 300] [--vertices 200]
The last line is one JSON object (communities, build_ms, index_us_per_query, naive_us_per_query, speedup).
Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shapely import Polygon  # noqa: E402

from fieldcheck.map.nearest import NearestIndex  # noqa: E402

LAT = 34.65


def outline(lon: float, lat: float, size: float, vertices: int) -> Polygon:
    """A square cell drawn with ``vertices`` points, as a surveyed outline would be."""
    side = max(1, vertices // 4)
    ring = []
    for corner in range(4):
        for step in range(side):
            t = step / side
            x, y = [(0, t), (t, 1), (1, 1 - t), (1 - t, 0)][corner]
            ring.append((lon + x * size, lat + y * size))
    return Polygon(ring)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=300)
    parser.add_argument("--vertices", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    cells = [
        (f"C{row:02d}{col:02d}", outline(112.0 + col * 0.004, LAT + row * 0.004, 0.0035, args.vertices))
        for row in range(25)
        for col in range(40)
    ]
    points = [(LAT - 0.01 + 0.00037 * i, 111.99 + 0.00061 * i) for i in range(args.points)]

    started = time.perf_counter()
    index = NearestIndex(cells)
    build_ms = (time.perf_counter() - started) * 1000

    def naive(lat: float, lon: float):
        every = index.nearest(lat, lon, k=len(cells))  # measures and sorts every community
        return every[:5]

    for lat, lon in points[:: max(1, len(points) // 30)]:
        assert index.nearest(lat, lon, k=5) == naive(lat, lon), (lat, lon)

    fast, slow = [], []
    for _ in range(args.rounds):  # interleaved rounds: a burst of other load hits both
        started = time.perf_counter()
        for lat, lon in points:
            index.nearest(lat, lon, k=5)
        fast.append((time.perf_counter() - started) / len(points) * 1e6)
        started = time.perf_counter()
        for lat, lon in points[:30]:
            naive(lat, lon)
        slow.append((time.perf_counter() - started) / 30 * 1e6)
    index_us, naive_us = statistics.median(fast), statistics.median(slow)
    result = {
        "communities": len(cells),
        "vertices": args.vertices,
        "points": len(points),
        "build_ms": round(build_ms, 1),
        "index_us_per_query": round(index_us, 1),
        "naive_us_per_query": round(naive_us, 1),
        "speedup": round(naive_us / index_us, 1) if index_us else math.inf,
    }
    print(f"build {build_ms:.1f} ms; index {index_us:.0f} us/query; naive {naive_us:.0f} us/query")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
