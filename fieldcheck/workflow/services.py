"""Moving reports through the workflow: one service for the pages and the API.

A move is decided by the pure rules (``rules.decide``) on what the request read, with nothing locked;
after-photos are processed and their files written (content-addressed) before any row. Then one unit
of work (``unit_of_work.writing``): a single guarded UPDATE of the report (``WHERE version = <the
version this request read>``), the event and the photo rows, one commit. Two people acting on the same
report at once: the UPDATE of the second matches no row, so it answers 409 with the state the first
left, and no row of it is kept.

Nothing here deletes a photo file: a move that fails after writing its after-photos leaves them
unreferenced, for the sweeper (``fieldcheck blobs check --sweep``), because another request may be
about to commit a row referring to the same content (see ``fieldcheck.reports.services``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, func, select, update

from ..auth.models import User
from ..calendar import end_of_local_day, local_date
from ..checklist.models import ChecklistItem
from ..errors import N_, Conflict, DomainError, Invalid, NotFound
from ..extensions import db
from ..geography.models import Community
from ..permissions import can_view_place, principal_of
from ..reports import queries
from ..reports.models import Event, Photo, Report
from ..reports.services import (
    Context,
    deadline_for,
    photo_row,
    process_photos,
    write_photo_files,
)
from ..types import utcnow
from ..unit_of_work import writing
from . import rules
from .rules import Action, Clock, Item, Request

MAX_AFTER_PHOTOS = 9
# Set on a report whose after-photo repeats one of its earlier photos, for the office to look at.
REUSED_PHOTO_FLAG = "after_photo_reused"


@dataclass(frozen=True)
class Move:
    """One move as the user asked for it (plain values from a form or a JSON body)."""

    action: Action
    note: str = ""
    community_code: str | None = None
    planned_date: date | None = None
    # The report version the user was looking at; a stale one loses with 409.
    expected_version: int | None = None
    lat: float | None = None
    lon: float | None = None


# Built once: every move runs it (see ``auth.lookups``).
_LAST_SEQ = select(func.max(Event.seq)).where(Event.report_id == bindparam("report_id"))


def visible(user: User, report_id: int) -> Report:
    """The report, or 404 when it does not exist or this user may not know it does."""
    report = db.session.get(Report, report_id)
    if report is None or not can_view_place(principal_of(user), queries.place_of(report)):
        raise NotFound(N_("Not found."))
    return report


def item_of(report: Report) -> Item:
    return Item(
        status=report.status,
        place=queries.place_of(report),
        due_at=report.due_at,
        rework_count=report.rework_count,
        appeal_from=report.appeal_from,
        appealed_at=_last_appeal_at(report) if report.status == rules.APPEALED else None,
        suspension_requested=report.suspension_requested,
    )


def clock_for(report: Report, ctx: Context) -> Clock:
    """The move's clock. The report's item, its checklist version and the work calendar are read only by
    a move that sets a deadline (reject, assign): most moves need none of them."""

    def deadline_from(moment: datetime) -> datetime | None:
        item: ChecklistItem = report.item
        return deadline_for(item.version.settings, item.severity, moment, ctx.tz, ctx.calendar)

    return Clock(
        now=ctx.now,
        today=local_date(ctx.now, ctx.tz),
        deadline_from=deadline_from,
        end_of_day=lambda day: end_of_local_day(day, ctx.tz),
    )


def allowed_actions(user: User, report: Report) -> list[Action]:
    return rules.allowed_actions(principal_of(user), item_of(report), utcnow())


def transition(user: User, report_id: int, move: Move, uploads: list[bytes], ctx: Context) -> Report:
    """Make one move on one report, or refuse it with 403/404/409/400 and leave everything as it was."""
    report = visible(user, report_id)
    read_version = report.version
    if move.expected_version is not None and move.expected_version != read_version:
        raise _stale(report)
    if len(uploads) > MAX_AFTER_PHOTOS:
        raise Invalid(N_("Send at most %(max)s photos."), code="too_many_photos", max=MAX_AFTER_PHOTOS)
    community_id = _community_id(move.community_code) if move.action is Action.ASSIGN else None
    request = Request(
        move.action,
        note=move.note,
        photos=len(uploads),
        community_id=community_id,
        planned_date=move.planned_date,
    )
    change = rules.decide(principal_of(user), item_of(report), request, clock_for(report, ctx))
    processed = process_photos(uploads, ctx.max_pixels) if uploads else []
    fields = dict(change.fields)
    if processed:  # the report's photos are read only to check after-photos (not for an accept or a void)
        earlier = [(p.sha256, p.phash) for p in report.photos]
        if rules.reused_photo(earlier, [(p.sha256, p.phash) for p in processed]):
            fields["flags"] = sorted({*(report.flags or []), REUSED_PHOTO_FLAG})
    write_photo_files(list(zip(processed, uploads, strict=True)), ctx.storage)
    try:
        with writing() as session:
            won = session.execute(
                update(Report)
                .where(Report.id == report.id, Report.version == read_version)
                .values(status=change.to_status, version=read_version + 1, **fields)
                .execution_options(synchronize_session=False)
            ).rowcount
            if won != 1:
                raise _Lost
            seq = session.scalar(_LAST_SEQ, {"report_id": report.id}) or 0
            event = Event(
                report_id=report.id,
                seq=seq + 1,
                actor_id=user.id,
                at=ctx.now,
                action=change.action.value,
                from_status=change.from_status,
                to_status=change.to_status,
                note=move.note.strip(),
                lat=move.lat,
                lon=move.lon,
                due_at=change.event_due_at,
            )
            session.add(event)
            for p in processed:
                photo = photo_row(p, "after")
                photo.report_id = report.id
                photo.event = event
                session.add(photo)
    except _Lost:
        raise _stale(db.session.get(Report, report_id, populate_existing=True)) from None
    db.session.expire(report)
    return report


# At most this many reports in one bulk review.
MAX_BULK = 200


@dataclass(frozen=True)
class Outcome:
    """One report of a bulk move: its status after the move, or the refusal it met."""

    report_id: int
    status: str | None = None
    error: DomainError | None = None


def transition_many(
    user: User, items: list[tuple[int, int | None]], action: Action, note: str, ctx: Context
) -> list[Outcome]:
    """The same move on many reports, each (id, expected version) its own transition and unit of work:
    one refused or lost race never undoes another. Photo-less moves only (accept, reject)."""
    out = []
    for report_id, version in items:
        try:
            report = transition(user, report_id, Move(action, note=note, expected_version=version), [], ctx)
        except DomainError as e:
            out.append(Outcome(report_id, error=e))
        else:
            out.append(Outcome(report_id, status=report.status))
    return out


class _Lost(Exception):
    """The guarded UPDATE matched no row: someone else moved the report since this request read it."""


def _stale(current: Report) -> Conflict:
    return Conflict(
        N_(
            "Someone else changed this report a moment ago; it is now \u201c%(status)s\u201d. Reload and check."
        ),
        code="stale",
        details={"status": current.status, "version": current.version},
        status=rules.STATUS_NAMES.get(current.status, current.status),
    )


def _community_id(code: str | None) -> int | None:
    if not code:
        return None
    community_id = db.session.scalar(select(Community.id).where(Community.code == code))
    if community_id is None:
        raise Invalid(N_("Unknown community %(community)s."), code="unknown_community", community=code)
    return community_id


def _last_appeal_at(report: Report) -> datetime | None:
    return db.session.scalar(
        select(func.max(Event.at)).where(Event.report_id == report.id, Event.action == Action.APPEAL.value)
    )


def after_photos(report: Report) -> list[Photo]:
    return [p for p in report.photos if p.kind == "after"]
