"""Boundary import checks, point-in-community lookup and distances."""

from __future__ import annotations

import json
import math
import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely import MultiPolygon, Point, Polygon, box

from fieldcheck.geo import (
    BoundaryFeature,
    GeoError,
    Locator,
    area_m2,
    distance_m,
    parse_feature_collection,
    to_feature_collection,
    validate_latlon,
)

LON, LAT = 112.40, 34.65  # a corner in Luoyang
D = 0.01  # about 910 m east-west and 1,112 m north-south there


def square(lon: float, lat: float, size: float = D) -> list[list[float]]:
    """A closed GeoJSON ring, counter-clockwise from the south-west corner."""
    return [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]


def feature(code: str, coordinates, geometry_type: str = "Polygon", **overrides) -> dict:
    properties = {
        "community_code": code,
        "community_name": f"{code}社区",
        "subdistrict_code": "SD01",
        "subdistrict_name": "西工街道",
        "spot_types": ["RES"],
    }
    properties.update(overrides)
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": geometry_type, "coordinates": coordinates},
    }


def collection(*features: dict) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False)


def two_neighbours() -> str:
    return collection(
        feature("C001", [square(LON, LAT)], community_name="王城社区", spot_types=["MKT", "RES"]),
        feature("C002", [square(LON + D, LAT)], community_name="青年宫社区", spot_types="res, ROAD、xing"),
    )


# --- a good file -----------------------------------------------------------------------------------------


def test_good_file_gives_features_with_canonical_spot_types():
    first, second = parse_feature_collection(two_neighbours().encode("utf-8"))

    assert (first.community_code, first.community_name) == ("C001", "王城社区")
    assert (first.subdistrict_code, first.subdistrict_name) == ("SD01", "西工街道")
    assert first.spot_types == ("RES", "MKT")
    assert second.spot_types == ("RES", "ROAD", "XING")
    assert first.centroid_lat == pytest.approx(LAT + D / 2)
    assert first.centroid_lon == pytest.approx(LON + D / 2)
    lat, lon = first.label_point
    assert first.geometry.contains(Point(lon, lat))
    assert first.area_m2 == pytest.approx(1_112 * 915, rel=0.01)


