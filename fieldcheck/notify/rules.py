"""Who is told what about an event, as rules over plain values (no Flask, no database).

- Community staff: a report dispatched to their community (on filing or by assignment), a rejection
  (rework, with the office's note), an appeal or a suspension decided, an urge (督办).
- Inspectors: a report of theirs voided (by the office, or by granting the community's appeal); a
  rectification of theirs waiting for their revisit.
- Office: rectifications waiting for verification, appeals, suspension requests and unassigned reports,
  as a digest (at most hourly on the robots; at once in the inbox).

- Reminders (written by the scheduler, not by a move): community staff of a deadline within 24 hours
  (S0/S1: 2 hours) and of an overdue item; sub-district staff of each new overdue item and, daily, of
  all their communities' overdue items; the office of a month ready to publish.

Nobody is told of their own move.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import N_

USER = "user"
COMMUNITY = "community"
SUBDISTRICT = "subdistrict"
OFFICE = "office"

# Kind -> the title people see (English msgid; the inbox translates it, the robots speak Chinese).
TITLES = {
    "dispatched": N_("New report to rectify"),
    "rework": N_("Rectification rejected: please rework"),
    "appeal_upheld": N_("Appeal refused: the report stands"),
    "appeal_granted": N_("Appeal granted: the report is voided"),
    "suspension_approved": N_("Suspension approved"),
    "suspension_refused": N_("Suspension refused"),
    "urged": N_("Urged: please rectify this overdue item"),
    "voided": N_("A report of yours was voided"),
    "revisit_waiting": N_("Rectified: waiting for your revisit"),
    "verification_waiting": N_("Rectification waiting for verification"),
    "appeal_waiting": N_("Appeal waiting for a decision"),
    "suspension_waiting": N_("Suspension request waiting for a decision"),
    "unassigned": N_("Report waiting for assignment"),
    "due_soon": N_("Deadline approaching"),
    "overdue": N_("Overdue: please rectify now"),
    "new_overdue": N_("New overdue item"),
    "overdue_digest": N_("Daily digest: overdue items"),
    "month_ready": N_("Month ready to publish"),
}
# Kinds the robots and e-mail send as an hourly digest rather than at once.
DIGEST_KINDS = frozenset({"verification_waiting", "appeal_waiting", "suspension_waiting", "unassigned"})


@dataclass(frozen=True)
class EventFacts:
    action: str
    actor_id: int
    from_status: str | None = None
    to_status: str = ""


@dataclass(frozen=True)
class ReportFacts:
    id: int
    inspector_id: int
    community_id: int | None = None


@dataclass(frozen=True)
class Recipient:
    """A user, or everyone (and every robot) of a community, a sub-district or the office."""

    scope: str
    id: int | None = None


@dataclass(frozen=True)
class Notice:
    recipient: Recipient
    kind: str

    @property
    def digest(self) -> bool:
        return self.kind in DIGEST_KINDS


def notices_for(event: EventFacts, report: ReportFacts) -> list[Notice]:
    """What this event tells whom (in a stable order)."""
    community = Recipient(COMMUNITY, report.community_id) if report.community_id is not None else None
    inspector = Recipient(USER, report.inspector_id) if report.inspector_id != event.actor_id else None
    office = Recipient(OFFICE)
    to_community = {
        "dispatch": "dispatched",
        "assign": "dispatched",
        "reject": "rework",
        "uphold": "appeal_upheld",
        "grant": "appeal_granted",
        "approve_suspension": "suspension_approved",
        "refuse_suspension": "suspension_refused",
        "urge": "urged",
    }
    out: list[Notice] = []
    action = event.action
    if action in to_community and community is not None:
        out.append(Notice(community, to_community[action]))
    if action in ("void", "grant") and inspector is not None:
        out.append(Notice(inspector, "voided"))
    if action == "rectify":
        if inspector is not None:
            out.append(Notice(inspector, "revisit_waiting"))
        out.append(Notice(office, "verification_waiting"))
    elif action == "appeal":
        out.append(Notice(office, "appeal_waiting"))
    elif action == "request_suspension":
        out.append(Notice(office, "suspension_waiting"))
    elif action == "file" and report.community_id is None:
        out.append(Notice(office, "unassigned"))
    return out


def reminder_notices(kind: str, community_id: int | None, subdistrict_id: int | None) -> list[Notice]:
    """A deadline reminder ('due_soon' or 'overdue') of a report of ``community_id``."""
    if community_id is None:
        return []
    out = [Notice(Recipient(COMMUNITY, community_id), kind)]
    if kind == "overdue" and subdistrict_id is not None:
        out.append(Notice(Recipient(SUBDISTRICT, subdistrict_id), "new_overdue"))
    return out
