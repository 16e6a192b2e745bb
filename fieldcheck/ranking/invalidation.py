"""Counting changes to the months' data, in the transaction that makes them, so a cached month
(``monthcache``) can never outlive a change: no service has to remember to say what it changed.

Session events on every SQLAlchemy session:

* ``before_flush``: a report added, changed or deleted names the months of its observation, deadline and
  closing, before and after the change; a visit its observation's; an event its report's (read again at
  commit); a row of what scoring reads beside the reports (communities, sub-districts, boundaries, spots,
  checklists, the calendar) the ``GLOBAL`` key.
* ``do_orm_execute``: an UPDATE or DELETE statement on the reports names the months of the rows it
  matches, read before it runs, and those reports (read again at commit, for their new months); any other
  bulk write to those tables, or an INSERT of reports, the ``GLOBAL`` key.
* ``before_commit``: flush, read the noted reports' months as they now stand, and add one to each key's
  counter (an upsert, keys in order so two writers never wait on each other crosswise). The counters
  commit with the change or not at all.

Writes that bypass the session (a bare ``Connection``, raw SQL text, a data migration) are not counted: a
data migration that changes what scoring reads deletes the ``month_cache`` rows.

A month key is the UTC month of a moment, so the writers need no time zone: a city's month is keyed by
the sum of the counters of the UTC months its facts span, from the repeat window before its start
(a repeat looks at closings ``repeat.window_days`` before) to its end (``monthcache.months_read``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import bindparam, event, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, attributes

GLOBAL = "*"
_MONTHS = "fieldcheck.changed_months"
_REPORTS = "fieldcheck.changed_reports"
_TIMES = ("observed_at", "due_at", "closed_at")
#: Tables scoring reads beside the reports and visits: any change to them may move any month.
GLOBAL_TABLES = frozenset(
    {
        "community",
        "subdistrict",
        "community_boundary",
        "boundary_version",
        "spot",
        "checklist_version",
        "checklist_category",
        "checklist_item",
        "calendar_year",
        "calendar_day",
    }
)


def month_key(moment: datetime) -> str:
    """The UTC month of an aware moment, 'YYYY-MM'."""
    moment = moment.astimezone(UTC)
    return f"{moment.year:04d}-{moment.month:02d}"


def month_keys(moment: datetime | None) -> set[str]:
    return set() if moment is None else {month_key(moment)}


def _noted(session: Session) -> tuple[set[str], set[int]]:
    months = session.info.setdefault(_MONTHS, set())
    reports = session.info.setdefault(_REPORTS, set())
    return months, reports


def _report_months(obj, months: set[str]) -> None:
    state = inspect(obj)
    for name in _TIMES:
        history = attributes.get_history(obj, name) if state.persistent else None
        months |= month_keys(getattr(obj, name, None))
        if history is not None:
            for old in history.deleted or ():
                months |= month_keys(old)


def _before_flush(session: Session, _context, _instances) -> None:
    months, reports = _noted(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(getattr(obj, "__table__", None), "name", None)
        if table == "report":
            if obj in session.dirty and not session.is_modified(obj):
                continue
            _report_months(obj, months)
        elif table == "visit":
            months |= month_keys(obj.observed_at)
            for old in attributes.get_history(obj, "observed_at").deleted or ():
                months |= month_keys(old)
        elif table == "event" and obj.report_id is not None:
            reports.add(obj.report_id)
        elif table in GLOBAL_TABLES:
            months.add(GLOBAL)


def _do_orm_execute(state) -> None:
    statement = state.statement
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(getattr(statement, "table", None), "name", None)
    months, reports = _noted(state.session)
    if table in GLOBAL_TABLES or table == "visit" or (table == "report" and state.is_insert):
        months.add(GLOBAL)
    elif table == "report":
        from ..reports.models import Report

        found = select(Report.id, Report.observed_at, Report.due_at, Report.closed_at)
        if statement.whereclause is not None:
            found = found.where(statement.whereclause)
        for rid, *times in state.session.execute(found, execution_options={"autoflush": False}):
            reports.add(rid)
            for moment in times:
                months |= month_keys(moment)


@cache
def _upsert(dialect: str):
    """The counter's upsert for one dialect, built once (every commit that changes a month runs it)."""
    from .models import MonthChange

    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = dialect_insert(MonthChange).values(month=bindparam("month"), count=1)
    return statement.on_conflict_do_update(index_elements=["month"], set_={"count": MonthChange.count + 1})


@cache
def _months_of_reports():
    """The times of the noted reports that name months, built once (read again at each commit)."""
    from ..reports.models import Report

    return select(Report.observed_at, Report.due_at, Report.closed_at).where(
        Report.id.in_(bindparam("ids", expanding=True))
    )


def _bump(session: Session, keys: Iterable[str]) -> None:
    conn = session.connection()
    statement = _upsert(conn.dialect.name)
    for key in sorted(keys):  # one order for every writer: no crosswise waits
        conn.execute(statement, {"month": key})


def _before_commit(session: Session) -> None:
    session.flush()  # the commit's own flush comes after this event: its changes are noted first
    months, reports = session.info.get(_MONTHS), session.info.get(_REPORTS)
    if not months and not reports:
        return
    months, reports = _noted(session)
    if reports:
        for times in session.execute(_months_of_reports(), {"ids": sorted(reports)}):
            for moment in times:
                months |= month_keys(moment)
    if months:
        _bump(session, months)
    _forget(session)


def _forget(session: Session, *_args) -> None:
    session.info.pop(_MONTHS, None)
    session.info.pop(_REPORTS, None)


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction: committed (already counted) or rolled back
        _forget(session)


def install() -> None:
    """Listen on every session (idempotent)."""
    for name, listener in (
        ("before_flush", _before_flush),
        ("do_orm_execute", _do_orm_execute),
        ("before_commit", _before_commit),
        ("after_transaction_end", _after_transaction_end),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