def test_utf8_bom_and_missing_spot_types_are_accepted():
    text = collection(feature("C001", [square(LON, LAT)], spot_types=None))
    (only,) = parse_feature_collection(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert only.spot_types == ()


def test_lower_case_codes_are_stored_upper_cased():
    text = collection(
        feature("c001", [square(LON, LAT)], subdistrict_code="sd01"),
        feature("sd01-c.2_b", [square(LON + D, LAT)], subdistrict_code="sd01"),
    )
    codes = [(f.community_code, f.subdistrict_code) for f in parse_feature_collection(text)]
    assert codes == [("C001", "SD01"), ("SD01-C.2_B", "SD01")]


def test_integer_codes_and_wgs84_crs_member_are_accepted():
    doc = json.loads(collection(feature("C001", [square(LON, LAT)])))
    doc["features"][0]["properties"]["community_code"] = 101
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    (only,) = parse_feature_collection(json.dumps(doc))
    assert only.community_code == "101"


def test_feature_collection_round_trips_through_geojson():
    features = parse_feature_collection(two_neighbours())
    again = parse_feature_collection(json.dumps(to_feature_collection(features)))
    assert again == features


def test_rings_are_written_counter_clockwise_with_clockwise_holes():
    clockwise_shell = list(reversed(square(LON, LAT)))
    counter_clockwise_hole = square(LON + D / 4, LAT + D / 4, D / 4)
    (only,) = parse_feature_collection(collection(feature("C001", [clockwise_shell, counter_clockwise_hole])))
    shell, hole = only.geometry_geojson["coordinates"]
    assert Polygon(shell).exterior.is_ccw
    assert not Polygon(hole).exterior.is_ccw


# --- holes and multipolygons -----------------------------------------------------------------------------


def multipolygon_with_hole() -> BoundaryFeature:
    with_hole = [square(LON, LAT), square(LON + 0.004, LAT + 0.004, 0.002)]
    detached = [square(LON + 0.03, LAT)]
    text = collection(feature("C001", [with_hole, detached], "MultiPolygon"))
    (only,) = parse_feature_collection(text)
    return only


def test_point_in_hole_is_in_no_community_but_the_other_part_is():
    community = multipolygon_with_hole()
    locator = Locator.from_features([community])

    assert locator.locate(LAT + 0.005, LON + 0.005) is None  # in the hole
    assert locator.locate(LAT + 0.005, LON + 0.035) == "C001"  # in the detached part
    assert locator.locate(LAT + 0.001, LON + 0.001) == "C001"  # in the main part
    assert locator.locate(LAT + 0.005, LON + 0.004) == "C001"  # on the hole's edge
    assert locator.locate(LAT + 0.005, LON + 0.02) is None  # between the parts


# --- bad files -------------------------------------------------------------------------------------------


def bowtie() -> list[list[list[float]]]:
    return [[[LON, LAT], [LON + D, LAT + D], [LON + D, LAT], [LON, LAT + D], [LON, LAT]]]


def sliver_pair(overlap: float, size: float = D) -> str:
    """Two squares side by side whose shared edge is pushed ``overlap`` degrees into each other."""
    return collection(
        feature("C001", [square(LON, LAT, size)]),
        feature("C002", [square(LON + size - overlap, LAT, size)], community_name="东风社区"),
    )


BAD_FILES = {
    "not json": ("PK\x03\x04 this is a zip", ["not a GeoJSON file"]),
    "json list": ("[1, 2]", ["not a GeoJSON FeatureCollection"]),
    "single feature": (json.dumps(feature("C001", [square(LON, LAT)])), ["not a GeoJSON FeatureCollection"]),
    "no features": (collection(), ["no features"]),
    "projected crs": (
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
                "features": [feature("C001", [square(LON, LAT)])],
            }
        ),
        ["EPSG::3857", "not supported"],
    ),
    "no properties": (
        collection(feature("C001", [square(LON, LAT)]), {**feature("C002", []), "properties": None}),
        ["feature 2: has no properties", "community_code"],
    ),
    "missing property": (
        collection(
            feature("C001", [square(LON, LAT)]), feature("C002", [square(LON + D, LAT)], subdistrict_name="")
        ),
        ['feature 2 (community C002 "C002社区")', "subdistrict_name"],
    ),
    "missing community code": (
        collection(feature("C001", [square(LON, LAT)], community_code=None)),
        ['feature 1 (community "C001社区")', "community_code"],
    ),
    "unknown spot type": (
        collection(feature("C001", [square(LON, LAT)], spot_types=["RES", "SCHOOL"])),
        ['feature 1 (community C001 "C001社区")', "unknown spot type 'SCHOOL'"],
    ),
    "point geometry": (
        collection(feature("C001", [LON, LAT], "Point")),
        ['feature 1 (community C001 "C001社区")', "Polygon or MultiPolygon", "'Point'"],
    ),
    "no geometry": (
        collection({**feature("C001", []), "geometry": None}),
        ["feature 1 (community C001", "no geometry"],
    ),
    "ring not closed": (
        collection(feature("C001", [square(LON, LAT)[:-1] + [[LON, LAT + D / 2]]])),
        ["feature 1 (community C001", "not closed"],
    ),
    "self-intersecting bowtie": (
        collection(feature("C001", [square(LON + D, LAT)]), feature("C002", bowtie())),
        ['feature 2 (community C002 "C002社区")', "invalid geometry", "Self-intersection"],
    ),
    "swapped lat and lon": (
        collection(feature("C001", [[[lat, lon] for lon, lat in square(LON, LAT)]])),
        ["feature 1 (community C001", "swapped"],
    ),
    "projected coordinates": (
        collection(feature("C001", [square(12_512_000.0, 4_115_000.0, 500.0)])),
        ["feature 1 (community C001", "EPSG:4326"],
    ),
    "non-finite coordinate": (
        collection(feature("C001", [[[LON, LAT], [LON + D, LAT], [LON, float("nan")], [LON, LAT]]])),
        ["feature 1 (community C001", "non-finite"],
    ),
    "duplicate community code": (
        collection(feature("C001", [square(LON, LAT)]), feature("C001", [square(LON + D, LAT)])),
        ['feature 2 (community C001 "C001社区")', "already used by feature 1"],
    ),
    "code with a slash": (
        collection(feature("C001", [square(LON, LAT)]), feature("C/002", [square(LON + D, LAT)])),
        ['feature 2 (community C/002 "C/002社区")', "community_code 'C/002' cannot be used", "'/'"],
    ),
    "code with markup": (
        collection(feature("<b>C1</b>", [square(LON, LAT)])),
        ["feature 1 (community <b>C1</b>", "community_code '<b>C1</b>' cannot be used"],
    ),
    "code with a space inside": (
        collection(feature("C 001", [square(LON, LAT)])),
        ["feature 1 (community C 001", "community_code 'C 001' cannot be used", "no spaces"],
    ),
    "code of dots": (
        collection(feature("..", [square(LON, LAT)])),
        ["feature 1 (community ..", "beginning with a letter or digit"],
    ),
    "code in full-width letters": (
        collection(feature("Ｃ００１", [square(LON, LAT)])),
        ["feature 1 (community Ｃ００１", "cannot be used"],
    ),
    "code that is a word of the app's addresses": (
        collection(feature("C001", [square(LON, LAT)]), feature("bulletin", [square(LON + D, LAT)])),
        [
            'feature 2 (community bulletin "bulletin社区")',
            "community_code 'bulletin'",
            "the app's own addresses",
        ],
    ),
    "sub-district code with a slash": (
        collection(feature("C001", [square(LON, LAT)], subdistrict_code="SD/1")),
        ["feature 1 (community C001", "subdistrict_code 'SD/1' cannot be used"],
    ),
    "two codes equal once upper-cased": (
        collection(feature("C001", [square(LON, LAT)]), feature("c001", [square(LON + D, LAT)])),
        ['feature 2 (community C001 "c001社区")', "community code C001 is already used by feature 1"],
    ),
    "sub-district with two names": (
        collection(
            feature("C001", [square(LON, LAT)]),
            feature("C002", [square(LON + D, LAT)], subdistrict_name="涧西街道"),
        ),
        ["feature 2 (community C002", 'named "涧西街道" here but "西工街道" in feature 1'],
    ),
    "overlap beyond the sliver tolerance": (
        sliver_pair(overlap=D / 20),
        ['feature 1 (community C001 "C001社区") overlaps feature 2 (community C002 "东风社区")', "m²"],
    ),
    "small overlap of small communities": (
        sliver_pair(overlap=0.00002, size=0.0002),
        ["feature 1 (community C001", "overlaps feature 2 (community C002", "tolerance 10 m²"],
    ),
    "community inside another": (
        collection(
            feature("C001", [square(LON, LAT)]), feature("C002", [square(LON + D / 4, LAT + D / 4, D / 4)])
        ),
        ["feature 1 (community C001", "overlaps feature 2 (community C002"],
    ),
}


