"""The spot registry's pure rules: one spot's fields, reading import files, the spot types a community has."""

from __future__ import annotations

import json

import pytest

from fieldcheck.errors import Invalid
from fieldcheck.spots import rules

GOOD = {"code": "c001-res-1", "name": " 王城社区3号院 ", "type": "res", "community": "c001"}


def problem(raw, **kwargs) -> tuple[str, str | None]:
    with pytest.raises(Invalid) as caught:
        rules.check_fields(raw, **kwargs)
    return caught.value.code, caught.value.details.get("field")


def test_a_spot_is_cleaned_codes_and_types_upper_cased_active_by_default():
    assert rules.check_fields(GOOD) == {
        "code": "C001-RES-1",
        "name": "王城社区3号院",
        "type": "RES",
        "community": "C001",
        "lat": None,
        "lon": None,
        "responsible_unit": "",
        "contact": "",
        "active": True,
    }
    assert rules.check_fields(GOOD | {"lat": "34.65", "lon": 112.4, "active": "否"})["active"] is False


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"code": ""}, ("invalid_code", "code")),
        ({"code": "A" * 49}, ("invalid_code", "code")),
        ({"code": "-X"}, ("invalid_code", "code")),
        ({"type": "ZOO"}, ("invalid_type", "type")),
        ({"name": ""}, ("invalid_name", "name")),
        ({"name": "长" * 101}, ("invalid_name", "name")),
        ({"contact": ["a"]}, ("invalid_contact", "contact")),
        ({"active": "maybe"}, ("invalid_active", "active")),
        ({"lat": "34.6"}, ("invalid_location", None)),
        ({"lat": "91", "lon": "112"}, ("invalid_lat", None)),
        ({"colour": "red"}, ("unknown_field", "colour")),
    ],
)
def test_each_bad_field_is_named(change, expected):
    assert problem(GOOD | change) == expected


def test_a_change_checks_only_what_it_sends_and_never_defaults_active():
    assert rules.check_fields({"contact": "李明"}, partial=True) == {"contact": "李明"}
    assert rules.check_fields({"lat": None, "lon": None}, partial=True) == {"lat": None, "lon": None}
    assert problem({"active": None}, partial=True) == ("invalid_active", "active")
    assert rules.check_fields({"active": False}, partial=True) == {"active": False}


def test_a_csv_names_its_lines_and_refuses_a_header_without_the_required_columns():
    text = "\ufeffCode,Name,spot_type,community,lat,lon,extra\r\nC1,甲,RES,C001,34.6,112.4,x\r\n\r\nC2,乙,MKT,C002,,,\r\n"
    assert rules.read_csv(text) == [
        (
            "line 2",
            {"code": "C1", "name": "甲", "type": "RES", "community": "C001", "lat": "34.6", "lon": "112.4"},
        ),
        ("line 4", {"code": "C2", "name": "乙", "type": "MKT", "community": "C002"}),
    ]
    with pytest.raises(Invalid) as caught:
        rules.read_csv("code,name\r\nC1,甲\r\n")
    assert caught.value.code == "csv_header" and "type, community" in caught.value.message


def test_a_geojson_gives_each_feature_its_point():
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [112.4, 34.6]},
                "properties": GOOD,
            },
            {"type": "Feature", "geometry": None, "properties": {"code": "X", "spot_type": "WC", "lat": 1}},
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": []}, "properties": {}},
        ],
    }
    rows = rules.read_file(json.dumps(collection))
    assert rows[0] == ("feature 1", GOOD | {"lat": 34.6, "lon": 112.4})
    assert rows[1] == ("feature 2", {"code": "X", "type": "WC"})  # a position only from the geometry
    assert rows[2][0] == "feature 3" and rules.check_rows([rows[2]], ["C001"])[0].problem is not None
    for bad in ("{not json", '{"type": "Feature"}', '{"type": "FeatureCollection", "features": 3}'):
        with pytest.raises(Invalid):
            rules.read_file(bad)


def test_rows_are_checked_against_each_other_and_the_communities_then_compared_with_the_registry():
    rows = [
        ("line 2", GOOD),
        ("line 3", GOOD | {"name": "又一个"}),
        ("line 4", GOOD | {"code": "C009-RES-1", "community": "C009"}),
        ("line 5", GOOD | {"code": "C001-RES-2"}),
    ]
    checked = rules.check_rows(rows, ["C001"])
    assert [(r.where, r.problem and r.problem.details["field"]) for r in checked] == [
        ("line 2", None),
        ("line 3", "code"),
        ("line 4", "community"),
        ("line 5", None),
    ]
    existing = rules.check_fields(GOOD)
    assert rules.compare(checked[0], existing).action == "unchanged"
    assert rules.compare(checked[0], existing | {"contact": "x"}).action == "changed"
    assert rules.compare(checked[3], None).action == "new"
    assert rules.compare(checked[1], None) is checked[1]


def test_a_community_has_its_recorded_spot_types_and_those_of_its_spots_in_canonical_order():
    assert rules.community_spot_types(["RES", "ALY"], {"MKT"}, ["RES"]) == ("RES", "ALY", "MKT")
    assert rules.community_spot_types(["PARK"], set()) == ("PARK",)
    assert rules.community_spot_types([], set()) == ()  # not recorded: every category applies
    assert rules.community_spot_types([], {"WC"}) == ("WC",)
