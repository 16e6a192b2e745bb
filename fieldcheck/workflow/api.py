"""API routes for workflow moves on one report (registered on the api blueprint).

GET /reports/ID answers one report with the moves its reader may make. Each move takes JSON or form
fields, answers 200 with the whole report (its ordered events included) and refuses with the same
rules as the pages: 404 for a report the user may not see, 403 for a move their role does not own,
409 with the current status for a move the state does not allow or that lost a race, 400 for a
failed guard.
"""

from __future__ import annotations

from typing import TypeVar

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions as perm
from ..api import parse
from ..api.describe import JSON_OR_FORM, MULTIPART, Answer, documented
from ..api.views import bp
from ..errors import N_, DomainError
from ..reports import serialize
from ..reports.filing import filing_context, uploaded_photos
from ..reports.schemas import Report
from ..types import utcnow
from ..web import current_principal
from . import schemas as s
from . import services
from .rules import Action
from .services import Move

M = TypeVar("M", bound=s.Move)

DECISIONS = {
    "accept": Action.ACCEPT,
    "reject": Action.REJECT,
    "uphold": Action.UPHOLD,
    "void": Action.GRANT,
    "approve": Action.APPROVE_SUSPENSION,
    "refuse": Action.REFUSE_SUSPENSION,
}
# A move's refusals: invalid_FIELD (invalid_version, invalid_decision, ...), invalid_location for the
# position, invalid_json for a body that is not an object.
MOVE_ERRORS = {
    "code": "invalid_{field}",
    "codes": {"lat": "invalid_location", "lon": "invalid_location", "": "invalid_location"},
    "not_object": ("invalid_json", N_("Send a JSON object.")),
}


def fields(model: type[M]) -> M:
    """The move's fields, from a JSON object or a form, as the route's documented model."""
    return parse.body(model, form=True, **MOVE_ERRORS)


def to_move(action: Action, sent: s.Move) -> Move:
    """The move the fields ask for; guards that depend on the report are the rules' job."""
    community = getattr(sent, "community", None)
    return Move(
        action=action,
        note=getattr(sent, "note", None) or getattr(sent, "reason", None) or "",
        community_code=community.strip() or None if community is not None else None,
        planned_date=getattr(sent, "planned_date", None),
        expected_version=sent.version,
        lat=sent.lat,
        lon=sent.lon,
    )


def answer(report_id: int, action: Action, sent: s.Move, uploads: list[bytes] | None = None):
    ctx = filing_context()
    report = services.transition(current_user, report_id, to_move(action, sent), uploads or [], ctx)
    p = current_principal()
    body = serialize.report(
        report,
        now=ctx.now,
        originals=perm.can_view_originals(p),
        actions=services.allowed_actions(current_user, report),
    )
    return jsonify(body)


def move(summary: str, who: str, body: type[s.Move], media: tuple[str, ...] = JSON_OR_FORM):
    """One workflow move: JSON (or form) body, 200 with the whole report, the same refusals everywhere."""
    return documented(
        summary,
        description=who + " 404 when the user may not see the report; 403 when the user may see it but this "
        "move is not theirs; 409 with error.status (and error.version) when the report's state does not allow "
        "the move (code wrong_state) or another user changed it first (code stale); 400 when a guard fails "
        "(no_photo, note_required, note_too_long, no_planned_date, planned_date_past, invalid_decision, "
        "invalid_planned_date, invalid_version, invalid_location, unknown_community, photo_*); 503 "
        "(storage_unavailable) when photo storage fails, with nothing changed.",
        body=body,
        media=media,
        body_required=True,
        responses={
            200: Answer("the report after the move, with its events and the reader's actions", Report)
        },
        errors=(400, 401, 403, 404, 409, 503),
    )


COMMUNITY = "Community staff of the report's own community."
OFFICE = "The office and admin."


@bp.get("/reports/<int:report_id>")
@documented(
    "One report with its location, photos (with EXIF and URLs) and events, and the actions the user may "
    "take; 404 when it does not exist or the user may not see it",
    responses={200: Answer("the report", Report)},
    errors=(404,),
)
def get_report(report_id: int):
    """One report with its events, photos and the moves this user may make; 404 when not theirs to see."""
    report = services.visible(current_user, report_id)
    return jsonify(
        serialize.report(
            report,
            now=utcnow(),
            originals=perm.can_view_originals(current_principal()),
            actions=services.allowed_actions(current_user, report),
        )
    )


