"""The page each role lands on after login."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..admin import pages as admin_pages
from ..calendar import local_month
from ..calendar import services as calendar_services
from ..checklist import services as checklist_services
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..permissions import ADMIN, COMMUNITY, SUBDISTRICT, can_verify, home_endpoint
from ..types import utcnow
from ..web import current_principal, require
from ..workflow import queries as workflow_queries

bp = Blueprint("home", __name__)

#: Open items a page on the sub-district page (by cursor: a sub-district can have thousands).
OPEN_PAGE = 50
#: The office home lists this many of the communities with the most overdue items; the rest are one
#: link away (the search page, overdue only), so the page stays small with 1,000 communities behind.
LAGGING_SHOWN = 20


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(home_endpoint(current_principal())))


def _role_page(role: str, template: str, **context):
    require(current_principal().role == role)
    return render_template(template, **context)


def _month() -> str:
    return local_month(utcnow(), ZoneInfo(current_app.config["TIMEZONE"]))


def _standing(p, now):
    """This month's score and rank for the landing page's card (None without a checklist in force)."""
    from ..ranking.pages import own_standing

    return own_standing(p, now=now, tz_name=current_app.config["TIMEZONE"])


def _trend_chart(scope_kind: str, code: str | None, standing, now) -> str:
    """The SVG of the scope's score by month (published months and this one); empty without a score."""
    from ..ranking import chart, trends

    if code is None:
        return ""
    row = None if standing is None else standing.get(scope_kind)
    points = trends.home_points(
        trends.Scope(scope_kind, code), row, now=now, tz_name=current_app.config["TIMEZONE"]
    )
    return chart.line_chart(points, title=_("Score by month"))


@bp.get("/favicon.ico")
def favicon():
    """The app icon where browsers look for it on every page (public, cached for a day)."""
    return send_from_directory(
        Path(current_app.static_folder, "icons"), "favicon.ico", mimetype="image/x-icon", max_age=86400
    )


@bp.get("/community")
@login_required
def community():
    """The community's open items grouped by state, overdue first within each, with the time each has
    left; ``?tab=history`` pages through its closed and voided items by cursor."""
    from flask_babel import gettext

    from ..errors import DomainError
    from . import community as page

    p = current_principal()
    require(p.role == COMMUNITY)
    now = utcnow()
    context: dict = {"community": current_user.community, "now": now, "tab": "open", "error": None}
    if request.args.get("tab") == "history":
        context["tab"] = "history"
        try:
            context["history"] = page.history(p, now, request.args.get("cursor") or None)
        except DomainError as exc:
            context["error"] = exc.translated(gettext)
            return render_template("home/community.html", **context), exc.status
        return render_template("home/community.html", **context)
    # A page of the open items at a time (a cursor this list did not give: 400).
    rows, next_cursor = workflow_queries.open_page(
        p, now, cursor=request.args.get("cursor") or None, limit=OPEN_PAGE
    )
    counts = workflow_queries.counts_by_community(p, now, community_id=p.community_id)
    standing = _standing(p, now)
    return render_template(
        "home/community.html",
        **context,
        rows=rows,
        next_cursor=next_cursor,
        groups=page.grouped(rows),
        counts=counts[0] if counts else None,
        standing=standing,
        trend=_trend_chart("community", getattr(current_user.community, "code", None), standing, now),
    )


@bp.get("/subdistrict")
@login_required
def subdistrict():
    """Every community of the sub-district with its open and overdue counts; the open items below (of one
    community with ``?community=``), a page at a time by cursor."""
    p = current_principal()
    require(p.role == SUBDISTRICT)
    now = utcnow()
    counts = workflow_queries.counts_by_community(p, now, subdistrict_id=p.subdistrict_id)
    chosen = None
    code = request.args.get("community")
    if code:
        chosen = next((c.community for c in counts if c.community.code == code), None)
        if chosen is None:
            abort(404)
    cursor = request.args.get("cursor") or None
    rows, next_cursor = workflow_queries.open_page(
        p, now, community_id=chosen.id if chosen else None, cursor=cursor, limit=OPEN_PAGE
    )
    standing = _standing(p, now)
    return render_template(
        "home/subdistrict.html",
        subdistrict=current_user.subdistrict,
        counts=counts,
        rows=rows,
        next_cursor=next_cursor,
        first_page=cursor is None,
        chosen=chosen,
        now=now,
        standing=standing,
        trend=_trend_chart("subdistrict", getattr(current_user.subdistrict, "code", None), standing, now),
    )


@bp.get("/office")
@login_required
def office():
    p = current_principal()
    require(can_verify(p))  # the office, and admin who may do everything the office does
    now = utcnow()
    counts = {
        "subdistricts": db.session.scalar(select(func.count(Subdistrict.id))),
        "communities": db.session.scalar(select(func.count(Community.id))),
    }
    by_community = workflow_queries.counts_by_community(p, now)
    from ..ranking import problems

    lagging = sorted((c for c in by_community if c.overdue), key=lambda c: (-c.overdue, c.community.code))
    return render_template(
        "home/office.html",
        counts=counts,
        month=_month(),
        queues=workflow_queries.queue_counts(p),
        overdue=sum(c.overdue for c in by_community),
        lagging=lagging[:LAGGING_SHOWN],
        lagging_more=max(0, len(lagging) - LAGGING_SHOWN),
        problems=problems.top_items(now=now, tz_name=current_app.config["TIMEZONE"]),
        admin_pages=admin_pages.visible(p),
    )


@bp.get("/admin")
@login_required
def admin():
    from ..calendar.views import missing_next_year
    from ..geography.services import current_boundary_version

    return _role_page(
        ADMIN,
        "home/admin.html",
        boundary_version=current_boundary_version(),
        checklist=checklist_services.version_in_force(_month()),
        calendar_years=calendar_services.calendar_years(),
        admin_pages=admin_pages.visible(current_principal()),
        calendar_missing=missing_next_year(),
    )
