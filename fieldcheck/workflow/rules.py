"""The life of a report as rules over plain values: who may move it where, and what each move changes.

States::

    reported ──assign──▶ dispatched ──rectify──▶ rectified ──accept──▶ closed
                           ▲    │                    │
                           └────┼──────reject────────┘   (rework: new deadline, rework_count + 1)
                                ├─request_suspension─▶ (stays dispatched) ─approve─▶ suspended ──rectify──▶ rectified
                                └─appeal─▶ appealed ──uphold──▶ back where it was (deadline moved by the time it waited)
                                                     └─grant───▶ voided
    void: any open state ──▶ voided (office, with a reason)

Who: community staff of the report's community rectify, appeal and ask for a suspension; the office (and
admin) accept, reject, void, decide appeals, assign unassigned reports and decide suspensions; the
inspector who filed a report may also accept or reject its rectification on a revisit. Anyone else is
refused. The clock, the deadline arithmetic and the city's day are arguments, never read here.

Guards: a rectification needs at least one after-photo; a rejection, a void, an appeal, an appeal
decision and a suspension request need a note; a suspension's planned date lies after today (city day).

Overdue is derived, never stored: see ``is_overdue``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from ..errors import N_, Conflict, Forbidden, Invalid
from ..permissions import COMMUNITY, INSPECTOR, Place, Principal, is_staff_of_office
from ..status import AWAITING_FIX as _AWAITING_FIX
from ..status import Status

# The states as text, from the one list (fieldcheck.status).
REPORTED = Status.REPORTED.value
DISPATCHED = Status.DISPATCHED.value
RECTIFIED = Status.RECTIFIED.value
CLOSED = Status.CLOSED.value
VOIDED = Status.VOIDED.value
APPEALED = Status.APPEALED.value
SUSPENDED = Status.SUSPENDED.value

# The names people see (the same messages the pages use through web.status_label).
STATUS_NAMES = {
    REPORTED: N_("Awaiting assignment"),
    DISPATCHED: N_("To rectify"),
    RECTIFIED: N_("Awaiting verification"),
    CLOSED: N_("Closed"),
    VOIDED: N_("Voided"),
    APPEALED: N_("Under appeal"),
    SUSPENDED: N_("Suspended"),
}

OPEN = (REPORTED, DISPATCHED, RECTIFIED, APPEALED, SUSPENDED)
FINAL = (CLOSED, VOIDED)
# States in which the community owes a fix, so the deadline runs (one list: status.AWAITING_FIX).
AWAITING_FIX = _AWAITING_FIX

MAX_NOTE = 2000


class Action(StrEnum):
    RECTIFY = "rectify"
    ACCEPT = "accept"
    REJECT = "reject"
    VOID = "void"
    APPEAL = "appeal"
    UPHOLD = "uphold"
    GRANT = "grant"
    ASSIGN = "assign"
    REQUEST_SUSPENSION = "request_suspension"
    APPROVE_SUSPENSION = "approve_suspension"
    REFUSE_SUSPENSION = "refuse_suspension"


COMMUNITY_ACTIONS = frozenset({Action.RECTIFY, Action.APPEAL, Action.REQUEST_SUSPENSION})
OFFICE_ACTIONS = frozenset(Action) - COMMUNITY_ACTIONS
# Office moves the filing inspector may also make when revisiting the place.
REVISIT_ACTIONS = frozenset({Action.ACCEPT, Action.REJECT})

# The states each action may start from.
FROM_STATES: dict[Action, tuple[str, ...]] = {
    Action.RECTIFY: (DISPATCHED, SUSPENDED),
    Action.ACCEPT: (RECTIFIED,),
    Action.REJECT: (RECTIFIED,),
    Action.VOID: OPEN,
    Action.APPEAL: (DISPATCHED, RECTIFIED, SUSPENDED),
    Action.UPHOLD: (APPEALED,),
    Action.GRANT: (APPEALED,),
    Action.ASSIGN: (REPORTED,),
    Action.REQUEST_SUSPENSION: (DISPATCHED,),
    Action.APPROVE_SUSPENSION: (DISPATCHED,),
    Action.REFUSE_SUSPENSION: (DISPATCHED,),
}

NOTE_REQUIRED = frozenset(
    {Action.REJECT, Action.VOID, Action.APPEAL, Action.UPHOLD, Action.GRANT, Action.REQUEST_SUSPENSION}
)


@dataclass(frozen=True)
class Item:
    """What the rules read of a report."""

    status: str
    place: Place
    due_at: datetime | None = None
    rework_count: int = 0
    appeal_from: str | None = None
    appealed_at: datetime | None = None
    suspension_requested: date | None = None


@dataclass(frozen=True)
class Request:
    """One attempted move, as the user sent it."""

    action: Action
    note: str = ""
    photos: int = 0
    community_id: int | None = None
    planned_date: date | None = None


@dataclass(frozen=True)
class Clock:
    """The moment of the move and the city's deadline arithmetic, given from outside."""

    now: datetime
    today: date
    # The deadline of this report's item if it were dispatched at the given moment.
    deadline_from: Callable[[datetime], datetime | None]
    # The end of a local day (a suspension's deadline is the end of its planned date).
    end_of_day: Callable[[date], datetime]


