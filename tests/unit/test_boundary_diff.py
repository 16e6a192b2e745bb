"""The differences a new boundary version makes (fieldcheck/boundary_diff.py) and the check that names
every bad feature of a file, not only the first (fieldcheck/geo.py)."""

from __future__ import annotations

import json

import pytest

from fieldcheck.boundary_diff import Outline, area_changed, changes_by_code, counts, diff
from fieldcheck.geo import GeoError, check_feature_collection, parse_feature_collection
from tests.conftest import feature, small_district, square

IN_FORCE = [
    Outline("C001", "王城社区", "SD01", 1_000_000),
    Outline("C002", "青年宫社区", "SD01", 1_000_000),
    Outline("C003", "涧河社区", "SD02", 1_000_000),
    Outline("C004", "周公社区", "SD02", 1_000_000),
]


def test_each_kind_of_difference_is_named_by_code():
    new = [
        Outline("C001", "王城新社区", "SD01", 1_000_000),  # renamed
        Outline("C002", "青年宫社区", "SD02", 1_000_000),  # moved
        Outline("C003", "涧河社区", "SD02", 1_060_000),  # area +6 %
        Outline("C005", "新区社区", "SD03", 500_000),  # added; C004 removed
    ]
    d = diff(IN_FORCE, new)
    assert d == {
        "added": [{"code": "C005", "name": "新区社区", "subdistrict": "SD03"}],
        "removed": [{"code": "C004", "name": "周公社区", "subdistrict": "SD02"}],
        "renamed": [{"code": "C001", "from": "王城社区", "to": "王城新社区"}],
        "moved": [{"code": "C002", "name": "青年宫社区", "from": "SD01", "to": "SD02"}],
        "area_changed": [
            {"code": "C003", "name": "涧河社区", "from_m2": 1_000_000, "to_m2": 1_060_000, "change_pct": 6.0}
        ],
    }
    assert counts(d) == {"added": 1, "removed": 1, "renamed": 1, "moved": 1, "area_changed": 1}
    assert changes_by_code(d) == {
        "C005": ["added"],
        "C004": ["removed"],
        "C001": ["renamed"],
        "C002": ["moved"],
        "C003": ["area_changed"],
    }


def test_the_same_communities_make_no_difference():
    assert counts(diff(IN_FORCE, IN_FORCE)) == dict.fromkeys(counts({}), 0)


@pytest.mark.parametrize(
    ("before", "after", "changed"),
    [
        (1000, 1050, False),  # exactly 5 %: not more than 5 %
        (1000, 950, False),
        (1000, 1051, True),
        (1000, 949, True),
        (1000, 0, True),
    ],
)
def test_area_changes_count_beyond_five_percent(before, after, changed):
    assert area_changed(before, after) is changed


def test_one_community_can_be_renamed_moved_and_resized_at_once():
    d = diff(IN_FORCE[:1], [Outline("C001", "新名", "SD09", 2_000_000)])
    assert changes_by_code(d) == {"C001": ["renamed", "moved", "area_changed"]}


def test_nothing_in_force_means_everything_is_added():
    d = diff([], IN_FORCE)
    assert [a["code"] for a in d["added"]] == ["C001", "C002", "C003", "C004"]


def test_every_bad_feature_is_named_with_its_number_and_code():
    doc = small_district()
    doc["features"][1]["geometry"] = {"type": "Point", "coordinates": [112.41, 34.65]}
    doc["features"][2]["properties"]["spot_types"] = ["NOPE"]
    doc["features"].append(feature("C001", "重复社区", "SD01", "西工街道", square(112.50, 34.65)))
    doc["features"].append(feature("C006", "叠加社区", "SD02", "涧西街道", square(112.435, 34.65)))
    features, problems = check_feature_collection(json.dumps(doc))
    assert [(p.features, p.code) for p in problems] == [
        ((2,), "C002"),
        ((3,), "C003"),
        ((1, 5), "C001"),
        ((4, 6), "C004"),  # C006 overlaps C004 by half its area
    ]
    assert [p.feature for p in problems] == [2, 3, 5, 4]  # the feature whose code is given
    assert "feature 2 (community C002" in str(problems[0]) and "Point" in str(problems[0])
    assert [f.community_code for f in features] == ["C001", "C004", "C006"]
    # The strict reader still stops at the first fault, with the same message.
    with pytest.raises(GeoError) as first:
        parse_feature_collection(json.dumps(doc))
    assert str(first.value) == str(problems[0])


def test_texts_longer_than_their_columns_are_faults_of_their_feature():
    doc = small_district()
    doc["features"][3]["properties"]["community_name"] = "长" * 101
    _features, problems = check_feature_collection(json.dumps(doc), {"community_name": 100})
    assert [(p.features, p.code) for p in problems] == [((4,), "C004")]
    assert "community_name is longer than 100 characters" in str(problems[0])
