"""API routes for workflow moves on one report (registered on the api blueprint).

GET /reports/ID answers one report with the moves its reader may make. Each move takes JSON or form
fields, answers 200 with the whole report (its ordered events included) and refuses with the same
rules as the pages: 404 for a report the user may not see, 403 for a move their role does not own,
409 with the current status for a move the state does not allow or that lost a race, 400 for a
failed guard.
"""

from __future__ import annotations

from datetime import date

from flask import jsonify, request
from flask_login import current_user

from .. import permissions as perm
from ..api.describe import JSON_OR_FORM, MULTIPART, Answer, documented
from ..api.views import bp
from ..errors import N_, Invalid
from ..inputs import parse_position, parse_whole_number
from ..reports import serialize
from ..reports.filing import filing_context, uploaded_photos
from ..reports.schemas import Report
from ..types import utcnow
from ..web import current_principal
from . import schemas as s
from . import services
from .rules import Action
from .services import Move

# Versions count moves; anything beyond a 32-bit integer cannot be one.
MAX_VERSION = 2**31 - 1

DECISIONS = {
    "review": {"accept": Action.ACCEPT, "reject": Action.REJECT},
    "appeal/decide": {"uphold": Action.UPHOLD, "void": Action.GRANT},
    "suspension/decide": {"approve": Action.APPROVE_SUSPENSION, "refuse": Action.REFUSE_SUSPENSION},
}


def fields() -> dict:
    """The request's fields, from a JSON object or a form."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise Invalid(N_("Send a JSON object."), code="invalid_json")
        return data
    return request.form.to_dict()


def text(data: dict, *names: str) -> str:
    for name in names:
        value = data.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise Invalid(N_("%(field)s must be text."), code="invalid_" + name, field=name)
            if "\x00" in value:  # PostgreSQL refuses NUL in text; the web layer's guard refuses it first
                raise Invalid(
                    N_("%(field)s must not contain a NUL character."), code="invalid_" + name, field=name
                )
            return value
    return ""


def parse_move(action: Action, data: dict) -> Move:
    """Validate the common fields of a move; guards that depend on the report are the rules' job."""
    version = parse_whole_number(data.get("version"), "version", 0, MAX_VERSION, code="invalid_version")
    planned = text(data, "planned_date").strip() or None
    if planned is not None:
        try:
            planned = date.fromisoformat(planned)
        except ValueError:
            raise Invalid(
                N_("planned_date must be a date such as 2026-05-31."), code="invalid_planned_date"
            ) from None
    lat, lon = parse_position(data.get("lat"), data.get("lon"), code="invalid_location") or (None, None)
    return Move(
        action=action,
        note=text(data, "note", "reason"),
        community_code=text(data, "community").strip() or None,
        planned_date=planned,
        expected_version=version,
        lat=lat,
        lon=lon,
    )


def decision(kind: str, data: dict) -> Action:
    choices = DECISIONS[kind]
    value = text(data, "decision")
    if value not in choices:
        raise Invalid(
            N_("decision must be one of %(choices)s."), code="invalid_decision", choices=", ".join(choices)
        )
    return choices[value]


def answer(report_id: int, action: Action, data: dict, uploads: list[bytes] | None = None):
    ctx = filing_context()
    report = services.transition(current_user, report_id, parse_move(action, data), uploads or [], ctx)
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
    return answer(report_id, Action.RECTIFY, request.form.to_dict(), uploaded_photos())


@bp.post("/reports/<int:report_id>/review")
@move(
    "Verify a rectification: accept (→ closed) or reject with a note (→ dispatched, a new deadline, "
    "rework_count + 1)",
    "The office and admin, and the inspector who filed the report (on a revisit).",
    s.Review,
)
def review(report_id: int):
    data = fields()
    return answer(report_id, decision("review", data), data)


@bp.post("/reports/<int:report_id>/void")
@move("Void an open report (no points) with a reason", OFFICE, s.Reason)
def void(report_id: int):
    return answer(report_id, Action.VOID, fields())


@bp.post("/reports/<int:report_id>/appeal")
@move("Appeal a dispatched, rectified or suspended report with a reason (→ appealed)", COMMUNITY, s.Reason)
def appeal(report_id: int):
    return answer(report_id, Action.APPEAL, fields())


@bp.post("/reports/<int:report_id>/appeal/decide")
@move(
    "Decide an appeal: uphold (back where it was, the deadline moved by the time the appeal waited) or "
    "void, with a note",
    OFFICE,
    s.DecideAppeal,
)
def decide_appeal(report_id: int):
    data = fields()
    return answer(report_id, decision("appeal/decide", data), data)


@bp.post("/reports/<int:report_id>/assign")
@move(
    "Assign an unassigned report (outside every boundary) to a community: dispatched, deadline from now",
    OFFICE,
    s.Assign,
)
def assign(report_id: int):
    return answer(report_id, Action.ASSIGN, fields())


@bp.post("/reports/<int:report_id>/suspension")
@move(
    "Ask for a suspension (挂账) of a dispatched report until a planned date, with a reason",
    COMMUNITY,
    s.AskSuspension,
)
def request_suspension(report_id: int):
    return answer(report_id, Action.REQUEST_SUSPENSION, fields())


@bp.post("/reports/<int:report_id>/suspension/decide")
@move(
    "Decide a suspension request: approve (→ suspended, deadline the end of the planned date; the office "
    "may set another date) or refuse",
    OFFICE,
    s.DecideSuspension,
)
def decide_suspension(report_id: int):
    data = fields()
    return answer(report_id, decision("suspension/decide", data), data)