@dataclass(frozen=True)
class Change:
    """The outcome of an allowed move: the new status, the columns to set and the event to append."""

    action: Action
    from_status: str
    to_status: str
    fields: dict = field(default_factory=dict)
    event_due_at: datetime | None = None


def may(p: Principal, action: Action, place: Place) -> bool:
    """Whether this user's role owns this move for a report at this place (whatever its state).

    Verifying a rectification also belongs to the inspector who filed the report, on a revisit.
    """
    if action in COMMUNITY_ACTIONS:
        return p.role == COMMUNITY and place.community_id is not None and place.community_id == p.community_id
    if action in REVISIT_ACTIONS and p.role == INSPECTOR:
        return place.filed_by is not None and place.filed_by == p.user_id
    return is_staff_of_office(p)


def allowed_actions(p: Principal, item: Item) -> list[Action]:
    """The moves this user could make on this item now (for showing the right buttons)."""
    out = []
    for action in Action:
        if not may(p, action, item.place) or item.status not in FROM_STATES[action]:
            continue
        pending = item.suspension_requested is not None
        if action is Action.REQUEST_SUSPENSION and pending:
            continue
        if action in (Action.APPROVE_SUSPENSION, Action.REFUSE_SUSPENSION) and not pending:
            continue
        out.append(action)
    return out


# dHash distance at or under which two photos show the same picture (recompressed, resized or cropped a little).
SAME_PICTURE_BITS = 4


def reused_photo(earlier: list[tuple[str, str]], after: list[tuple[str, str]]) -> bool:
    """Whether an after-photo is one of the report's earlier photos again: the same file (SHA-256) or the
    same picture (dHash within ``SAME_PICTURE_BITS``). Each photo is (sha256, phash); flagged, not refused,
    because the office decides (a photo taken from the same spot after the fix differs by far more bits).
    """
    for sha, phash in after:
        for old_sha, old_phash in earlier:
            if sha == old_sha or (int(phash, 16) ^ int(old_phash, 16)).bit_count() <= SAME_PICTURE_BITS:
                return True
    return False


def is_overdue(status: str, due_at: datetime | None, now: datetime) -> bool:
    """Overdue: the community still owes the fix (dispatched or suspended) and the deadline has passed.

    An appealed report is waiting for the office, not the community, so it is never overdue; a
    rectified one is waiting for verification.
    """
    return status in AWAITING_FIX and due_at is not None and now > due_at


def decide(p: Principal, item: Item, req: Request, clock: Clock) -> Change:
    """Check one move against role, state and guards, and say what it changes.

    Refusals, in this order: Forbidden when the role does not own the move for this place, Conflict
    (with the current state) when the state does not allow it, Invalid when a guard fails.
    """
    if not may(p, req.action, item.place):
        raise Forbidden(N_("You may not do this to this report."), code="not_allowed")
    if item.status not in FROM_STATES[req.action]:
        raise Conflict(
            N_("This report is now “%(status)s”; it cannot be changed that way."),
            code="wrong_state",
            details={"status": item.status},
            status=STATUS_NAMES.get(item.status, item.status),
        )
    note = req.note.strip()
    if req.action in NOTE_REQUIRED and not note:
        raise Invalid(N_("Write a note that explains this decision."), code="note_required")
    if len(note) > MAX_NOTE:
        raise Invalid(
            N_("The note is too long (at most %(max)s characters)."), code="note_too_long", max=MAX_NOTE
        )
    return _CHANGES[req.action](item, req, clock)


def _rectify(item: Item, req: Request, clock: Clock) -> Change:
    if req.photos < 1:
        raise Invalid(N_("Add at least one photo of the fixed problem."), code="no_photo")
    return Change(Action.RECTIFY, item.status, RECTIFIED, {"rectified_at": clock.now})


