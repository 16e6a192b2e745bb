"""The communities nearest a point (fieldcheck/map/nearest.py), over plain geometry."""

import math

import pytest
from shapely import Polygon, box

from fieldcheck.earth import distance_m
from fieldcheck.map.nearest import NearestIndex, nearest_communities

LAT = 34.65
M_PER_DEG_LAT = distance_m(LAT, 112.0, LAT + 1, 112.0)


def square(lon, lat, size=0.01):
    return box(lon, lat, lon + size, lat + size)


ROW = [("C001", square(112.40, LAT)), ("C002", square(112.41, LAT)), ("C003", square(112.42, LAT))]


def test_distance_to_the_nearest_edge_in_metres():
    # 0.001 degrees of latitude south of C002's lower edge: about 111 m.
    near = nearest_communities(ROW, LAT - 0.001, 112.415, k=3)
    assert near[0].key == "C002"
    assert near[0].distance_m == pytest.approx(0.001 * M_PER_DEG_LAT, rel=1e-3)
    # C001 and C003 are nearest at their corners: hypot(0.005 deg of longitude, 0.001 deg of latitude).
    corner = math.hypot(0.005 * math.cos(math.radians(LAT - 0.001)), 0.001) * M_PER_DEG_LAT
    assert [n.key for n in near[1:]] == ["C001", "C003"]
    assert [n.distance_m for n in near[1:]] == pytest.approx([corner, corner], rel=1e-3)


def test_longitude_is_shortened_by_the_latitude():
    # 0.002 degrees east of "west" (about 183 m at 34.66 N) is nearer than 0.0019 degrees north of "south"
    # (about 211 m), though nearer in degrees.
    west = box(112.40, LAT, 112.41, LAT + 0.02)
    south = box(112.405, LAT - 0.02, 112.42, LAT + 0.01 - 0.0019)
    near = NearestIndex([("south", south), ("west", west)]).nearest(LAT + 0.01, 112.412, k=2)
    assert [n.key for n in near] == ["west", "south"]
    assert near[0].distance_m == pytest.approx(
        0.002 * math.cos(math.radians(LAT + 0.01)) * M_PER_DEG_LAT, rel=1e-3
    )
    assert near[1].distance_m == pytest.approx(0.0019 * M_PER_DEG_LAT, rel=1e-3)


def test_inside_is_zero_and_holes_count_as_outside():
    ring = Polygon(
        [(112.40, LAT), (112.43, LAT), (112.43, LAT + 0.03), (112.40, LAT + 0.03)],
        [[(112.41, LAT + 0.01), (112.42, LAT + 0.01), (112.42, LAT + 0.02), (112.41, LAT + 0.02)]],
    )
    index = NearestIndex([("ring", ring)])
    assert index.nearest(LAT + 0.005, 112.405)[0].distance_m == 0.0
    in_hole = index.nearest(LAT + 0.015, 112.415)[0].distance_m
    assert in_hole == pytest.approx(0.005 * math.cos(math.radians(LAT + 0.015)) * M_PER_DEG_LAT, rel=1e-3)


def test_far_points_widen_the_search_and_k_is_capped():
    # 50 km away: far beyond the first radius; all three found, nearest first.
    near = nearest_communities(ROW, LAT - 0.45, 112.44, k=5)
    assert [n.key for n in near] == ["C003", "C002", "C001"]
    assert near[0].distance_m == pytest.approx(
        distance_m(LAT - 0.45, 112.43, LAT, 112.43), rel=5e-3
    )  # to C003's corner, measured on the sphere
    assert nearest_communities(ROW, LAT, 112.40, k=0) == []
    assert nearest_communities([], LAT, 112.40) == []


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="latitude"):
        nearest_communities(ROW, 95.0, 112.4)
    with pytest.raises(ValueError, match="C009"):
        NearestIndex([("C009", Polygon())])


def test_a_thousand_communities_agree_with_measuring_every_one():
    # Speed is measured in bench/nearest.py, not asserted here.
    # A 40 x 25 grid of 390 m x 330 m communities with 50 m lanes between them (about 16 km x 11 km).
    cells = [
        (f"C{row:02d}{col:02d}", square(112.0 + col * 0.004, LAT + row * 0.004, 0.0035))
        for row in range(25)
        for col in range(40)
    ]
    index = NearestIndex(cells)
    points = [(LAT + 0.0001 * i, 112.0 + 0.00173 * i) for i in range(100)]  # in cells and lanes, and beyond
    answers = [index.nearest(lat, lon, k=5) for lat, lon in points]
    # The same as measuring and sorting every community, for a point in a lane and one 2 km outside.
    for lat, lon in [(LAT + 0.0538, 112.0838), (LAT - 0.02, 111.99)]:
        every = index.nearest(lat, lon, k=len(cells))
        assert len(every) == len(cells)
        assert index.nearest(lat, lon, k=5) == every[:5]
    assert all(len(a) == 5 for a in answers)
    for (lat, lon), answer in zip(points[::10], answers[::10], strict=True):
        assert answer == index.nearest(lat, lon, k=len(cells))[:5]
