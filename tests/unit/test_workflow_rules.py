"""The workflow rules over plain values: every move, every refusal, every guard."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fieldcheck.calendar import WorkCalendar, due_at, end_of_local_day, local_date
from fieldcheck.checklist.spec import parse_deadline
from fieldcheck.errors import Conflict, Forbidden, Invalid
from fieldcheck.permissions import Place, Principal
from fieldcheck.workflow import rules
from fieldcheck.workflow.rules import Action, Clock, Item, Request

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
PLACE = Place(community_id=1, subdistrict_id=10, filed_by=7)

OFFICE = Principal(1, "office")
ADMIN = Principal(2, "admin")
STAFF = Principal(3, "community", community_id=1, subdistrict_id=10)
OTHER_STAFF = Principal(4, "community", community_id=2, subdistrict_id=10)
SUBDISTRICT = Principal(5, "subdistrict", subdistrict_id=10)
INSPECTOR = Principal(7, "inspector", level="city")


def clock(now: datetime = NOW, *, days: int = 3) -> Clock:
    return Clock(
        now=now,
        today=local_date(now, TZ),
        deadline_from=lambda t: t + timedelta(days=days),
        end_of_day=lambda d: end_of_local_day(d, TZ),
    )


def item(status: str, **kw) -> Item:
    return Item(status=status, place=kw.pop("place", PLACE), **kw)


# One request per action that passes every guard, so refusals below test role and state alone.
GOOD = {
    Action.RECTIFY: Request(Action.RECTIFY, note="swept", photos=1),
    Action.ACCEPT: Request(Action.ACCEPT),
    Action.REJECT: Request(Action.REJECT, note="still dirty"),
    Action.VOID: Request(Action.VOID, note="duplicate"),
    Action.APPEAL: Request(Action.APPEAL, note="not our estate"),
    Action.UPHOLD: Request(Action.UPHOLD, note="it is yours"),
    Action.GRANT: Request(Action.GRANT, note="wrong community"),
    Action.ASSIGN: Request(Action.ASSIGN, community_id=1),
    Action.REQUEST_SUSPENSION: Request(
        Action.REQUEST_SUSPENSION, note="needs a contractor", planned_date=date(2026, 4, 30)
    ),
    Action.APPROVE_SUSPENSION: Request(Action.APPROVE_SUSPENSION),
    Action.REFUSE_SUSPENSION: Request(Action.REFUSE_SUSPENSION),
    Action.URGE: Request(Action.URGE, note="fix it by Friday"),
}
PENDING = {Action.APPROVE_SUSPENSION, Action.REFUSE_SUSPENSION}


def state_for(action: Action, status: str) -> Item:
    extra = {"suspension_requested": date(2026, 4, 30)} if action in PENDING else {}
    due = NOW - timedelta(days=1) if action is Action.URGE else NOW + timedelta(days=1)  # urge: overdue
    return item(status, due_at=due, **extra)


def owner(action: Action) -> Principal:
    return STAFF if action in rules.COMMUNITY_ACTIONS else OFFICE


ALLOWED = [(a, s) for a in Action for s in rules.FROM_STATES[a]]
REFUSED = [(a, s) for a in Action for s in rules.STATUS_NAMES if s not in rules.FROM_STATES[a]]


@pytest.mark.parametrize(("action", "status"), ALLOWED)
def test_every_allowed_move_is_made_by_its_owner(action, status) -> None:
    change = rules.decide(owner(action), state_for(action, status), GOOD[action], clock())
    assert change.action is action
    assert change.from_status == status


@pytest.mark.parametrize(("action", "status"), REFUSED)
def test_every_move_from_a_state_that_does_not_allow_it_is_a_conflict_naming_the_state(
    action, status
) -> None:
    with pytest.raises(Conflict) as info:
        rules.decide(owner(action), state_for(action, status), GOOD[action], clock())
    assert info.value.details == {"status": status}
    assert info.value.code == "wrong_state"


@pytest.mark.parametrize("action", sorted(rules.COMMUNITY_ACTIONS))
@pytest.mark.parametrize("who", [OFFICE, ADMIN, OTHER_STAFF, SUBDISTRICT, INSPECTOR])
def test_only_the_reports_own_community_staff_make_community_moves(action, who) -> None:
    status = rules.FROM_STATES[action][0]
    with pytest.raises(Forbidden):
        rules.decide(who, state_for(action, status), GOOD[action], clock())


OTHER_INSPECTOR = Principal(8, "inspector", level="city")


# Everyone but the office and admin, except the filing inspector's revisit moves (tested below).
NOT_OFFICE = [
    (action, who)
    for action in sorted(rules.OFFICE_ACTIONS)
    for who in (STAFF, OTHER_STAFF, SUBDISTRICT, INSPECTOR, OTHER_INSPECTOR)
    if not (who is INSPECTOR and action in rules.REVISIT_ACTIONS)
    and not (who is SUBDISTRICT and action in rules.SUBDISTRICT_ACTIONS)
]


@pytest.mark.parametrize(("action", "who"), NOT_OFFICE)
def test_only_the_office_and_admin_make_office_moves(action, who) -> None:
    status = rules.FROM_STATES[action][0]
    with pytest.raises(Forbidden):
        rules.decide(who, state_for(action, status), GOOD[action], clock())
    rules.decide(ADMIN, state_for(action, status), GOOD[action], clock())


@pytest.mark.parametrize("action", sorted(rules.REVISIT_ACTIONS))
def test_the_filing_inspector_verifies_on_a_revisit_and_no_other_inspector_does(action) -> None:
    change = rules.decide(INSPECTOR, item("rectified"), GOOD[action], clock())
    assert change.action is action
    with pytest.raises(Forbidden):
        rules.decide(OTHER_INSPECTOR, item("rectified"), GOOD[action], clock())


def test_role_is_checked_before_state() -> None:
    # A stranger learns nothing about the state from the refusal.
    with pytest.raises(Forbidden):
        rules.decide(OTHER_STAFF, item("closed"), GOOD[Action.RECTIFY], clock())


def test_unassigned_report_has_no_community_staff() -> None:
    unassigned = item("reported", place=Place(None, None, 7))
    assert not rules.may(Principal(9, "community", community_id=None), Action.APPEAL, unassigned.place)


# --- each move's effect ---------------------------------------------------------------------------


def test_rectify_needs_an_after_photo() -> None:
    with pytest.raises(Invalid) as info:
        rules.decide(STAFF, item("dispatched"), Request(Action.RECTIFY, note="done"), clock())
    assert info.value.code == "no_photo"


def test_rectify_records_the_time_and_awaits_verification() -> None:
    change = rules.decide(STAFF, item("dispatched"), Request(Action.RECTIFY, photos=2), clock())
    assert (change.to_status, change.fields) == ("rectified", {"rectified_at": NOW})


def test_a_suspended_report_is_rectified_like_a_dispatched_one() -> None:
    change = rules.decide(STAFF, item("suspended"), Request(Action.RECTIFY, photos=1), clock())
    assert change.to_status == "rectified"


def test_accept_closes() -> None:
    change = rules.decide(OFFICE, item("rectified"), Request(Action.ACCEPT), clock())
    assert (change.to_status, change.fields) == ("closed", {"closed_at": NOW})


@pytest.mark.parametrize("note", ["", "   "])
def test_reject_needs_a_note(note) -> None:
    with pytest.raises(Invalid) as info:
        rules.decide(OFFICE, item("rectified"), Request(Action.REJECT, note=note), clock())
    assert info.value.code == "note_required"


def test_reject_sends_it_back_with_a_new_deadline_and_counts_the_rework() -> None:
    change = rules.decide(
        OFFICE, item("rectified", rework_count=1), Request(Action.REJECT, note="no"), clock(days=5)
    )
    assert change.to_status == "dispatched"
    assert change.fields == {"due_at": NOW + timedelta(days=5), "rework_count": 2, "dispatched_at": NOW}
    assert change.event_due_at == NOW + timedelta(days=5)


@pytest.mark.parametrize("status", rules.OPEN)
def test_void_from_any_open_state_needs_a_reason(status) -> None:
    with pytest.raises(Invalid):
        rules.decide(OFFICE, item(status), Request(Action.VOID), clock())
    assert rules.decide(OFFICE, item(status), GOOD[Action.VOID], clock()).to_status == "voided"


@pytest.mark.parametrize("status", ["closed", "voided"])
def test_final_states_do_not_move(status) -> None:
    for action in Action:
        with pytest.raises(Conflict):
            rules.decide(owner(action), state_for(action, status), GOOD[action], clock())


def test_appeal_remembers_where_it_was_and_needs_a_reason() -> None:
    with pytest.raises(Invalid):
        rules.decide(STAFF, item("rectified"), Request(Action.APPEAL), clock())
    change = rules.decide(STAFF, item("rectified"), GOOD[Action.APPEAL], clock())
    assert change.to_status == "appealed"
    assert change.fields["appeal_from"] == "rectified"


def test_upheld_appeal_returns_with_the_deadline_moved_by_the_wait() -> None:
    appealed_at = NOW - timedelta(hours=30)
    due = NOW - timedelta(hours=2)  # would be overdue now without the extension
    state = item("appealed", appeal_from="dispatched", appealed_at=appealed_at, due_at=due)
    change = rules.decide(OFFICE, state, GOOD[Action.UPHOLD], clock())
    assert change.to_status == "dispatched"
    assert change.fields == {"appeal_from": None, "due_at": due + timedelta(hours=30)}
    assert not rules.is_overdue(change.to_status, change.fields["due_at"], NOW)


def test_upheld_appeal_of_a_rectified_report_keeps_its_deadline() -> None:
    due = NOW - timedelta(days=1)
    state = item("appealed", appeal_from="rectified", appealed_at=NOW - timedelta(days=2), due_at=due)
    change = rules.decide(OFFICE, state, GOOD[Action.UPHOLD], clock())
    assert (change.to_status, change.fields["due_at"]) == ("rectified", due)


def test_granted_appeal_voids() -> None:
    change = rules.decide(OFFICE, item("appealed", appeal_from="dispatched"), GOOD[Action.GRANT], clock())
    assert change.to_status == "voided"


def test_assign_dispatches_to_the_chosen_community_with_a_deadline_from_now() -> None:
    with pytest.raises(Invalid):
        rules.decide(OFFICE, item("reported"), Request(Action.ASSIGN), clock())
    change = rules.decide(OFFICE, item("reported"), Request(Action.ASSIGN, community_id=4), clock(days=2))
    assert change.to_status == "dispatched"
    assert change.fields == {"community_id": 4, "dispatched_at": NOW, "due_at": NOW + timedelta(days=2)}


def test_suspension_is_asked_by_the_community_and_approved_by_the_office() -> None:
    planned = date(2026, 4, 30)
    asked = rules.decide(STAFF, item("dispatched"), GOOD[Action.REQUEST_SUSPENSION], clock())
    assert (asked.to_status, asked.fields) == ("dispatched", {"suspension_requested": planned})
    pending = item("dispatched", suspension_requested=planned)
    with pytest.raises(Conflict):
        rules.decide(STAFF, pending, GOOD[Action.REQUEST_SUSPENSION], clock())
    approved = rules.decide(OFFICE, pending, Request(Action.APPROVE_SUSPENSION), clock())
    end = end_of_local_day(planned, TZ)
    assert approved.to_status == "suspended"
    assert approved.fields == {"planned_date": planned, "due_at": end, "suspension_requested": None}
    assert end.astimezone(TZ).date() == planned


def test_the_office_may_approve_another_planned_date() -> None:
    pending = item("dispatched", suspension_requested=date(2026, 4, 30))
    change = rules.decide(
        OFFICE, pending, Request(Action.APPROVE_SUSPENSION, planned_date=date(2026, 4, 15)), clock()
    )
    assert change.fields["planned_date"] == date(2026, 4, 15)


def test_refusing_a_suspension_clears_the_request() -> None:
    pending = item("dispatched", suspension_requested=date(2026, 4, 30))
    change = rules.decide(OFFICE, pending, Request(Action.REFUSE_SUSPENSION), clock())
    assert (change.to_status, change.fields) == ("dispatched", {"suspension_requested": None})


@pytest.mark.parametrize("action", sorted(PENDING))
def test_no_suspension_decision_without_a_request(action) -> None:
    with pytest.raises(Conflict):
        rules.decide(OFFICE, item("dispatched"), Request(action), clock())


@pytest.mark.parametrize("planned", [None, date(2026, 3, 10), date(2026, 3, 1)])
def test_a_planned_date_lies_after_today_in_the_city(planned) -> None:
    with pytest.raises(Invalid):
        rules.decide(
            STAFF,
            item("dispatched"),
            Request(Action.REQUEST_SUSPENSION, note="x", planned_date=planned),
            clock(),
        )


def test_a_note_has_a_length_limit() -> None:
    with pytest.raises(Invalid) as info:
        rules.decide(OFFICE, item("rectified"), Request(Action.REJECT, note="x" * 2001), clock())
    assert info.value.code == "note_too_long"


# --- overdue and buttons ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "overdue"),
    [
        ("dispatched", True),
        ("suspended", True),
        ("rectified", False),
        ("appealed", False),
        ("closed", False),
        ("voided", False),
        ("reported", False),
    ],
)
def test_overdue_is_derived_from_state_deadline_and_now(status, overdue) -> None:
    due = NOW - timedelta(seconds=1)
    assert rules.is_overdue(status, due, NOW) is overdue
    assert rules.is_overdue(status, NOW, NOW) is False  # due at this very moment is not yet late
    assert rules.is_overdue(status, None, NOW) is False


OTHER_SUBDISTRICT = Principal(6, "subdistrict", subdistrict_id=11)


def test_urge_is_for_the_items_own_subdistrict_and_the_office() -> None:
    overdue = state_for(Action.URGE, "dispatched")
    for who in (SUBDISTRICT, OFFICE, ADMIN):
        change = rules.decide(who, overdue, GOOD[Action.URGE], clock())
        assert (change.from_status, change.to_status, change.fields) == ("dispatched", "dispatched", {})
    with pytest.raises(Forbidden):
        rules.decide(OTHER_SUBDISTRICT, overdue, GOOD[Action.URGE], clock())


def test_urge_needs_an_overdue_item_and_a_note() -> None:
    on_time = item("dispatched", due_at=NOW + timedelta(hours=1))
    with pytest.raises(Conflict) as info:
        rules.decide(SUBDISTRICT, on_time, GOOD[Action.URGE], clock())
    assert info.value.code == "not_overdue"
    with pytest.raises(Invalid) as bad:
        rules.decide(
            SUBDISTRICT, state_for(Action.URGE, "suspended"), Request(Action.URGE, note=" "), clock()
        )
    assert bad.value.code == "note_required"


def test_urge_is_offered_only_when_overdue_now() -> None:
    overdue = item("dispatched", due_at=NOW - timedelta(minutes=1))
    assert rules.allowed_actions(SUBDISTRICT, overdue, NOW) == [Action.URGE]
    assert rules.allowed_actions(SUBDISTRICT, overdue) == []  # no clock given: no urge button
    assert rules.allowed_actions(SUBDISTRICT, overdue, NOW - timedelta(hours=1)) == []
    assert Action.URGE not in rules.allowed_actions(STAFF, overdue, NOW)
    assert rules.allowed_actions(OFFICE, overdue, NOW) == [Action.VOID, Action.URGE]


def test_allowed_actions_are_the_buttons_each_user_sees() -> None:
    assert rules.allowed_actions(STAFF, item("dispatched")) == [
        Action.RECTIFY,
        Action.APPEAL,
        Action.REQUEST_SUSPENSION,
    ]
    assert rules.allowed_actions(OFFICE, item("dispatched")) == [Action.VOID]
    pending = item("dispatched", suspension_requested=date(2026, 4, 30))
    assert rules.allowed_actions(OFFICE, pending) == [
        Action.VOID,
        Action.APPROVE_SUSPENSION,
        Action.REFUSE_SUSPENSION,
    ]
    assert rules.allowed_actions(OFFICE, item("rectified")) == [Action.ACCEPT, Action.REJECT, Action.VOID]
    assert rules.allowed_actions(OTHER_STAFF, item("dispatched")) == []
    assert rules.allowed_actions(SUBDISTRICT, item("dispatched")) == []
    assert rules.allowed_actions(INSPECTOR, item("dispatched")) == []
    assert rules.allowed_actions(INSPECTOR, item("rectified")) == [Action.ACCEPT, Action.REJECT]


# --- deadlines through the real working-day calendar -----------------------------------------------

CAL = WorkCalendar(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    workdays=frozenset({date(2026, 10, 10)}),
    loaded_years=frozenset({2026}),
)


def calendar_clock(now: datetime, deadline: str) -> Clock:
    spec = parse_deadline(deadline)
    return Clock(
        now=now,
        today=local_date(now, TZ),
        deadline_from=lambda t: due_at(spec, t, CAL, TZ),
        end_of_day=lambda d: end_of_local_day(d, TZ),
    )


def test_rework_deadline_skips_the_national_day_holiday_and_counts_the_make_up_saturday() -> None:
    # Rejected on Wed 09-30 at 15:00 local: 10-01..07 off; 10-08 Thu (1), 10-09 Fri (2), 10-10 Sat make-up (3).
    now = datetime(2026, 9, 30, 7, 0, tzinfo=UTC)
    change = rules.decide(
        OFFICE, item("rectified"), Request(Action.REJECT, note="no"), calendar_clock(now, "3wd")
    )
    assert change.fields["due_at"] == end_of_local_day(date(2026, 10, 10), TZ)


def test_assign_of_an_s1_item_counts_clock_hours_through_the_holiday() -> None:
    now = datetime(2026, 10, 2, 4, 0, tzinfo=UTC)
    change = rules.decide(
        OFFICE, item("reported"), Request(Action.ASSIGN, community_id=1), calendar_clock(now, "24h")
    )
    assert change.fields["due_at"] == now + timedelta(hours=24)


# --- after-photos that repeat an earlier photo ---------------------------------------------------------

BEFORE = [("a" * 64, "f0f0f0f0f0f0f0f0")]


@pytest.mark.parametrize(
    ("after", "reused"),
    [
        ([("a" * 64, "0000000000000000")], True),  # the same file
        ([("b" * 64, "f0f0f0f0f0f0f0f1")], True),  # the same picture, recompressed (1 bit)
        ([("b" * 64, "f0f0f0f0f0f0f000")], True),  # 4 bits: still the same picture
        ([("b" * 64, "f0f0f0f0f0f0f001")], False),  # 5 bits
        ([("b" * 64, "0f0f0f0f0f0f0f0f")], False),  # another picture
        ([("b" * 64, "0f0f0f0f0f0f0f0f"), ("c" * 64, "f0f0f0f0f0f0f0f0")], True),  # one of several
        ([], False),
    ],
)
def test_an_after_photo_that_repeats_an_earlier_one_is_noticed(after, reused) -> None:
    assert rules.reused_photo(BEFORE, after) is reused
