"""Role and scope predicates, as a matrix: every role against its own scope and another."""

import pytest

from fieldcheck import permissions as perm
from fieldcheck.permissions import Place, Principal

INSPECTOR = Principal(user_id=1, role="inspector", level="city")
OTHER_INSPECTOR = Principal(user_id=2, role="inspector", level="district")
COMMUNITY = Principal(user_id=3, role="community", community_id=10, subdistrict_id=100)
SUBDISTRICT = Principal(user_id=4, role="subdistrict", subdistrict_id=100)
OFFICE = Principal(user_id=5, role="office")
ADMIN = Principal(user_id=6, role="admin")

OWN = Place(community_id=10, subdistrict_id=100, filed_by=1)  # in community 10, filed by inspector 1
OTHER = Place(community_id=20, subdistrict_id=200, filed_by=2)  # elsewhere, filed by inspector 2
UNASSIGNED = Place(community_id=None, subdistrict_id=None, filed_by=1)

VIEW = [
    (INSPECTOR, OWN, True),
    (INSPECTOR, OTHER, False),
    (OTHER_INSPECTOR, OTHER, True),
    (INSPECTOR, UNASSIGNED, True),
    (COMMUNITY, OWN, True),
    (COMMUNITY, OTHER, False),
    (COMMUNITY, UNASSIGNED, False),
    (SUBDISTRICT, OWN, True),
    (SUBDISTRICT, OTHER, False),
    (SUBDISTRICT, UNASSIGNED, False),
    (OFFICE, OWN, True),
    (OFFICE, OTHER, True),
    (OFFICE, UNASSIGNED, True),
    (ADMIN, OTHER, True),
]


@pytest.mark.parametrize(("who", "place", "expected"), VIEW)
def test_can_view_place(who, place, expected):
    assert perm.can_view_place(who, place) is expected


RECTIFY = [
    (INSPECTOR, OWN, False),
    (COMMUNITY, OWN, True),
    (COMMUNITY, OTHER, False),
    (COMMUNITY, UNASSIGNED, False),
    (SUBDISTRICT, OWN, False),
    (OFFICE, OWN, False),
    (ADMIN, OWN, False),
]


@pytest.mark.parametrize(("who", "place", "expected"), RECTIFY)
def test_only_staff_of_the_community_can_rectify_or_appeal(who, place, expected):
    assert perm.can_rectify(who, place) is expected
    assert perm.can_appeal(who, place) is expected


@pytest.mark.parametrize(
    ("who", "file", "verify", "originals", "publish", "administer", "ranking"),
    [
        (INSPECTOR, True, False, False, False, False, False),
        (COMMUNITY, False, False, False, False, False, True),
        (SUBDISTRICT, False, False, False, False, False, True),
        (OFFICE, False, True, True, True, False, True),
        (ADMIN, False, True, True, True, True, True),
    ],
)
def test_role_capabilities(who, file, verify, originals, publish, administer, ranking):
    assert perm.can_file_report(who) is file
    assert perm.can_verify(who) is verify
    assert perm.can_view_originals(who) is originals
    assert perm.can_publish_ranking(who) is publish
    assert perm.can_administer(who) is administer
    assert perm.can_view_ranking(who) is ranking


@pytest.mark.parametrize(
    ("who", "community_id", "subdistrict_id", "expected"),
    [
        (COMMUNITY, 10, 100, True),
        (COMMUNITY, 11, 100, False),
        (SUBDISTRICT, 11, 100, True),
        (SUBDISTRICT, 20, 200, False),
        (OFFICE, 20, 200, True),
        (INSPECTOR, 20, 200, True),
    ],
)
def test_can_view_community(who, community_id, subdistrict_id, expected):
    assert perm.can_view_community(who, community_id, subdistrict_id) is expected


def test_every_role_has_a_home_page():
    for role in perm.ROLES:
        assert perm.home_endpoint(Principal(user_id=1, role=role)).startswith(("home.", "reports."))


def test_unknown_role_is_refused_everything():
    stranger = Principal(user_id=9, role="visitor")
    assert not perm.can_view_place(stranger, OWN)
    assert not perm.can_rectify(stranger, OWN)
    assert not perm.can_verify(stranger)
    assert not perm.can_view_community(stranger, 10, 100)
