"""Who is told what about an event: the pure rules over plain values."""

from __future__ import annotations

import pytest

from fieldcheck.notify import rules
from fieldcheck.notify.rules import EventFacts, Notice, Recipient, ReportFacts

INSPECTOR, STAFF, OFFICER = 1, 2, 3
REPORT = ReportFacts(id=10, inspector_id=INSPECTOR, community_id=7)
COMMUNITY = Recipient(rules.COMMUNITY, 7)
THE_INSPECTOR = Recipient(rules.USER, INSPECTOR)
OFFICE = Recipient(rules.OFFICE)


def told(action, actor=OFFICER, report=REPORT):
    return rules.notices_for(EventFacts(action=action, actor_id=actor), report)


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        ("dispatch", "dispatched"),
        ("assign", "dispatched"),
        ("reject", "rework"),
        ("uphold", "appeal_upheld"),
        ("approve_suspension", "suspension_approved"),
        ("refuse_suspension", "suspension_refused"),
        ("urge", "urged"),
    ],
)
def test_community_staff_hear_of_work_and_decisions(action, kind):
    assert told(action) == [Notice(COMMUNITY, kind)]


def test_a_dispatch_on_filing_comes_from_the_inspector_and_still_reaches_the_community():
    assert told("dispatch", actor=INSPECTOR) == [Notice(COMMUNITY, "dispatched")]


def test_a_voided_report_is_told_to_its_inspector():
    assert told("void") == [Notice(THE_INSPECTOR, "voided")]
    assert told("grant") == [Notice(COMMUNITY, "appeal_granted"), Notice(THE_INSPECTOR, "voided")]


def test_a_rectification_waits_for_the_inspectors_revisit_and_the_offices_verification():
    notices = told("rectify", actor=STAFF)
    assert notices == [Notice(THE_INSPECTOR, "revisit_waiting"), Notice(OFFICE, "verification_waiting")]
    assert [n.digest for n in notices] == [False, True]


def test_the_office_gets_appeals_suspension_requests_and_unassigned_reports_as_digests():
    assert told("appeal", actor=STAFF) == [Notice(OFFICE, "appeal_waiting")]
    assert told("request_suspension", actor=STAFF) == [Notice(OFFICE, "suspension_waiting")]
    unassigned = ReportFacts(id=11, inspector_id=INSPECTOR, community_id=None)
    assert told("file", actor=INSPECTOR, report=unassigned) == [Notice(OFFICE, "unassigned")]
    assert all(n.digest for n in told("appeal", actor=STAFF))


def test_filing_in_a_community_says_nothing_by_itself():
    assert told("file", actor=INSPECTOR) == []


def test_nobody_is_told_of_their_own_move():
    # The inspector accepting on a revisit, or voiding is not possible for them; an inspector's own void
    # (as admin) would not be told back.
    assert told("void", actor=INSPECTOR) == []
    assert told("accept") == []


def test_a_report_without_a_community_tells_no_community():
    report = ReportFacts(id=12, inspector_id=INSPECTOR, community_id=None)
    assert told("reject", report=report) == []


def test_every_kind_has_a_title():
    kinds = {
        n.kind
        for a in (
            "dispatch",
            "reject",
            "uphold",
            "grant",
            "approve_suspension",
            "refuse_suspension",
            "urge",
            "void",
            "rectify",
            "appeal",
            "request_suspension",
        )
        for n in told(a, actor=99)
    }
    kinds.add("unassigned")
    assert kinds <= set(rules.TITLES)


def test_reminders_go_to_the_community_and_a_new_overdue_item_to_its_subdistrict():
    assert rules.reminder_notices("due_soon", 7, 3) == [Notice(COMMUNITY, "due_soon")]
    assert rules.reminder_notices("overdue", 7, 3) == [
        Notice(COMMUNITY, "overdue"),
        Notice(Recipient(rules.SUBDISTRICT, 3), "new_overdue"),
    ]
    assert rules.reminder_notices("overdue", None, 3) == []
