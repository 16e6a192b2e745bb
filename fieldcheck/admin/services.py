"""Reading users and the audit log for the administration pages and API; CSV exports.

Writes go through the account services (fieldcheck.auth.services), which record the audit entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from .. import audit, csvcells
from ..auth import services as accounts
from ..auth.models import User
from ..errors import N_, Invalid
from ..extensions import db
from ..geography.models import Community, Subdistrict

PAGE_SIZE = 50
USER_EXPORT_COLUMNS = ("username", "display_name", "role", "level", "community", "subdistrict", "active")


@dataclass(frozen=True)
class UserFilter:
    q: str = ""
    role: str = ""
    scope: str = ""  # a community or sub-district code
    active: str = ""  # "", "yes" or "no"


def _user_query(f: UserFilter):
    stmt = (
        select(User)
        .outerjoin(Community, User.community_id == Community.id)
        .outerjoin(Subdistrict, User.subdistrict_id == Subdistrict.id)
    )
    if f.q:
        like = f"%{f.q.lower()}%"
        stmt = stmt.where(or_(func.lower(User.username).like(like), func.lower(User.display_name).like(like)))
    if f.role:
        stmt = stmt.where(User.role == f.role)
    if f.scope:
        stmt = stmt.where(or_(Community.code == f.scope, Subdistrict.code == f.scope))
    if f.active in ("yes", "no"):
        stmt = stmt.where(User.active.is_(f.active == "yes"))
    return stmt


def users(f: UserFilter, *, page: int = 1, size: int = PAGE_SIZE) -> tuple[list[User], int]:
    """One page of users (by username) and the number of users the filter matches."""
    stmt = _user_query(f)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.scalars(stmt.order_by(User.username).offset((max(page, 1) - 1) * size).limit(size))
    return list(rows), total


def user_dict(user: User) -> dict:
    return accounts.user_fields(user) | {
        "must_change_password": user.must_change_password,
        "created_at": user.created_at.isoformat() if user.created_at else None,
    }


def users_csv(f: UserFilter) -> str:
    rows: list[list] = [list(USER_EXPORT_COLUMNS)]
    for user in db.session.scalars(_user_query(f).order_by(User.username)):
        d = user_dict(user)
        rows.append([d[c] if c != "active" else ("yes" if d[c] else "no") for c in USER_EXPORT_COLUMNS])
    return "\ufeff" + csvcells.write(rows)


# --- the audit log -----------------------------------------------------------------------------------------


def parse_day(value: str | None, field: str, tz: ZoneInfo, *, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD local date (or an ISO 8601 time with offset) as UTC; ``end``: the day after, exclusive."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = datetime.strptime(value, "%Y-%m-%d").date()
            at = datetime.combine(day + timedelta(days=1) if end else day, time(), tz)
        else:
            at = datetime.fromisoformat(value)
        if at.tzinfo is not None:
            at.astimezone(UTC)  # an offset that leaves the calendar (0001-01-01T00:00+14:00) fails here
        if not 2000 <= at.year <= 2100:  # the app's years (months.py); the log holds nothing else
            raise ValueError
    except (ValueError, OverflowError):
        raise Invalid(
            N_("%(field)s: use a date YYYY-MM-DD."),
            code="invalid_date",
            details={"field": field},
            field=field,
        ) from None
    if at.tzinfo is None:
        raise Invalid(
            N_("%(field)s: use a date YYYY-MM-DD."),
            code="invalid_date",
            details={"field": field},
            field=field,
        )
    return at


def parse_cursor(value: str | None) -> tuple[datetime, int] | None:
    """``before`` cursor: "<at ISO>~<id>" of the last entry of the previous page."""
    if not value:
        return None
    try:
        at, _, entry_id = value.rpartition("~")
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None or not 2000 <= parsed.astimezone(UTC).year <= 2100:
            raise ValueError
        number = int(entry_id)
        if not 0 <= number < 2**31:
            raise ValueError
        return parsed, number
    except (ValueError, OverflowError):
        raise Invalid(
            N_("%(field)s: not a cursor from this log."),
            code="invalid_cursor",
            details={"field": "before"},
            field="before",
        ) from None


def cursor_of(entry: audit.AuditEntry) -> str:
    return f"{entry.at.isoformat()}~{entry.id}"


def audit_query(args, tz: ZoneInfo) -> audit.Query:
    action = (args.get("action") or "").strip()
    if action and action not in audit.ACTIONS:
        raise Invalid(
            N_("%(field)s: unknown action."),
            code="invalid_action",
            details={"field": "action"},
            field="action",
        )
    return audit.Query(
        start=parse_day(args.get("from"), "from", tz),
        end=parse_day(args.get("to"), "to", tz, end=True),
        actor=(args.get("actor") or "").strip() or None,
        action=action or None,
    )


def audit_csv_rows(q: audit.Query, tz: ZoneInfo) -> Iterator[str]:
    """The whole filtered log as CSV text, a chunk at a time (newest first)."""
    import json

    yield "\ufeff" + csvcells.write([["at", "actor", "action", "target", "changes"]])
    cursor = None
    while True:
        chunk = audit.entries(q, before=cursor, limit=500)
        if not chunk:
            return
        yield csvcells.write(
            [
                e.at.astimezone(tz).isoformat(),
                e.actor,
                e.action,
                e.target,
                json.dumps(e.changes, ensure_ascii=False, sort_keys=True),
            ]
            for e in chunk
        )
        cursor = (chunk[-1].at, chunk[-1].id)
