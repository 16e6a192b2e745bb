"""Reading reports within what a user may see."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import selectinload

from ..calendar import month_bounds
from ..checklist.models import ChecklistCategory, ChecklistItem
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..permissions import COMMUNITY, INSPECTOR, SUBDISTRICT, Place, Principal, is_staff_of_office
from ..status import AWAITING_FIX
from .models import Event, Report, Visit
from .search import ReportFilter, like_pattern


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


def overdue_clause(now: datetime):
    """``workflow.rules.is_overdue`` as SQL: the community still owes the fix and the deadline has passed."""
    return and_(Report.status.in_(AWAITING_FIX), Report.due_at.is_not(None), Report.due_at < now)


#: The shortest word the note's trigram index can find (pg_trgm): a shorter one would read the whole index,
#: slower than reading the notes themselves.
TRIGRAM = 3


def _word_clause(word: str):
    """A word found in the note, the item's name (either language) or the community's name.

    The items and communities named by the word are looked up first (small tables), so the report
    query is an OR of plain conditions the planner can combine from indexes: the note's trigram index
    (PostgreSQL, ``ix_report_note_trgm``), ``item_id`` and ``(community_id, observed_at)``."""
    pattern = like_pattern(word)
    items = db.session.scalars(
        select(ChecklistItem.id).where(
            or_(
                ChecklistItem.name_zh.like(pattern, escape="\\"),
                ChecklistItem.name_en.ilike(pattern, escape="\\"),
            )
        )
    ).all()
    communities = db.session.scalars(
        select(Community.id).where(Community.name.like(pattern, escape="\\"))
    ).all()
    if len(word) >= TRIGRAM:
        found = [Report.note.ilike(pattern, escape="\\")]
    else:  # no trigram to look up: a scan, which the planner must not take through the trigram index
        found = [func.lower(Report.note).like(pattern.lower(), escape="\\")]
    if items:
        found.append(Report.item_id.in_(items))
    if communities:
        found.append(Report.community_id.in_(communities))
    return or_(*found)


def filtered(query: Select, f: ReportFilter, now: datetime) -> Select:
    """A report query narrowed by a list's filters (``search.ReportFilter``)."""
    if f.report_id is not None:
        query = query.where(Report.id == f.report_id)
    for word in f.words:
        query = query.where(_word_clause(word))
    if f.statuses:
        query = query.where(Report.status.in_(f.statuses))
    if f.overdue:
        query = query.where(overdue_clause(now))
    if f.community:
        query = query.where(
            Report.community_id.in_(select(Community.id).where(Community.code == f.community))
        )
    if f.subdistrict:
        query = query.where(
            Report.community_id.in_(
                select(Community.id).join(Subdistrict).where(Subdistrict.code == f.subdistrict)
            )
        )
    if f.item:
        query = query.where(Report.item_id.in_(select(ChecklistItem.id).where(ChecklistItem.code == f.item)))
    if f.category:
        query = query.where(
            Report.item_id.in_(
                select(ChecklistItem.id).join(ChecklistCategory).where(ChecklistCategory.code == f.category)
            )
        )
    if f.found_by:
        query = query.where(Report.found_by == f.found_by)
    if f.since is not None:
        query = query.where(Report.observed_at >= f.since)
    if f.until is not None:
        query = query.where(Report.observed_at < f.until)
    return query


#: A report list's order: the latest observed first; the id breaks ties (and keys the cursor).
NEWEST_FIRST = (Report.observed_at.desc(), Report.id.desc())


def after(query: Select, key: tuple[datetime, int] | None) -> Select:
    """The rows after a cursor's row in ``NEWEST_FIRST`` order: a range on the observation-time indexes,
    the id checked only among rows observed at the same moment."""
    if key is None:
        return query
    observed, report_id = key
    return query.where(
        Report.observed_at <= observed, or_(Report.observed_at < observed, Report.id < report_id)
    )


LIST_LOADS = (
    selectinload(Report.photos),
    selectinload(Report.events).selectinload(Event.actor),
    # Each event's photo ids with the page, not one query per event (bench/load.py's readers).
    selectinload(Report.events).selectinload(Event.photos),
    selectinload(Report.item),
    selectinload(Report.community).selectinload(Community.subdistrict),
    selectinload(Report.inspector),
    selectinload(Report.spot),
)