@pytest.mark.parametrize("text, fragments", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_is_rejected_with_a_message_naming_the_fault(text, fragments):
    with pytest.raises(GeoError) as caught:
        parse_feature_collection(text)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_bytes_that_are_not_utf8_are_not_geojson():
    with pytest.raises(GeoError, match="not a GeoJSON file: not UTF-8"):
        parse_feature_collection(b"\xff\xd8\xff\xe0 a JPEG")


def test_error_carries_the_feature_numbers_involved():
    with pytest.raises(GeoError) as caught:
        parse_feature_collection(sliver_pair(overlap=D / 20))
    assert caught.value.features == (1, 2)


def test_digitising_sliver_within_tolerance_is_accepted():
    # About 0.45 m by 1,112 m: some 500 m², under 0.1 % of a square kilometre.
    features = parse_feature_collection(sliver_pair(overlap=0.000005))
    assert [f.community_code for f in features] == ["C001", "C002"]


def test_tiny_sliver_between_small_communities_is_accepted_under_ten_square_metres():
    # About 0.18 m by 22 m: some 4 m², over 0.1 % of these 400 m² plots but under the 10 m² floor.
    features = parse_feature_collection(sliver_pair(overlap=0.000002, size=0.0002))
    assert len(features) == 2


def test_boundary_feature_checks_its_own_fields():
    geometry = box(LON, LAT, LON + D, LAT + D)
    with pytest.raises(ValueError, match='community C001 "王城社区": unknown spot type'):
        BoundaryFeature("C001", "王城社区", "SD01", "西工街道", geometry, ("RES", "BAR"))
    with pytest.raises(ValueError, match="invalid geometry"):
        BoundaryFeature("C001", "王城社区", "SD01", "西工街道", Polygon(bowtie()[0]))
    with pytest.raises(ValueError, match="Polygon or MultiPolygon"):
        BoundaryFeature("C001", "王城社区", "SD01", "西工街道", Point(LON, LAT))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="subdistrict_name"):
        BoundaryFeature("C001", "王城社区", "SD01", " ", geometry)


