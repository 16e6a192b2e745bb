"""Pages for rectification and verification (community, sub-district and office staff).

One page per report (GET /reports/ID, for everyone who may see it) shows only the forms of the moves
``services.allowed_actions`` gives the reader. Each form posts to POST /reports/ID/<action>, carries
the CSRF token and the report version the page showed, and goes through ``services.transition`` like
the API. A move that works redirects (Post/Redirect/Get) with a flashed confirmation; a refused one
shows the report page again with the message and the refusal's status (400, 403, 409), and a report
the user may not see answers 404. The office's queues list reports waiting for one kind of decision,
with the same forms inline.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from .. import paging, settings
from .. import permissions as perm
from ..api import parse
from ..auth.redirects import safe_next
from ..calendar import local_date, local_text
from ..errors import N_, DomainError, Invalid, NotFound
from ..formats import time_left
from ..map import minimaps
from ..reports import search
from ..reports.filing import filing_context, uploaded_photos
from ..types import utcnow
from ..web import current_principal, require
from . import queries, rules, schemas, services
from .api import MOVE_ERRORS, to_move
from .rules import Action

bp = Blueprint("workflow", __name__)

# What the timeline calls each event (filing and dispatch are written by the reports service).
EVENT_NAMES = {
    "file": N_("Filed"),
    "dispatch": N_("Dispatched to the community"),
    Action.RECTIFY.value: N_("Rectified"),
    Action.ACCEPT.value: N_("Accepted: closed"),
    Action.REJECT.value: N_("Rejected: back for rework"),
    Action.VOID.value: N_("Voided"),
    Action.APPEAL.value: N_("Appealed"),
    Action.UPHOLD.value: N_("Appeal refused: the report stands"),
    Action.GRANT.value: N_("Appeal granted: voided"),
    Action.ASSIGN.value: N_("Assigned to a community"),
    Action.REQUEST_SUSPENSION.value: N_("Suspension requested"),
    Action.APPROVE_SUSPENSION.value: N_("Suspension approved"),
    Action.REFUSE_SUSPENSION.value: N_("Suspension refused"),
    Action.URGE.value: N_("Urged (overdue)"),
}

# The flashed confirmation of each move.
DONE = {
    Action.RECTIFY: N_("Marked as rectified; the office will verify it."),
    Action.ACCEPT: N_("Accepted: the report is closed."),
    Action.REJECT: N_("Rejected: the report is back with the community for rework."),
    Action.VOID: N_("The report is voided."),
    Action.APPEAL: N_("Your appeal has been sent to the office."),
    Action.UPHOLD: N_("Appeal refused: the report stands."),
    Action.GRANT: N_("Appeal granted: the report is voided."),
    Action.ASSIGN: N_("Assigned: the community can see it now."),
    Action.REQUEST_SUSPENSION: N_("Suspension requested; the office will decide."),
    Action.APPROVE_SUSPENSION: N_("Suspension approved with the planned date."),
    Action.REFUSE_SUSPENSION: N_("Suspension refused: the deadline stands."),
    Action.URGE: N_("Urge sent: the community has been told."),
}

LOCATION_SOURCES = {
    "device": N_("phone position"),
    "exif": N_("photo GPS"),
    "manual": N_("chosen by hand"),
}

# Why a report deserves a second look (set when it is filed or rectified).
FLAG_NAMES = {
    "exif_far": N_("Photo GPS over 200 m from the phone's position"),
    "photo_old": N_("Photo taken over 24 hours before filing"),
    "manual_location": N_("Location chosen by hand"),
    "outside_boundaries": N_("Outside every community"),
    "community_chosen": N_("Community chosen by hand differs from the position's"),
    "late_filing": N_("Filed late: received long after it was observed"),
    services.REUSED_PHOTO_FLAG: N_("An after-photo repeats an earlier photo of this report"),
}

# Who found a problem, as community and sub-district staff see it when the office keeps inspectors
# unnamed (unannounced inspection; fieldcheck/settings.py).
LEVEL_NAMES = {
    "third_party": N_("Third-party assessment"),
    "city": N_("City inspection"),
    "district": N_("District inspection"),
    "subdistrict": N_("Sub-district self-check"),
}

#: Cards a queue page shows. Each verify card carries its before and after photos: at 1,000,000 reports 50
#: cards made a 144 KB page (117 ms p50, 283 ms p95 in bench/lists.py); 25 keep a phone's page light.
QUEUE_PAGE = 25
#: The queue pages' filters (GET parameters, as ``reports.search.parse_filter`` reads them).
QUEUE_FILTERS = ("subdistrict", "community", "item")

QUEUE_TITLES = {
    "verify": N_("To verify"),
    "appeals": N_("Appeals"),
    "unassigned": N_("Unassigned"),
    "suspensions": N_("Suspension requests"),
}


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


@bp.app_context_processor
def helpers():
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    return {
        "time_left": time_left,
        "days_late": rules.days_late,
        "event_label": lambda action: _(EVENT_NAMES[action]) if action in EVENT_NAMES else action,
        "location_source_label": lambda s: _(LOCATION_SOURCES[s]) if s in LOCATION_SOURCES else s,
        "flag_label": lambda f: _(FLAG_NAMES[f]) if f in FLAG_NAMES else f,
        "local_datetime": lambda dt: local_text(dt, tz),
        "inspector_of": inspector_of,
        "actor_of": actor_of,
        "report_url": report_url,
    }


def current_path() -> str:
    """The page being shown, path and query, for a link that should lead back here."""
    return request.script_root + request.full_path.rstrip("?")


def report_url(report_id: int) -> str:
    """A report's page, with the list it is opened from as ``back`` (its 返回列表 link leads there)."""
    return url_for("workflow.item", report_id=report_id, back=current_path())


