"""Who may do what: pure predicates over plain values, enforced by thin helpers in the views.

A predicate answers one question for one principal and one target. Views and API routes call an
enforcer (``fieldcheck.web.require``) that turns a refusal into 403, or 404 where even the existence
of the target must stay hidden from the user (another community's report).
"""

from __future__ import annotations

from dataclasses import dataclass

INSPECTOR = "inspector"
COMMUNITY = "community"
SUBDISTRICT = "subdistrict"
OFFICE = "office"
ADMIN = "admin"

ROLES = (INSPECTOR, COMMUNITY, SUBDISTRICT, OFFICE, ADMIN)
LEVELS = ("city", "district", "subdistrict")


@dataclass(frozen=True)
class Principal:
    """The facts about a user that permissions depend on."""

    user_id: int
    role: str
    level: str | None = None
    community_id: int | None = None
    subdistrict_id: int | None = None


def principal_of(user) -> Principal:
    """The principal of a user row (or anything with the same attributes)."""
    return Principal(
        user_id=user.id,
        role=user.role,
        level=user.level,
        community_id=user.community_id,
        subdistrict_id=user.subdistrict_id,
    )


@dataclass(frozen=True)
class Place:
    """Where a report or item belongs: its community (None while unassigned) and that community's sub-district."""

    community_id: int | None
    subdistrict_id: int | None
    filed_by: int | None = None


def is_staff_of_office(p: Principal) -> bool:
    return p.role in (OFFICE, ADMIN)


def can_view_place(p: Principal, place: Place) -> bool:
    """Whether the user may see a report at this place (and its photos, except originals)."""
    if is_staff_of_office(p):
        return True
    if p.role == INSPECTOR:
        return place.filed_by is not None and place.filed_by == p.user_id
    if p.role == COMMUNITY:
        return place.community_id is not None and place.community_id == p.community_id
    if p.role == SUBDISTRICT:
        return place.subdistrict_id is not None and place.subdistrict_id == p.subdistrict_id
    return False


def can_view_originals(p: Principal) -> bool:
    """Original photos are evidence with full metadata: office and admin only."""
    return is_staff_of_office(p)


def sees_inspector(p: Principal, *, disclosed: bool) -> bool:
    """Who inspected (unannounced inspection, 暗访): the staff being judged only when the office discloses it."""
    return disclosed if p.role in (COMMUNITY, SUBDISTRICT) else True


def sees_photo_metadata(p: Principal, *, disclosed: bool) -> bool:
    """The photos' EXIF (camera, GPS position, time): as ``sees_inspector``, by its own office setting."""
    return disclosed if p.role in (COMMUNITY, SUBDISTRICT) else True


def can_change_settings(p: Principal) -> bool:
    return is_staff_of_office(p)


def can_view_notices(p: Principal) -> bool:
    """Rectification notices (整改通知单) are for the office and the staff being notified, not inspectors."""
    return p.role != INSPECTOR and p.role in ROLES


def can_view_notice(p: Principal, community_id: int, subdistrict_id: int) -> bool:
    """One community's notice: the office and admin, the community's own staff, its sub-district's staff."""
    return can_view_notices(p) and can_view_community(p, community_id, subdistrict_id)


def can_file_report(p: Principal) -> bool:
    return p.role == INSPECTOR


def can_view_community(p: Principal, community_id: int, subdistrict_id: int) -> bool:
    """Scores, open items and the breakdown of one community."""
    if is_staff_of_office(p) or p.role == INSPECTOR:
        return True
    if p.role == COMMUNITY:
        return p.community_id == community_id
    if p.role == SUBDISTRICT:
        return p.subdistrict_id == subdistrict_id
    return False


def can_view_subdistrict_scores(
    p: Principal, subdistrict_id: int | None, own_subdistrict_id: int | None = None
) -> bool:
    """A sub-district's aggregate scores: the office, its staff, and staff of one of its communities
    (``own_subdistrict_id``: the sub-district of the user's community)."""
    if is_staff_of_office(p):
        return True
    if p.role == SUBDISTRICT:
        return subdistrict_id is not None and p.subdistrict_id == subdistrict_id
    if p.role == COMMUNITY:
        return subdistrict_id is not None and own_subdistrict_id == subdistrict_id
    return False


def can_rectify(p: Principal, place: Place) -> bool:
    return p.role == COMMUNITY and place.community_id is not None and place.community_id == p.community_id


def can_appeal(p: Principal, place: Place) -> bool:
    return can_rectify(p, place)


def can_verify(p: Principal) -> bool:
    """Accept or reject a rectification, void a report, decide appeals, assign, approve suspensions."""
    return is_staff_of_office(p)


def can_publish_ranking(p: Principal) -> bool:
    return is_staff_of_office(p)


def can_view_ranking(p: Principal) -> bool:
    return p.role in (OFFICE, ADMIN, SUBDISTRICT, COMMUNITY)


def can_administer(p: Principal) -> bool:
    """Load boundaries, checklists, calendars and users."""
    return p.role == ADMIN


def home_endpoint(p: Principal) -> str:
    """The page each role lands on after login."""
    return {
        INSPECTOR: "reports.capture",
        COMMUNITY: "home.community",
        SUBDISTRICT: "home.subdistrict",
        OFFICE: "home.office",
        ADMIN: "home.admin",
    }[p.role]
