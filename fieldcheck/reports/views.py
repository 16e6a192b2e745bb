"""The inspector's pages: the capture form (a plain form that scripts enhance) and their own list.

Offline use (static/js/sw.js, static/js/queue.js): the service worker is served from /inspector/sw.js with
``Service-Worker-Allowed: /inspector`` so that it controls /inspector itself. It keeps the capture page as
a shell and revalidates it with If-None-Match: the page's ETag ignores the per-request CSRF token and
client_id (the script replaces both), so an unchanged page costs a 304 and no body.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import permissions as perm
from ..calendar import local_month, month_bounds
from ..checklist import services as checklist_services
from ..checklist.models import ChecklistItem
from ..errors import DomainError
from ..extensions import db
from ..formats import display_name
from ..geography.models import Community, Subdistrict
from ..scripts import trim
from ..spots import services as spot_services
from ..types import utcnow
from ..web import current_principal, require
from . import queries, services
from .api import cursor_after, cursor_key
from .filing import filing_context, uploaded_photos
from .intake import parse_submission
from .models import Report
from .search import ReportFilter

bp = Blueprint("reports", __name__, url_prefix="/inspector")


def _capture_context() -> dict:
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    version = checklist_services.version_in_force(local_month(utcnow(), tz))
    recent = []
    if version is not None:
        # Recently used items, matched by code so an item of an older checklist version maps to the current one.
        codes = db.session.scalars(
            select(ChecklistItem.code)
            .join(Report, Report.item_id == ChecklistItem.id)
            .where(Report.inspector_id == current_user.id)
            .order_by(Report.id.desc())
            .limit(50)
        ).all()
        by_code = {item.code: item for item in version.items}
        for code in dict.fromkeys(codes):
            if code in by_code:
                recent.append(by_code[code])
            if len(recent) == 5:
                break
    subdistricts = db.session.scalars(
        select(Subdistrict).order_by(Subdistrict.code).options(selectinload(Subdistrict.communities))
    ).all()
    spots_url = url_for("reports.spots_for_picker", v=spot_services.data_version(spot_services.picker_data()))
    return {"checklist": version, "recent": recent, "subdistricts": subdistricts, "spots_url": spots_url}


# The parts of the capture page that differ on every request; the shell's ETag ignores them.
VOLATILE = re.compile(rb'(name="(?:csrf_token|client_id)" value=")[^"]*"')


@bp.get("")
@login_required
def capture():
    require(perm.can_file_report(current_principal()))
    body = render_template("reports/capture.html", **_capture_context(), form={}, error=None).encode()
    etag = hashlib.sha256(VOLATILE.sub(rb'\1"', body)).hexdigest()[:32]
    # no-store: a browser's own cache must never replay a page with a used client_id; only the service
    # worker keeps a copy, and asks with If-None-Match whether it is still current.
    headers = {"ETag": f'"{etag}"', "Cache-Control": "no-store"}
    if request.if_none_match.contains_weak(etag):  # weak comparison (RFC 9110): a proxy that gzips weakens it
        return Response(status=304, headers=headers)
    return Response(body, mimetype="text/html", headers=headers)


def _form_post(kind: str):
    require(perm.can_file_report(current_principal()))
    ctx = filing_context()
    try:
        sub = parse_submission(request.form.to_dict(), ctx.now, with_item=(kind == "report"), tz=ctx.tz)
        filer = services.file_report if kind == "report" else services.file_visit
        filed = filer(current_user, sub, uploaded_photos(), ctx)
    except DomainError as exc:
        context = _capture_context()
        return render_template(
            "reports/capture.html", **context, form=request.form, error=exc.translated(_)
        ), exc.status
    if kind == "report":
        flash(_("Report filed: %(item)s.", item=display_name(filed.record.item)))
    else:
        flash(_("Inspection recorded: no problem found."))
    return redirect(url_for("reports.mine"))


@bp.post("/reports")
@login_required
def submit_report():
    return _form_post("report")


@bp.post("/visits")
@login_required
def submit_visit():
    return _form_post("visit")


#: My reports: this month's list a page at a time (by cursor), and today's at most (a day's work).
MINE_PAGE = 50
TODAY_MAX = 200
#: What the lists of My reports show of each report.
MINE_LOADS = (selectinload(Report.photos), selectinload(Report.item), selectinload(Report.community))


@bp.get("/mine")
@login_required
def mine():
    p = current_principal()
    require(perm.can_file_report(p))
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    now = utcnow()
    month = local_month(now, tz)
    cursor = request.args.get("cursor") or None
    since, until = month_bounds(month, tz)
    this_month = ReportFilter(since=since, until=until)
    rows, more = queries.page_of_reports(
        p,
        this_month,
        now=now,
        key=cursor_key(cursor) if cursor else None,
        per_page=MINE_PAGE,
        loads=MINE_LOADS,
    )
    start_of_today = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
    today, _more = queries.page_of_reports(
        p, ReportFilter(since=start_of_today), now=now, per_page=TODAY_MAX, loads=MINE_LOADS
    )
    # Rectified reports of any month the inspector may verify on a revisit (workflow.rules.REVISIT_ACTIONS).
    to_verify, _count = queries.list_reports(p, tz=tz, status="rectified", per_page=50)
    return render_template(
        "reports/mine.html",
        today=today,
        month_reports=rows,
        next_cursor=cursor_after(rows[-1]) if more and rows else None,
        first_page=cursor is None,
        total=queries.count_reports(p, this_month, now=now),
        month=month,
        now=now,
        to_verify=to_verify,
        # For inspectors of every level: the district's communities nobody has checked yet this month.
        not_inspected=queries.not_inspected(month, tz),
    )


@bp.get("/communities.json")
@login_required
def communities_for_picker():
    """Sub-districts and communities for the manual picker (cached by the page for offline use)."""
    require(perm.can_file_report(current_principal()))
    rows = db.session.scalars(select(Community).order_by(Community.code)).all()
    return {
        "communities": [
            {"code": c.code, "name": c.name, "subdistrict": c.subdistrict.name, "spot_types": c.spot_types}
            for c in rows
        ]
    }


@bp.get("/spots.json")
@login_required
def spots_for_picker():
    """The registry's active spots for the capture page's picker. The page names this address with the
    data's version (``?v=``): that answer never changes, so the browser and the service worker keep it
    (a new list is a new version, and a new capture page)."""
    require(perm.can_file_report(current_principal()))
    data = spot_services.picker_data()
    version = spot_services.data_version(data)
    response = Response(data, mimetype="application/json")
    immutable = request.args.get("v") == version
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable" if immutable else "no-cache"
    response.set_etag(version)
    return response.make_conditional(request)


# What the service worker keeps for offline use besides the capture page (static paths).
SHELL_STATIC = ("css/app.css", "js/queue.js", "js/capture.js", "icons/icon.svg")


@bp.get("/sw.js")
def service_worker():
    """The service worker, with its version (a hash of everything it caches) and its file list."""
    static = current_app.static_folder
    source = Path(static, "js", "sw.js").read_bytes()
    digest = hashlib.sha256(source)
    for name in SHELL_STATIC:
        digest.update(Path(static, name).read_bytes())
    config = {
        "version": digest.hexdigest()[:16],
        "shell": url_for("reports.capture"),
        "scope": url_for("reports.capture"),
        "session": url_for("reports.session_info"),
        "pages": [url_for("reports.mine")],
        "static": [url_for("static", filename=name) for name in SHELL_STATIC],
        "queue": url_for("static", filename="js/queue.js"),
        "spots": url_for("reports.spots_for_picker"),
    }
    body = b"self.FC = " + json.dumps(config).encode() + b";\n" + trim(source.decode("utf-8")).encode()
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = url_for("reports.capture")
    response.headers["Cache-Control"] = "no-cache"
    response.set_etag(hashlib.sha256(body).hexdigest()[:32])
    return response.make_conditional(request)


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest (fetched by browsers without cookies: public, in the default language)."""
    icons = [
        {
            "src": url_for("static", filename=f"icons/icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any maskable",
        }
        for size in (192, 512)
    ]
    icons.append(
        {"src": url_for("static", filename="icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"}
    )
    body = {
        "name": _("fieldcheck inspection"),
        "short_name": _("Inspection"),
        "start_url": url_for("reports.capture"),
        "scope": url_for("reports.capture"),
        "display": "standalone",
        "background_color": "#f6f6f8",
        "theme_color": "#b71c1c",
        "icons": icons,
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/session.json")
def session_info():
    """Who is logged in and a fresh CSRF token, for the queue before it sends; 401 when the session ended."""
    if not current_user.is_authenticated:
        response = jsonify(error={"code": "unauthorized", "message": _("Please log in.")})
        response.status_code = 401
    else:
        response = jsonify(user=current_user.id, csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response