def _back() -> str | None:
    """The validated list to go back to (``back`` in the query, or in a form posted from the page)."""
    return safe_next(request.values.get("back"))


def _queue_of(target: str | None) -> str | None:
    """The office queue a ``next`` address names, if it names one."""
    if not target:
        return None
    path = urlsplit(target).path.removeprefix(request.script_root) or "/"
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return args.get("name") if endpoint == "workflow.office_queue" else None


def _person(user) -> str:
    return user.display_name or user.username


def inspector_of(report) -> str:
    """The inspector's name, or the level that found the problem where the reader may not know who."""
    if settings.disclosure_for(current_principal()).inspector:
        return _person(report.inspector)
    return _(LEVEL_NAMES[report.found_by]) if report.found_by in LEVEL_NAMES else ""


def actor_of(event, report) -> str:
    """Who made a move; an inspector (on a revisit too) is named only where ``inspector_of`` names one."""
    if event.actor.role != perm.INSPECTOR or settings.disclosure_for(current_principal()).inspector:
        return _person(event.actor)
    level = report.found_by if event.actor_id == report.inspector_id else event.actor.level
    return _(LEVEL_NAMES[level]) if level in LEVEL_NAMES else _("Inspector")


def _item_page(report_id: int, *, error: str | None = None, failed: str | None = None, status: int = 200):
    report = services.visible(current_user, report_id)
    report = queries.report_page(report.id)
    now = utcnow()
    p = current_principal()
    actions = services.allowed_actions(current_user, report)
    context = {
        "report": report,
        "row": queries.Row(report, rules.is_overdue(report.status, report.due_at, now), tuple(actions)),
        "now": now,
        "actions": actions,
        "originals": perm.can_view_originals(p),
        "subdistricts": queries.subdistricts_with_communities() if Action.ASSIGN in actions else [],
        "tomorrow": local_date(now, _tz()) + timedelta(days=1),
        "error": error,
        "failed": failed,
        "failed_id": report.id,
        "form": request.form if failed else {},
        "back": _back(),
        "minimap": minimaps.report_map(report, p, assigning=Action.ASSIGN in actions),
    }
    page = make_response(render_template("workflow/item.html", **context), status)
    return minimaps.allow_tiles(page, context["minimap"] and context["minimap"]["tiles"])


@bp.get("/reports/<int:report_id>")
@login_required
def item(report_id: int):
    return _item_page(report_id)


