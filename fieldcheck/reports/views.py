"""The inspector's pages: the capture form (a plain form that scripts enhance) and their own list."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import permissions as perm
from ..calendar import local_month
from ..checklist import services as checklist_services
from ..checklist.models import ChecklistItem
from ..errors import DomainError
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..types import utcnow
from ..web import current_principal, require
from . import queries, services
from .api import filing_context, uploaded_photos
from .intake import parse_submission
from .models import Report

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
        select(Subdistrict)
        .order_by(Subdistrict.code)
        .options(selectinload(Subdistrict.communities).selectinload(Community.spots))
    ).all()
    return {"checklist": version, "recent": recent, "subdistricts": subdistricts}


@bp.get("")
@login_required
def capture():
    require(perm.can_file_report(current_principal()))
    return render_template("reports/capture.html", **_capture_context(), form={}, error=None)


def _form_post(kind: str):
    require(perm.can_file_report(current_principal()))
    ctx = filing_context()
    try:
        sub = parse_submission(request.form.to_dict(), ctx.now, with_item=(kind == "report"))
        filer = services.file_report if kind == "report" else services.file_visit
        filed = filer(current_user, sub, uploaded_photos(), ctx)
    except DomainError as exc:
        db.session.rollback()
        context = _capture_context()
        return render_template("reports/capture.html", **context, form=request.form, error=exc.translated(_)), exc.status
    if kind == "report":
        flash(_("Report filed: %(item)s.", item=filed.record.item.name_zh))
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


@bp.get("/mine")
@login_required
def mine():
    p = current_principal()
    require(perm.can_file_report(p))
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    now = utcnow()
    month = local_month(now, tz)
    rows, total = queries.list_reports(p, tz=tz, month=month, per_page=200)
    start_of_today = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
    today = [r for r in rows if r.observed_at >= start_of_today]
    return render_template("reports/mine.html", today=today, month_reports=rows, total=total, month=month, now=now)


@bp.get("/communities.json")
@login_required
def communities_for_picker():
    """Sub-districts and communities for the manual picker (cached by the page for offline use)."""
    require(perm.can_file_report(current_principal()))
    rows = db.session.scalars(select(Community).order_by(Community.code)).all()
    return {
        "communities": [
            {"code": c.code, "name": c.name, "subdistrict": c.subdistrict.name, "spot_types": c.spot_types} for c in rows
        ]
    }