# --- locating points -------------------------------------------------------------------------------------


def grid_of_squares(keys: list[str]) -> list[tuple[str, Polygon]]:
    """Four unit-ish squares meeting at (LON + D, LAT + D), keyed row by row from the south-west."""
    corners = [(LON, LAT), (LON + D, LAT), (LON, LAT + D), (LON + D, LAT + D)]
    return [(key, box(x, y, x + D, y + D)) for key, (x, y) in zip(keys, corners, strict=True)]


def test_locate_inside_and_outside():
    locator = Locator(grid_of_squares(["A", "B", "C", "D"]))
    assert locator.locate(LAT + D / 2, LON + D / 2) == "A"
    assert locator.locate(LAT + 1.5 * D, LON + 1.5 * D) == "D"
    assert locator.locate(LAT - D, LON) is None
    assert locator.locate(LAT + D / 2, LON + 3 * D) is None


@pytest.mark.parametrize("reverse", [False, True])
def test_point_on_shared_edge_goes_to_the_first_key_whatever_the_input_order(reverse):
    items = grid_of_squares(["C012", "C007", "C030", "C001"])
    locator = Locator(list(reversed(items)) if reverse else items)
    # The edge x = LON + D between the two southern squares C012 and C007.
    assert locator.covering(LAT + D / 2, LON + D) == ("C007", "C012")
    assert locator.locate(LAT + D / 2, LON + D) == "C007"


def test_point_on_vertex_shared_by_three_goes_to_the_first_key():
    triangles = [
        ("T3", Polygon([(LON, LAT), (LON + D, LAT), (LON + D / 2, LAT + D / 2)])),
        ("T1", Polygon([(LON + D, LAT), (LON + D, LAT + D), (LON + D / 2, LAT + D / 2)])),
        ("T2", Polygon([(LON, LAT), (LON + D / 2, LAT + D / 2), (LON + D, LAT + D), (LON, LAT + D)])),
    ]
    for order in (triangles, triangles[::-1], triangles[1:] + triangles[:1]):
        locator = Locator(order)
        assert locator.covering(LAT + D / 2, LON + D / 2) == ("T1", "T2", "T3")
        assert locator.locate(LAT + D / 2, LON + D / 2) == "T1"


def test_point_on_outer_edge_belongs_to_the_community():
    locator = Locator([(7, box(LON, LAT, LON + D, LAT + D))])
    assert locator.locate(LAT, LON + D / 2) == 7
    assert locator.locate(LAT, LON) == 7


def test_locator_rejects_duplicate_keys_and_non_polygons():
    with pytest.raises(ValueError, match="duplicate"):
        Locator([("A", box(0, 0, 1, 1)), ("A", box(1, 0, 2, 1))])
    with pytest.raises(ValueError, match="Polygon or MultiPolygon"):
        Locator([("A", Point(0, 0))])  # type: ignore[list-item]


def test_empty_locator_finds_nothing():
    locator: Locator[str] = Locator([])
    assert len(locator) == 0
    assert locator.locate(LAT, LON) is None


def test_locate_refuses_impossible_positions():
    locator = Locator(grid_of_squares(["A", "B", "C", "D"]))
    with pytest.raises(ValueError, match="latitude"):
        locator.locate(112.4, 34.6)


