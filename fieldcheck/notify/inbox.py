"""The inbox as services over plain values: list by cursor, count unread, mark read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from ..extensions import db
from ..unit_of_work import writing
from .models import Notification

MAX_LIMIT = 100


def page(
    user_id: int, *, unread: bool, cursor: int | None, limit: int
) -> tuple[list[Notification], int | None]:
    """Newest first; the cursor is the id of the last row seen (rows with smaller ids follow)."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if cursor is not None:
        query = query.where(Notification.id < cursor)
    rows = list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


# Counted for the bell on every page: built once (SQLAlchemy then reuses its cache key as well).
_UNREAD = (
    select(func.count())
    .select_from(Notification)
    .where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))
)
#: The count read with the session's user (``auth.lookups``), while the session has written nothing since.
_READ_WITH_USER = "fieldcheck.unread_read_with_user"


def unread_of_user_column(user_id_column):
    """The unread count as a column beside the user's row: the request that loads its user from the
    session reads the bell's count in the same query (``remember_unread``), one query less per page."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id_column, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def remember_unread(session: Session, user_id: int, count: int) -> None:
    """Keep the count read with the user for this transaction; any write through the session, or the
    transaction's end, forgets it (``forget_unread``), so the bell never shows a count older than the
    request's own changes."""
    session.info[_READ_WITH_USER] = (user_id, count)


def forget_unread(session: Session, *_args) -> None:
    session.info.pop(_READ_WITH_USER, None)


def _forget_on_write(orm_execute_state) -> None:
    if not orm_execute_state.is_select:
        forget_unread(orm_execute_state.session)


def install_memory() -> None:
    """Register the listeners that forget a remembered count (idempotent)."""
    for name, listener in (
        ("after_flush", forget_unread),
        ("after_transaction_end", forget_unread),
        ("do_orm_execute", _forget_on_write),
    ):
        if not sa_event.contains(Session, name, listener):
            sa_event.listen(Session, name, listener)


def unread(user_id: int) -> int:
    remembered = db.session.info.get(_READ_WITH_USER)
    if remembered is not None and remembered[0] == user_id:
        return remembered[1]
    return db.session.execute(_UNREAD, {"user_id": user_id}).scalar() or 0


def mark_read(user_id: int, ids: list[int] | None, now: datetime) -> int:
    """Mark the given notifications of this user read (all of them when ``ids`` is None)."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        if not ids:
            return 0
        query = query.where(Notification.id.in_(ids))
    with writing():
        return db.session.execute(
            query.values(read_at=now).execution_options(synchronize_session=False)
        ).rowcount
