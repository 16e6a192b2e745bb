"""Reading reports within what a user may see."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from ..calendar import month_bounds
from ..extensions import db
from ..geography.models import Community
from ..permissions import COMMUNITY, INSPECTOR, SUBDISTRICT, Place, Principal, is_staff_of_office
from .models import Event, Report


def place_of(report: Report) -> Place:
    return Place(
        community_id=report.community_id,
        subdistrict_id=report.community.subdistrict_id if report.community else None,
        filed_by=report.inspector_id,
    )


def scoped(query: Select, p: Principal) -> Select:
    """Restrict a report query to what the principal may see (mirrors permissions.can_view_place)."""
    if is_staff_of_office(p):
        return query
    if p.role == INSPECTOR:
        return query.where(Report.inspector_id == p.user_id)
    if p.role == COMMUNITY:
        return query.where(Report.community_id == p.community_id)
    if p.role == SUBDISTRICT:
        return query.where(
            Report.community_id.in_(select(Community.id).where(Community.subdistrict_id == p.subdistrict_id))
        )
    return query.where(False)


def list_reports(
    p: Principal,
    *,
    tz: ZoneInfo,
    month: str | None = None,
    community_code: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[Report], int]:
    query = scoped(select(Report), p)
    if month:
        start, end = month_bounds(month, tz)
        query = query.where(Report.observed_at >= start, Report.observed_at < end)
    if since is not None:
        query = query.where(Report.observed_at >= since)
    if community_code:
        query = query.where(
            Report.community_id
            == select(Community.id).where(Community.code == community_code).scalar_subquery()
        )
    if status:
        query = query.where(Report.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.options(
            selectinload(Report.photos),
            selectinload(Report.events).selectinload(Event.actor),
            # Each event's photo ids with the page, not one query per event (bench/load.py's readers).
            selectinload(Report.events).selectinload(Event.photos),
            selectinload(Report.item),
            selectinload(Report.community).selectinload(Community.subdistrict),
            selectinload(Report.inspector),
            selectinload(Report.spot),
        )
        .order_by(Report.observed_at.desc(), Report.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), total