@bp.post("/reports/<int:report_id>/<action>")
@login_required
def act(report_id: int, action: str):
    try:
        move_action = Action(action)
    except ValueError:
        abort(404)
    uploads = uploaded_photos() if move_action is Action.RECTIFY else []
    try:
        form = parse.validated(schemas.PageMove, request.form.to_dict(), **MOVE_ERRORS)
        move = to_move(move_action, form)
        services.transition(current_user, report_id, move, uploads, filing_context())
    except NotFound:
        raise
    except DomainError as exc:
        # A refusal shows the page the move was made from again, with the message and what was typed.
        queue = _queue_of(safe_next(request.form.get("next")))
        error = exc.translated(_)
        if queue in queries.QUEUES and perm.can_verify(current_principal()):
            return _queue_page(
                queue, error=error, failed=move_action.value, failed_id=report_id, status=exc.status
            )
        return _item_page(report_id, error=error, failed=move_action.value, status=exc.status)
    flash(_(DONE[move_action]))
    return redirect(
        safe_next(request.form.get("next")) or url_for("workflow.item", report_id=report_id, back=_back())
    )


@bp.get("/office/queue/<name>")
@login_required
def office_queue(name: str):
    return _queue_page(name)


def _queue_page(
    name: str,
    *,
    error: str | None = None,
    failed: str | None = None,
    failed_id: int | None = None,
    status=200,
):
    p = current_principal()
    require(perm.can_verify(p))
    if name not in queries.QUEUES:
        abort(404)
    now = utcnow()
    args = {k: request.args[k] for k in QUEUE_FILTERS if request.args.get(k)}
    cursor = request.args.get("cursor") or None
    f = search.parse_filter(args, _tz())
    after = paging.decode(cursor, (str, int)) if cursor else None
    rows, more = queries.queue(p, name, now, f=f, after=after, limit=QUEUE_PAGE)
    # The unassigned reports on a small map with the communities nearest each (assigned in one tap).
    minimap = (
        minimaps.unassigned_maps([r.report for r in rows if Action.ASSIGN in r.actions])
        if name == "unassigned"
        else None
    )
    page = render_template(
        "workflow/queue.html",
        name=name,
        title=_(QUEUE_TITLES[name]),
        titles=QUEUE_TITLES,
        rows=rows,
        groups=queries.by_community(rows),
        args=args,
        next_cursor=paging.encode(queries.queue_key(rows[-1])) if more else None,
        first_page=cursor is None,
        filters=queries.subdistricts_with_communities(),
        items=queries.items_in_queue(p, name),
        # Where the forms come back to: this queue as filtered (a refused move re-renders it from its POST).
        here=request.full_path.rstrip("?")
        if request.endpoint == "workflow.office_queue"
        else url_for("workflow.office_queue", name=name),
        counts=queries.queue_counts(p),
        now=now,
        subdistricts=queries.subdistricts_with_communities() if name == "unassigned" else [],
        minimap=minimap,
        tomorrow=local_date(now, _tz()) + timedelta(days=1),
        form=request.form if failed else {},
        failed=failed,
        failed_id=failed_id,
        error=error,
    )
    return minimaps.allow_tiles(make_response(page, status), minimap and minimap["tiles"])


def _bulk_items(values: list[str]) -> list[tuple[int, int | None]]:
    """The checked reports, each "ID:VERSION" as the queue page sends them; 400 for anything else."""
    bad = Invalid(N_("Choose the reports to accept from the queue."), code="invalid_reports")
    if not values or len(values) > services.MAX_BULK:
        raise bad
    out = []
    for value in values:
        report_id, _sep, version = value.partition(":")
        if not (report_id.isascii() and report_id.isdigit() and version.isascii() and version.isdigit()):
            raise bad
        if len(report_id) > 10 or len(version) > 10 or int(report_id) >= 2**31 or int(version) >= 2**31:
            raise bad
        out.append((int(report_id), int(version)))
    return out


@bp.post("/office/queue/verify/accept")
@login_required
def bulk_accept():
    """Accept the checked rectifications, each its own move (as POST /api/v1/reviews), then back to the queue."""
    require(perm.can_verify(current_principal()))
    items = _bulk_items(request.form.getlist("report"))
    outcomes = services.transition_many(current_user, items, Action.ACCEPT, "", filing_context())
    failed = [o for o in outcomes if o.error is not None]
    flash(_("Accepted %(ok)s; not accepted %(failed)s.", ok=len(outcomes) - len(failed), failed=len(failed)))
    for o in failed:
        assert o.error is not None
        flash(_("#%(id)s: %(why)s", id=o.report_id, why=o.error.translated(_)), "error")
    return redirect(safe_next(request.form.get("next")) or url_for("workflow.office_queue", name="verify"))
