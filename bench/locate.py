"""Benchmark the community locator on a synthetic city of about 2,000 communities.

The city is the demo district (fieldcheck.demo.geo.generate_district, 90 irregular communities with a
hole and a MultiPolygon) tiled TILES x TILES times side by side. On the same random points it times:

* locator -- fieldcheck.geo.Locator: one STRtree over prepared polygons, built once per boundary version;
* naive   -- every polygon in key order, shapely ``covers``, first hit wins (the same tie-break rule).

The naive baseline costs a fraction of a millisecond per point, so it is timed on a leading sample of
the points. Before timing, the two must give identical answers on that sample and on a few hundred
polygon vertices mixed into the points, most of which lie on edges shared by two or three communities,
where the tie-break rule (the key that sorts first) decides.

Run from the project root:  python bench/locate.py [--points 20000] [--naive-points 1000] [--tiles 5]
The last line of output is one JSON object (communities, points, locator_build_ms,
locator_us_per_point, naive_us_per_point, speedup, ...). Times are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import shapely  # noqa: E402
from shapely import MultiPolygon, Point, Polygon  # noqa: E402

from fieldcheck.demo.geo import BBOX, generate_district  # noqa: E402
from fieldcheck.geo import Locator  # noqa: E402

LAT_MIN, LON_MIN, LAT_MAX, LON_MAX = BBOX
# Tiles are placed one bounding box apart plus a small gap, so no two tiles touch.
TILE_DLAT = (LAT_MAX - LAT_MIN) * 1.02
TILE_DLON = (LON_MAX - LON_MIN) * 1.02


def synthetic_city(tiles: int, seed: int) -> list[tuple[str, Polygon | MultiPolygon]]:
    """(key, geometry) for every community of the demo district repeated tiles x tiles times."""
    district = generate_district(seed)
    city = []
    for row in range(tiles):
        for col in range(tiles):
            dlon, dlat = col * TILE_DLON, row * TILE_DLAT
            for feature in district:
                moved = shapely.transform(feature.geometry, lambda xy, d=(dlon, dlat): xy + d)
                city.append((f"T{row}{col}-{feature.community_code}", moved))
    return city


def random_points(
    city: list[tuple[str, Polygon | MultiPolygon]], count: int, seed: int
) -> list[tuple[float, float]]:
    """(lat, lon) points uniform over the city's extent."""
    rng = random.Random(seed)
    lon_min, lat_min, lon_max, lat_max = shapely.total_bounds([geometry for _, geometry in city])
    return [(rng.uniform(lat_min, lat_max), rng.uniform(lon_min, lon_max)) for _ in range(count)]


def vertex_points(
    city: list[tuple[str, Polygon | MultiPolygon]], count: int, seed: int
) -> list[tuple[float, float]]:
    """(lat, lon) of polygon vertices: most lie on edges shared by two or three communities."""
    rng = random.Random(seed)
    coords = shapely.get_coordinates([geometry for _, geometry in city])
    return [(float(coords[i][1]), float(coords[i][0])) for i in rng.sample(range(len(coords)), count)]


class Naive:
    """The baseline: test every community in key order and keep the first that covers the point."""

    def __init__(self, city: list[tuple[str, Polygon | MultiPolygon]]):
        self.city = sorted(city, key=lambda item: item[0])

    def locate(self, lat: float, lon: float) -> str | None:
        point = Point(lon, lat)
        for key, geometry in self.city:
            if geometry.covers(point):
                return key
        return None


def timed(fn, points: list[tuple[float, float]]) -> float:
    """Wall time in seconds to answer every point."""
    start = time.perf_counter()
    for lat, lon in points:
        fn(lat, lon)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument(
        "--naive-points", type=int, default=1_000, help="points timed with the naive baseline"
    )
    parser.add_argument(
        "--tiles", type=int, default=5, help="the demo district is repeated tiles x tiles times"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--builds", type=int, default=5, help="locator builds timed (median)")
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds (median)")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    city = synthetic_city(args.tiles, args.seed)
    generate_s = time.perf_counter() - start
    on_vertices = min(args.points // 50, 400)
    vertices = vertex_points(city, on_vertices, args.seed)
    points = random_points(city, args.points - on_vertices, args.seed) + vertices
    random.Random(args.seed).shuffle(points)
    naive_points = points[: min(args.naive_points, len(points))]
    print(
        f"city: {len(city)} communities ({args.tiles}x{args.tiles} demo districts, generated in "
        f"{generate_s:.1f} s); {len(points)} points ({on_vertices} on vertices), naive baseline on "
        f"{len(naive_points)}"
    )

    builds = []
    for _ in range(args.builds):
        # Fresh geometries each time: Locator prepares them, and a prepared geometry stays prepared.
        fresh = [(key, shapely.from_wkb(shapely.to_wkb(geometry))) for key, geometry in city]
        start = time.perf_counter()
        locator = Locator(fresh)
        builds.append(time.perf_counter() - start)
    build_ms = statistics.median(builds) * 1000
    naive = Naive(city)

    # Same answers first: on the naive sample, and on every vertex point (where the tie-break rule decides).
    answers = [locator.locate(lat, lon) for lat, lon in points]
    sampled = set(naive_points)
    checked = naive_points + [point for point in vertices if point not in sampled]
    by_point = dict(zip(points, answers, strict=True))
    mismatches = [(point, by_point[point], naive.locate(*point)) for point in checked]
    mismatches = [(point, got, want) for point, got, want in mismatches if got != want]
    if mismatches:
        for (lat, lon), got, want in mismatches[:10]:
            print(f"MISMATCH at lat {lat!r}, lon {lon!r}: locator {got}, naive {want}")
        print(f"{len(mismatches)} of {len(checked)} answers differ")
        return 1
    outside = sum(answer is None for answer in answers)
    print(
        f"answers identical on {len(checked)} points checked against naive ({outside} of {len(points)} outside)"
    )

    # Rounds alternate locator and naive, so a burst of load from other processes hits both alike.
    locator_runs, naive_runs = [], []
    for _ in range(args.rounds):
        locator_runs.append(timed(locator.locate, points) / len(points))
        naive_runs.append(timed(naive.locate, naive_points) / len(naive_points))
    locator_us = statistics.median(locator_runs) * 1e6
    naive_us = statistics.median(naive_runs) * 1e6
    speedup = naive_us / locator_us
    print(f"locator build:  {build_ms:10.1f} ms (median of {args.builds})")
    # Microseconds per point and milliseconds per 1,000 points are the same number.
    print(f"locator:        {locator_us:10.1f} ms per 1,000 points (median of {args.rounds} rounds)")
    print(f"naive:          {naive_us:10.1f} ms per 1,000 points")
    print(f"speed-up:       {speedup:10.1f}x")
    summary = {
        "communities": len(city),
        "points": len(points),
        "naive_points": len(naive_points),
        "locator_build_ms": round(build_ms, 1),
        "locator_us_per_point": round(locator_us, 2),
        "naive_us_per_point": round(naive_us, 1),
        "speedup": round(speedup, 1),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
