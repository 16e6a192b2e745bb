"""The lists behind the workflow pages: open items, queues and counts, each in a fixed number of queries.

Every list is scoped by ``reports.queries.scoped`` (what the user may see) and loads what its page
shows with ``selectinload`` (one query per relationship for the whole page, never one per item).

Overdue is derived, never stored. Rows carry ``rules.is_overdue`` computed in Python; where the
database must sort or count by it, ``overdue_clause`` states the same rule in SQL (status still owed a
fix and the deadline passed), and the page tests check that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from .. import paging
from ..checklist.models import ChecklistItem
from ..errors import N_, Invalid
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..permissions import Principal
from ..reports.models import Event, Photo, Report
from ..reports.queries import filtered, overdue_clause, place_of, scoped
from ..reports.search import ReportFilter
from . import rules

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The queues of the office, each a filter over open reports.
QUEUES = ("verify", "appeals", "unassigned", "suspensions")


@dataclass(frozen=True)
class Row:
    """One report as a list shows it."""

    report: Report
    overdue: bool
    # The moves the reader may make on it (for the inline forms of the office's queues).
    actions: tuple[rules.Action, ...] = ()

    @property
    def before(self) -> list[Photo]:
        return [p for p in self.report.photos if p.kind == "before"]

    @property
    def after(self) -> list[Photo]:
        """The after-photos of the latest rectification (earlier rounds stay in the timeline)."""
        after = [p for p in self.report.photos if p.kind == "after" and p.event_id is not None]
        if not after:
            return []
        latest = max(p.event_id for p in after)
        return [p for p in after if p.event_id == latest]


#: What a list of reports shows of each (``item_list``): loaded with the page, a query per relation.
LIST_LOADS = (
    selectinload(Report.photos),
    selectinload(Report.item),
    selectinload(Report.spot),
    selectinload(Report.inspector),
    selectinload(Report.community).selectinload(Community.subdistrict),
)


def _loaded(query: Select) -> Select:
    return query.options(*LIST_LOADS)


def _rows(query: Select, p: Principal, now: datetime, *, with_actions: bool = False) -> list[Row]:
    reports = db.session.scalars(query).all()
    out = []
    for r in reports:
        actions: tuple[rules.Action, ...] = ()
        if with_actions:
            # allowed_actions reads status, place and the pending suspension only (no query per item).
            item = rules.Item(status=r.status, place=place_of(r), suspension_requested=r.suspension_requested)
            actions = tuple(rules.allowed_actions(p, item))
        out.append(Row(r, rules.is_overdue(r.status, r.due_at, now), actions))
    return out


def open_items(
    p: Principal, now: datetime, *, community_id: int | None = None, limit: int = 500
) -> list[Row]:
    """The open reports the user may see, overdue first, then by deadline (none last), then oldest first."""
    query = scoped(select(Report), p).where(Report.status.in_(rules.OPEN))
    if community_id is not None:
        query = query.where(Report.community_id == community_id)
    overdue_first = case((overdue_clause(now), 0), else_=1)
    no_deadline_last = case((Report.due_at.is_(None), 1), else_=0)
    query = query.order_by(overdue_first, no_deadline_last, Report.due_at, Report.id).limit(limit)
    return _rows(_loaded(query), p, now)


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def open_page(
    p: Principal,
    now: datetime,
    *,
    community_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Row], str | None]:
    """One page of ``open_items`` (overdue first, then by deadline, none last, then by id) after
    ``cursor``, and the cursor of the next page (None on the last). The cursor keeps the moment the first
    page was sorted at: an item falling overdue meanwhile keeps its place, so pages neither repeat nor skip
    (its row still shows it overdue). ``Invalid`` (400) for a cursor this list did not give."""
    as_of = now
    query = scoped(select(Report), p).where(Report.status.in_(rules.OPEN))
    if community_id is not None:
        query = query.where(Report.community_id == community_id)
    if cursor:
        at, bucket, due, report_id = paging.decode(cursor, (int, int, int, int))
        try:
            as_of, due_at = EPOCH + timedelta(microseconds=at), EPOCH + timedelta(microseconds=due)
        except OverflowError:
            raise Invalid(N_("cursor is not one this list gave."), code="invalid_cursor") from None
    group = case((overdue_clause(as_of), 0), (Report.due_at.is_(None), 2), else_=1)
    if cursor:
        within = (
            Report.id > report_id
            if bucket == 2
            else or_(Report.due_at > due_at, and_(Report.due_at == due_at, Report.id > report_id))
        )
        query = query.where(or_(group > bucket, and_(group == bucket, within)))
    query = query.add_columns(group).order_by(group, Report.due_at, Report.id).limit(limit + 1)
    found = db.session.execute(_loaded(query)).all()
    rows = [Row(r, rules.is_overdue(r.status, r.due_at, now)) for r, _group in found[:limit]]
    if len(found) <= limit:
        return rows, None
    last, last_group = found[limit - 1]
    due_key = _micros(last.due_at) if last.due_at is not None else 0
    return rows, paging.encode((_micros(as_of), last_group, due_key, last.id))


def queue(
    p: Principal,
    name: str,
    now: datetime,
    *,
    f: ReportFilter | None = None,
    after: tuple[str, int] | None = None,
    limit: int = 50,
) -> tuple[list[Row], bool]:
    """One page of one of the office's queues, grouped by community (by its code, reports outside every
    community first), oldest first within each, after the cursor's ``(community code, report id)``;
    narrowed by the filters, with the moves the user may make on each report; and whether more follow.
    The key is fixed by the report, so reports filed meanwhile land before or after the cursor, never both."""
    # An alias, so that the filters' subqueries on Community stay uncorrelated.
    place = aliased(Community)
    group = func.coalesce(place.code, "")
    query = _queue_filter(scoped(select(Report), p), name).outerjoin(place, place.id == Report.community_id)
    if f is not None:
        query = filtered(query, f, now)
    if after is not None:
        code, report_id = after
        query = query.where(or_(group > code, and_(group == code, Report.id > report_id)))
    query = query.order_by(group, Report.id).limit(limit + 1)
    # The events carry the community's note on its rectification, appeal or suspension request.
    query = query.options(selectinload(Report.events))
    rows = _rows(_loaded(query), p, now, with_actions=True)
    return rows[:limit], len(rows) > limit


def queue_key(row: Row) -> tuple[str, int]:
    """The cursor key of a queue row: its group's community code ("" outside every community), its id."""
    return (row.report.community.code if row.report.community else "", row.report.id)


