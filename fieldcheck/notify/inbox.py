"""The inbox as services over plain values: list by cursor, count unread, mark read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update

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


def unread(user_id: int) -> int:
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