@given(
    st.permutations(["A", "B", "C", "D"]),
    st.integers(-2, 8),
    st.integers(-2, 8),
)
def test_locate_is_one_covering_key_and_ignores_input_order(keys, i, j):
    # Quarter steps land on interiors, edges and the shared corner alike.
    lat, lon = LAT + j * D / 4, LON + i * D / 4
    squares = grid_of_squares(["A", "B", "C", "D"])
    by_key = dict(squares)
    shuffled = [(key, by_key[key]) for key in keys]
    expected = Locator(squares).locate(lat, lon)

    assert Locator(shuffled).locate(lat, lon) == expected
    covering = [key for key, polygon in squares if polygon.covers(Point(lon, lat))]
    assert expected == (min(covering) if covering else None)


def test_multipolygon_keys_can_be_database_ids():
    parts = MultiPolygon([box(LON, LAT, LON + D, LAT + D), box(LON + 2 * D, LAT, LON + 3 * D, LAT + D)])
    locator = Locator([(42, parts), (17, box(LON + D, LAT, LON + 2 * D, LAT + D))])
    assert locator.locate(LAT + D / 2, LON + 2.5 * D) == 42
    assert locator.locate(LAT + D / 2, LON + 2 * D) == 17  # shared edge: 17 sorts before 42


# --- distances and positions ----------------------------------------------------------------------------


def test_one_degree_of_latitude_is_about_111_km():
    assert distance_m(34.0, 112.4, 35.0, 112.4) == pytest.approx(111_195, abs=100)


def test_distance_along_a_parallel_shrinks_with_latitude():
    assert distance_m(LAT, LON, LAT, LON + 1) == pytest.approx(
        111_195 * math.cos(math.radians(LAT)), rel=1e-3
    )


def test_distance_to_self_is_zero_and_antipodes_are_half_the_circumference():
    assert distance_m(LAT, LON, LAT, LON) == 0
    assert distance_m(0, 0, 0, 180) == pytest.approx(math.pi * 6_371_008.8)


@given(
    st.floats(-90, 90),
    st.floats(-180, 180),
    st.floats(-90, 90),
    st.floats(-180, 180),
)
def test_distance_is_symmetric_and_bounded(lat1, lon1, lat2, lon2):
    there = distance_m(lat1, lon1, lat2, lon2)
    assert there == pytest.approx(distance_m(lat2, lon2, lat1, lon1), abs=1e-6)
    assert 0 <= there <= math.pi * 6_371_008.8 + 1e-6


def test_area_of_a_small_square_in_square_metres():
    square_100m = box(LON, LAT, LON + 0.001, LAT + 0.001)
    expected = 111.195**2 * math.cos(math.radians(LAT + 0.0005))
    assert area_m2(square_100m) == pytest.approx(expected, rel=1e-4)


def test_validate_latlon_accepts_numbers_in_range():
    assert validate_latlon(34.65, 112.4) == (34.65, 112.4)
    assert validate_latlon(Decimal("34.650001"), 112) == (34.650001, 112.0)
    assert validate_latlon(-90, 180) == (-90.0, 180.0)


@pytest.mark.parametrize(
    "lat, lon, message",
    [
        (90.5, 112.4, "latitude 90.5 is out of range"),
        (34.6, -180.01, "longitude -180.01 is out of range"),
        (float("nan"), 112.4, "latitude must be finite"),
        (34.6, float("inf"), "longitude must be finite"),
        ("34.6", 112.4, "latitude must be a number"),
        (34.6, None, "longitude must be a number"),
        (True, 112.4, "latitude must be a number"),
    ],
)
def test_validate_latlon_rejects_impossible_positions(lat, lon, message):
    with pytest.raises(ValueError, match=message):
        validate_latlon(lat, lon)


def test_parse_handles_hundreds_of_communities_quickly():
    rng = random.Random(1)
    features = [
        feature(f"C{n:03d}", [square(LON + (n % 20) * D, LAT + (n // 20) * D)], spot_types=["RES"])
        for n in range(400)
    ]
    rng.shuffle(features)
    parsed = parse_feature_collection(collection(*features))
    assert len(parsed) == 400