@dataclass(frozen=True)
class Group:
    """A community's run of rows on one page of a queue (None: reports outside every community)."""

    community: Community | None
    rows: list[Row]


def by_community(rows: list[Row]) -> list[Group]:
    """A queue page's rows cut into runs of one community each, in the page's order."""
    groups: list[Group] = []
    for row in rows:
        if groups and groups[-1].community is row.report.community:
            groups[-1].rows.append(row)
        else:
            groups.append(Group(row.report.community, [row]))
    return groups


def _queue_filter(query: Select, name: str) -> Select:
    if name == "verify":
        return query.where(Report.status == rules.RECTIFIED)
    if name == "appeals":
        return query.where(Report.status == rules.APPEALED)
    if name == "unassigned":
        return query.where(Report.status == rules.REPORTED)
    if name == "suspensions":
        return query.where(Report.status == rules.DISPATCHED, Report.suspension_requested.is_not(None))
    raise ValueError(f"unknown queue {name!r}")


def queue_counts(p: Principal) -> dict[str, int]:
    """How many reports wait in each of the office's queues: two counts read from indexes alone
    (``ix_report_status_id``; ``ix_report_status_counts`` for the suspension requests)."""
    by_status = dict.fromkeys((rules.RECTIFIED, rules.APPEALED, rules.REPORTED), 0)
    grouped = (
        scoped(select(Report.status, func.count()).select_from(Report), p)
        .where(Report.status.in_(tuple(by_status)))
        .group_by(Report.status)
    )
    by_status.update({status: n for status, n in db.session.execute(grouped)})
    requested = scoped(select(func.count()).select_from(Report), p).where(
        Report.status == rules.DISPATCHED, Report.suspension_requested.is_not(None)
    )
    return {
        "verify": by_status[rules.RECTIFIED],
        "appeals": by_status[rules.APPEALED],
        "unassigned": by_status[rules.REPORTED],
        "suspensions": db.session.scalar(requested) or 0,
    }


@dataclass(frozen=True)
class CommunityCounts:
    community: Community
    open: int
    overdue: int
    rectified: int


def counts_by_community(
    p: Principal, now: datetime, *, subdistrict_id: int | None = None, community_id: int | None = None
) -> list[CommunityCounts]:
    """Open, overdue and awaiting-verification counts per community (zeros included), in two queries."""
    grouped = (
        scoped(
            select(
                Report.community_id,
                func.count().label("open"),
                func.count(case((overdue_clause(now), 1))).label("overdue"),
                func.count(case((Report.status == rules.RECTIFIED, 1))).label("rectified"),
            ),
            p,
        )
        .where(Report.status.in_(rules.OPEN), Report.community_id.is_not(None))
        .group_by(Report.community_id)
    )
    by_id = {row.community_id: row for row in db.session.execute(grouped)}
    communities = select(Community).options(selectinload(Community.subdistrict)).order_by(Community.code)
    if subdistrict_id is not None:
        communities = communities.where(Community.subdistrict_id == subdistrict_id)
    if community_id is not None:
        communities = communities.where(Community.id == community_id)
    out = []
    for c in db.session.scalars(communities):
        row = by_id.get(c.id)
        out.append(
            CommunityCounts(c, row.open if row else 0, row.overdue if row else 0, row.rectified if row else 0)
        )
    return out


def subdistricts_with_communities() -> list[Subdistrict]:
    """All sub-districts and their communities (for the office's community picker), in two queries."""
    return list(
        db.session.scalars(
            select(Subdistrict).order_by(Subdistrict.code).options(selectinload(Subdistrict.communities))
        )
    )


def report_page(report_id: int) -> Report | None:
    """One report with everything its page shows, loaded up front."""
    return db.session.scalar(
        _loaded(select(Report).where(Report.id == report_id)).options(
            selectinload(Report.events).selectinload(Event.actor),
            selectinload(Report.events).selectinload(Event.photos),
        )
    )


def items_in_queue(p: Principal, name: str) -> list[ChecklistItem]:
    """The checklist items of the reports waiting in a queue (its item filter's choices), by code."""
    ids = _queue_filter(scoped(select(Report.item_id), p), name).distinct()
    items = db.session.scalars(
        select(ChecklistItem).where(ChecklistItem.id.in_(ids)).order_by(ChecklistItem.id)
    )
    return sorted({item.code: item for item in items}.values(), key=lambda item: item.code)