def _accept(item: Item, req: Request, clock: Clock) -> Change:
    return Change(Action.ACCEPT, item.status, CLOSED, {"closed_at": clock.now})


def _reject(item: Item, req: Request, clock: Clock) -> Change:
    """Back to the community as rework: a fresh deadline from now, and the rework counted."""
    due = clock.deadline_from(clock.now)
    fields = {"due_at": due, "rework_count": item.rework_count + 1, "dispatched_at": clock.now}
    return Change(Action.REJECT, item.status, DISPATCHED, fields, event_due_at=due)


def _void(item: Item, req: Request, clock: Clock) -> Change:
    return Change(Action.VOID, item.status, VOIDED, {"suspension_requested": None})


def _appeal(item: Item, req: Request, clock: Clock) -> Change:
    return Change(
        Action.APPEAL, item.status, APPEALED, {"appeal_from": item.status, "suspension_requested": None}
    )


def _uphold(item: Item, req: Request, clock: Clock) -> Change:
    """The report stands: back where it was, its deadline moved by the time the appeal waited.

    The community was not owed a decision on the fix while the office considered the appeal, so that
    time is added back; appealing cannot buy more time than the office takes to decide.
    """
    back = item.appeal_from or DISPATCHED
    due = item.due_at
    if due is not None and item.appealed_at is not None and back in AWAITING_FIX:
        due = due + (clock.now - item.appealed_at)
    return Change(Action.UPHOLD, item.status, back, {"appeal_from": None, "due_at": due}, event_due_at=due)


def _grant(item: Item, req: Request, clock: Clock) -> Change:
    return Change(Action.GRANT, item.status, VOIDED, {"appeal_from": None})


def _assign(item: Item, req: Request, clock: Clock) -> Change:
    if req.community_id is None:
        raise Invalid(N_("Choose the community this report belongs to."), code="no_community")
    due = clock.deadline_from(clock.now)
    fields = {"community_id": req.community_id, "dispatched_at": clock.now, "due_at": due}
    return Change(Action.ASSIGN, item.status, DISPATCHED, fields, event_due_at=due)


def _planned(req: Request, clock: Clock) -> date:
    if req.planned_date is None:
        raise Invalid(N_("Give the planned date for the fix."), code="no_planned_date")
    if req.planned_date <= clock.today:
        raise Invalid(N_("The planned date must be after today."), code="planned_date_past")
    return req.planned_date


def _request_suspension(item: Item, req: Request, clock: Clock) -> Change:
    if item.suspension_requested is not None:
        raise Conflict(
            N_("A suspension is already waiting for the office."),
            code="suspension_pending",
            details={"status": item.status},
        )
    return Change(
        Action.REQUEST_SUSPENSION, item.status, item.status, {"suspension_requested": _planned(req, clock)}
    )


def _approve_suspension(item: Item, req: Request, clock: Clock) -> Change:
    """The office approves the plan (or sets another date): the deadline becomes the end of that day."""
    if item.suspension_requested is None:
        raise Conflict(
            N_("No suspension was requested for this report."),
            code="no_suspension_request",
            details={"status": item.status},
        )
    planned = _planned(Request(req.action, planned_date=req.planned_date or item.suspension_requested), clock)
    due = clock.end_of_day(planned)
    fields = {"planned_date": planned, "due_at": due, "suspension_requested": None}
    return Change(Action.APPROVE_SUSPENSION, item.status, SUSPENDED, fields, event_due_at=due)


def _refuse_suspension(item: Item, req: Request, clock: Clock) -> Change:
    if item.suspension_requested is None:
        raise Conflict(
            N_("No suspension was requested for this report."),
            code="no_suspension_request",
            details={"status": item.status},
        )
    return Change(Action.REFUSE_SUSPENSION, item.status, item.status, {"suspension_requested": None})


_CHANGES: dict[Action, Callable[[Item, Request, Clock], Change]] = {
    Action.RECTIFY: _rectify,
    Action.ACCEPT: _accept,
    Action.REJECT: _reject,
    Action.VOID: _void,
    Action.APPEAL: _appeal,
    Action.UPHOLD: _uphold,
    Action.GRANT: _grant,
    Action.ASSIGN: _assign,
    Action.REQUEST_SUSPENSION: _request_suspension,
    Action.APPROVE_SUSPENSION: _approve_suspension,
    Action.REFUSE_SUSPENSION: _refuse_suspension,
}
