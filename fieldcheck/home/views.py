"""The page each role lands on after login."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..calendar import local_month
from ..checklist import services as checklist_services
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..permissions import ADMIN, COMMUNITY, OFFICE, SUBDISTRICT, home_endpoint
from ..types import utcnow
from ..web import current_principal, require

bp = Blueprint("home", __name__)


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


@bp.get("/community")
@login_required
def community():
    return _role_page(COMMUNITY, "home/community.html", community=current_user.community)


@bp.get("/subdistrict")
@login_required
def subdistrict():
    sub = current_user.subdistrict
    return _role_page(SUBDISTRICT, "home/subdistrict.html", subdistrict=sub, communities=sub.communities if sub else [])


@bp.get("/office")
@login_required
def office():
    counts = {
        "subdistricts": db.session.scalar(select(func.count(Subdistrict.id))),
        "communities": db.session.scalar(select(func.count(Community.id))),
    }
    return _role_page(OFFICE, "home/office.html", counts=counts, month=_month())


@bp.get("/admin")
@login_required
def admin():
    from ..geography.services import current_boundary_version

    return _role_page(
        ADMIN,
        "home/admin.html",
        boundary_version=current_boundary_version(),
        checklist=checklist_services.version_in_force(_month()),
        calendar_years=checklist_services.calendar_years(),
    )