@bp.post("/reports/<int:report_id>/rectify")
@move(
    "Mark a dispatched or suspended report rectified, with after-photos (dispatched → rectified)",
    COMMUNITY,
    s.Rectify,
    MULTIPART,
)
def rectify(report_id: int):
    photos = uploaded_photos()
    sent = parse.validated(s.Rectify, {**request.form.to_dict(), "photos": photos}, **MOVE_ERRORS)
    return answer(report_id, Action.RECTIFY, sent, photos)


@bp.post("/reports/<int:report_id>/review")
@move(
    "Verify a rectification: accept (→ closed) or reject with a note (→ dispatched, a new deadline, "
    "rework_count + 1)",
    "The office and admin, and the inspector who filed the report (on a revisit).",
    s.Review,
)
def review(report_id: int):
    sent = fields(s.Review)
    return answer(report_id, DECISIONS[sent.decision], sent)


@bp.post("/reports/<int:report_id>/void")
@move("Void an open report (no points) with a reason", OFFICE, s.Reason)
def void(report_id: int):
    return answer(report_id, Action.VOID, fields(s.Reason))


@bp.post("/reports/<int:report_id>/appeal")
@move("Appeal a dispatched, rectified or suspended report with a reason (→ appealed)", COMMUNITY, s.Reason)
def appeal(report_id: int):
    return answer(report_id, Action.APPEAL, fields(s.Reason))


@bp.post("/reports/<int:report_id>/appeal/decide")
@move(
    "Decide an appeal: uphold (back where it was, the deadline moved by the time the appeal waited) or "
    "void, with a note",
    OFFICE,
    s.DecideAppeal,
)
def decide_appeal(report_id: int):
    sent = fields(s.DecideAppeal)
    return answer(report_id, DECISIONS[sent.decision], sent)


@bp.post("/reports/<int:report_id>/assign")
@move(
    "Assign an unassigned report (outside every boundary) to a community: dispatched, deadline from now",
    OFFICE,
    s.Assign,
)
def assign(report_id: int):
    return answer(report_id, Action.ASSIGN, fields(s.Assign))


@bp.post("/reports/<int:report_id>/suspension")
@move(
    "Ask for a suspension (挂账) of a dispatched report until a planned date, with a reason",
    COMMUNITY,
    s.AskSuspension,
)
def request_suspension(report_id: int):
    return answer(report_id, Action.REQUEST_SUSPENSION, fields(s.AskSuspension))


@bp.post("/reports/<int:report_id>/suspension/decide")
@move(
    "Decide a suspension request: approve (→ suspended, deadline the end of the planned date; the office "
    "may set another date) or refuse",
    OFFICE,
    s.DecideSuspension,
)
def decide_suspension(report_id: int):
    sent = fields(s.DecideSuspension)
    return answer(report_id, DECISIONS[sent.decision], sent)


@bp.post("/reports/<int:report_id>/urge")
@move(
    "Urge (督办) an overdue report with a note: its state and deadline stay, the community is told "
    "(409 not_overdue when it is not overdue)",
    "Sub-district staff of the report's sub-district, the office and admin.",
    s.Urge,
)
def urge(report_id: int):
    return answer(report_id, Action.URGE, fields(s.Urge))


def result(outcome: services.Outcome) -> dict:
    if outcome.error is None:
        return {"id": outcome.report_id, "status": outcome.status}
    e: DomainError = outcome.error
    return {"id": outcome.report_id, "error": {"code": e.code, "message": e.translated(_), **e.details}}


@bp.post("/reviews")
@documented(
    "Verify many rectifications at once (at most 200): accept, or reject with one note for all",
    description="Each report is its own move, as POST /reports/ID/review: one refused (not_found, "
    "not_allowed, wrong_state, stale, note_required ...) never undoes another. 200 with one result per "
    "report, in the order sent; 400 (invalid_body) when the body does not fit.",
    body=s.BulkReview,
    body_required=True,
    responses={200: s.ReviewResults},
)
def bulk_review():
    body = parse.body(s.BulkReview, code="invalid_body")
    action = Action.ACCEPT if body.decision == "accept" else Action.REJECT
    items = [(r.id, r.version) for r in body.reports]
    outcomes = services.transition_many(current_user, items, action, body.note or "", filing_context())
    return jsonify({"results": [result(o) for o in outcomes]})