def page_of_reports(
    p: Principal,
    f: ReportFilter,
    *,
    now: datetime,
    key: tuple[datetime, int] | None = None,
    offset: int = 0,
    per_page: int = 50,
    loads=LIST_LOADS,
) -> tuple[list[Report], bool]:
    """One page of the reports the principal may see, filtered, newest first, after the cursor's row
    (or ``offset`` rows in), and whether more follow."""
    query = after(filtered(scoped(select(Report), p), f, now), key)
    rows = db.session.scalars(
        query.options(*loads).order_by(*NEWEST_FIRST).limit(per_page + 1).offset(offset)
    ).all()
    return list(rows[:per_page]), len(rows) > per_page


def page_of_report_rows(
    p: Principal,
    f: ReportFilter,
    columns,
    *,
    now: datetime,
    key: tuple[datetime, int] | None = None,
    offset: int = 0,
    per_page: int = 50,
) -> tuple[list, bool]:
    """``page_of_reports`` as rows of ``columns`` (the report's; ``id`` and ``observed_at`` among them)."""
    query = after(filtered(scoped(select(*columns), p), f, now), key)
    rows = db.session.execute(query.order_by(*NEWEST_FIRST).limit(per_page + 1).offset(offset)).all()
    return list(rows[:per_page]), len(rows) > per_page


#: A list's ``total`` counts no further: past it, a count reads every matching row (the whole table for
#: the office's unfiltered list, 0.1-0.3 s at a million reports) to print a number nobody pages through.
TOTAL_CAP = 10_000


def count_reports(p: Principal, f: ReportFilter, *, now: datetime, cap: int | None = None) -> int:
    """How many reports match; with ``cap``, at most ``cap + 1`` rows are read (so ``> cap`` means more)."""
    query = filtered(scoped(select(Report.id), p), f, now)
    if cap is not None:
        query = query.limit(cap + 1)
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


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


def not_inspected(month: str, tz: ZoneInfo) -> list[Community]:
    """The district's communities with neither a report nor a visit observed in the month (by anyone),
    by code: one query, each community probed on the (community_id, observed_at) indexes."""
    start, end = month_bounds(month, tz)
    reported = (
        select(Report.id)
        .where(Report.community_id == Community.id, Report.observed_at >= start, Report.observed_at < end)
        .exists()
    )
    visited = (
        select(Visit.id)
        .where(Visit.community_id == Community.id, Visit.observed_at >= start, Visit.observed_at < end)
        .exists()
    )
    query = (
        select(Community)
        .where(~reported, ~visited)
        .options(selectinload(Community.subdistrict))
        .order_by(Community.code)
    )
    return list(db.session.scalars(query))


#: What a list of visits shows of each (the API adds the photos).
VISIT_LOADS = (selectinload(Visit.community), selectinload(Visit.spot))


def _own_visits(query: Select, inspector_id: int, since: datetime, until: datetime) -> Select:
    return query.where(
        Visit.inspector_id == inspector_id, Visit.observed_at >= since, Visit.observed_at < until
    )


def page_of_visits(
    inspector_id: int,
    since: datetime,
    until: datetime,
    *,
    key: tuple[datetime, int] | None = None,
    per_page: int = 50,
    loads=VISIT_LOADS,
) -> tuple[list[Visit], bool]:
    """One page of an inspector's own visits observed in [since, until), newest first (the id breaks
    ties), after the cursor's row, and whether more follow: a range on ix_visit_inspector_observed."""
    query = _own_visits(select(Visit), inspector_id, since, until)
    if key is not None:
        observed, visit_id = key
        query = query.where(
            Visit.observed_at <= observed, or_(Visit.observed_at < observed, Visit.id < visit_id)
        )
    rows = db.session.scalars(
        query.options(*loads).order_by(Visit.observed_at.desc(), Visit.id.desc()).limit(per_page + 1)
    ).all()
    return list(rows[:per_page]), len(rows) > per_page


def count_visits(inspector_id: int, since: datetime, until: datetime) -> int:
    query = _own_visits(select(func.count(Visit.id)), inspector_id, since, until)
    return db.session.scalar(query) or 0
