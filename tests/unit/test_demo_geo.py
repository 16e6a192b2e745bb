"""The demo district: shape, names, codes, and that it passes the same checks as an imported file."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest
import shapely
from shapely import MultiPolygon, Point, Polygon, STRtree

from fieldcheck.demo.geo import BBOX, demo_spots, generate_district, to_feature_collection
from fieldcheck.geo import SPOT_TYPES, BoundaryFeature, Locator, area_m2, parse_feature_collection


@cache
def district(seed: int = 2026) -> tuple[BoundaryFeature, ...]:
    return tuple(generate_district(seed))


def test_fifteen_subdistricts_with_distinct_names():
    subdistricts = {f.subdistrict_code: f.subdistrict_name for f in district()}
    assert sorted(subdistricts) == [f"SD{n:02d}" for n in range(1, 16)]
    names = list(subdistricts.values())
    assert len(set(names)) == 15
    assert all(name.endswith("街道") for name in names)


def test_at_least_84_communities_with_sequential_codes_and_distinct_names():
    features = district()
    assert len(features) >= 84
    assert [f.community_code for f in features] == [f"C{n:03d}" for n in range(1, len(features) + 1)]
    names = [f.community_name for f in features]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[\u4e00-\u9fff]+社区", name) for name in names)


def test_each_subdistrict_has_five_to_seven_communities_forming_one_area():
    by_subdistrict: dict[str, list[BoundaryFeature]] = {}
    for f in district():
        by_subdistrict.setdefault(f.subdistrict_code, []).append(f)
    for code, members in by_subdistrict.items():
        assert 5 <= len(members) <= 7, code
        assert isinstance(shapely.union_all([f.geometry for f in members]), Polygon), code


def test_all_communities_lie_inside_the_bounding_box():
    lat_min, lon_min, lat_max, lon_max = BBOX
    for f in district():
        x_min, y_min, x_max, y_max = f.geometry.bounds
        assert lon_min <= x_min and x_max <= lon_max, f.community_code
        assert lat_min <= y_min and y_max <= lat_max, f.community_code


def test_the_district_fills_much_of_the_bounding_box():
    lat_min, lon_min, lat_max, lon_max = BBOX
    covered = sum(f.area_m2 for f in district())
    assert covered > 0.55 * area_m2(shapely.box(lon_min, lat_min, lon_max, lat_max))


def test_communities_do_not_overlap():
    geoms = [f.geometry for f in district()]
    left, right = STRtree(geoms).query(geoms, predicate="intersects")
    pairs = [(i, j) for i, j in zip(left.tolist(), right.tolist(), strict=True) if i < j]
    assert pairs, "neighbours should touch"
    for i, j in pairs:
        assert area_m2(geoms[i].intersection(geoms[j])) < 1e-6


def test_communities_are_valid_and_of_plausible_size():
    for f in district():
        assert f.geometry.is_valid
        assert 50_000 < f.area_m2 < 3_000_000, f.community_code


def test_district_has_an_enclave_that_belongs_to_no_community():
    features = district()
    union = shapely.union_all([f.geometry for f in features])
    holes = [hole for part in shapely.get_parts(union) for hole in part.interiors]
    assert len(holes) == 1
    inside_hole = Polygon(holes[0]).representative_point()
    assert Locator.from_features(features).locate(inside_hole.y, inside_hole.x) is None


def test_district_has_a_multipolygon_community_and_one_with_a_hole():
    features = district()
    assert any(isinstance(f.geometry, MultiPolygon) for f in features)
    assert sum(1 for f in features if isinstance(f.geometry, Polygon) and f.geometry.interiors) >= 1


def test_every_community_has_residences_and_about_a_quarter_a_market():
    features = district()
    assert all("RES" in f.spot_types for f in features)
    assert all(set(f.spot_types) <= set(SPOT_TYPES) for f in features)
    with_market = sum(1 for f in features if "MKT" in f.spot_types)
    assert 0.1 < with_market / len(features) < 0.45


def test_district_round_trips_through_the_importer():
    features = list(district())
    text = json.dumps(to_feature_collection(features), ensure_ascii=False)
    assert parse_feature_collection(text.encode("utf-8")) == features


@pytest.mark.parametrize("seed", [0, 1, 7, 99])
def test_other_seeds_give_importable_districts_too(seed):
    features = list(district(seed))
    assert len(features) >= 84
    assert len({f.subdistrict_code for f in features}) == 15
    assert parse_feature_collection(json.dumps(to_feature_collection(features))) == features


def test_same_seed_gives_the_same_district_and_another_seed_another():
    assert generate_district(2026) == list(district(2026))
    assert generate_district(2027) != list(district(2026))


def test_demo_spots_one_per_spot_type_inside_their_community():
    features = district()
    spots = demo_spots(list(features), seed=2026)
    locator = Locator.from_features(features)
    expected_codes = [f"{f.community_code}-{kind}-1" for f in features for kind in f.spot_types]
    assert [spot["code"] for spot in spots] == expected_codes
    by_code = {f.community_code: f for f in features}
    for spot in spots:
        assert spot["code"].startswith(f"{spot['community_code']}-{spot['spot_type']}-")
        assert by_code[spot["community_code"]].geometry.contains(Point(spot["lon"], spot["lat"]))
        assert locator.locate(spot["lat"], spot["lon"]) == spot["community_code"]
        assert re.search(r"[\u4e00-\u9fff]", spot["name"])


def test_demo_spot_names_follow_their_type():
    spots = demo_spots(list(district()), seed=2026)
    names = {spot["spot_type"]: spot["name"] for spot in spots}
    assert names["RES"].endswith("号院")
    assert names["MKT"].endswith("农贸市场")
    assert names["XING"].endswith("路口")


def test_demo_spots_are_deterministic():
    features = list(district())
    assert demo_spots(features, seed=5) == demo_spots(features, seed=5)
    assert demo_spots(features, seed=5) != demo_spots(features, seed=6)
