"""The search page (GET /search): every report the reader may see, narrowed by the filters of
``GET /api/v1/reports`` (``reports.search``), newest first, a page at a time by cursor, with the same
filters as a CSV download. For office, sub-district and community staff (inspectors have My reports).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from flask_login import login_required
from sqlalchemy import select

from .. import permissions as perm
from ..checklist.models import ChecklistCategory, ChecklistVersion
from ..errors import DomainError
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..reports import queries as report_queries
from ..reports import search
from ..reports.api import cursor_after, cursor_key
from ..status import FOUND_BY_VALUES, STATUS_VALUES
from ..types import utcnow
from ..web import current_principal, require
from . import queries, rules
from .views import bp

PER_PAGE = 30
#: The query-string names the page passes on (to the next page and the CSV).
FILTER_NAMES = ("q", "overdue", "subdistrict", "community", "category", "found_by", "from", "to", "month")


def _filter_args() -> dict[str, str]:
    """The filters as ``search.parse_filter`` reads them: the page's status checkboxes joined by commas."""
    args = {name: request.args.get(name, "") for name in FILTER_NAMES if request.args.get(name)}
    statuses = [s for s in request.args.getlist("status") if s]
    if statuses:
        args["status"] = ",".join(statuses)
    return args


def _choices(p: perm.Principal) -> dict:
    """What the filter form offers: the sub-districts and communities the reader may see, the categories
    of the latest checklist."""
    if perm.is_staff_of_office(p):
        subdistricts = list(db.session.scalars(select(Subdistrict).order_by(Subdistrict.code)))
        communities = list(db.session.scalars(select(Community).order_by(Community.code)))
    elif p.role == perm.SUBDISTRICT:
        subdistricts = []
        communities = list(
            db.session.scalars(
                select(Community).where(Community.subdistrict_id == p.subdistrict_id).order_by(Community.code)
            )
        )
    else:
        subdistricts, communities = [], []
    latest = db.session.scalar(select(ChecklistVersion.id).order_by(ChecklistVersion.id.desc()).limit(1))
    categories = list(
        db.session.scalars(
            select(ChecklistCategory)
            .where(ChecklistCategory.version_id == latest)
            .order_by(ChecklistCategory.code)
        )
    )
    return {
        "subdistricts": subdistricts,
        "communities": communities,
        "categories": categories,
        "statuses": STATUS_VALUES,
        "found_by_values": FOUND_BY_VALUES,
    }


@bp.get("/search")
@login_required
def search_page():
    p = current_principal()
    require(p.role in (perm.OFFICE, perm.ADMIN, perm.SUBDISTRICT, perm.COMMUNITY))
    args = _filter_args()
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    now = utcnow()
    error, rows, more, total = None, [], False, None
    cursor = request.args.get("cursor") or None
    try:
        f = search.parse_filter(args, tz)
        key = cursor_key(cursor) if cursor else None
        reports, more = report_queries.page_of_reports(
            p, f, now=now, key=key, per_page=PER_PAGE, loads=queries.LIST_LOADS
        )
        rows = [queries.Row(r, rules.is_overdue(r.status, r.due_at, now)) for r in reports]
        if cursor is None:
            total = report_queries.count_reports(p, f, now=now)
    except DomainError as exc:
        from flask_babel import gettext

        error = exc.translated(gettext)
    return render_template(
        "workflow/search.html",
        args={k: v for k, v in args.items() if k != "status"},
        csv_args=args,
        chosen_statuses=[s for s in request.args.getlist("status") if s],
        rows=rows,
        total=total,
        now=now,
        error=error,
        next_cursor=cursor_after(rows[-1].report) if more and rows else None,
        first_page=cursor is None,
        **_choices(p),
    ), (400 if error else 200)
