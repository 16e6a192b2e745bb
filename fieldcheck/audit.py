"""The audit log: every administrative change and every publication, who, when, what, before -> after.

``record`` stages one entry in the session of the change it describes, so the entry is committed with
the change or not at all. Entries are append-only: the app has no path that changes or deletes one,
and the ORM refuses to (an update or a delete of an entry raises ``AppendOnly``).

``changes`` maps a field to ``[before, after]`` (``None`` where there was nothing before or is nothing
after); values are plain JSON. The actor is the user who made the change, or ``cli`` for the command
line (a change made outside a request without a user).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, String, and_, event, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .extensions import db
from .types import UTCDateTime, utcnow

CLI = "cli"

ACTIONS = (
    "user.create",
    "user.update",
    "user.deactivate",
    "user.activate",
    "user.password_reset",
    "user.password_change",
    "boundaries.upload",
    "boundaries.activate",
    "checklist.upload",
    "checklist.schedule",
    "calendar.import",
    "calendar.update",
    "ranking.publish",
    "setting.change",
    "notify.target_add",
    "notify.target_delete",
    "spot.create",
    "spot.update",
    "spot.deactivate",
    "spot.activate",
    "spot.import",
)


class AppendOnly(RuntimeError):
    """Raised on any attempt to change or delete an audit entry."""


class AuditEntry(db.Model):
    __table_args__ = (Index("ix_audit_entry_at_id", "at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(64))  # the username then, or "cli"
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    changes: Mapped[dict] = mapped_column(JSON, default=dict)


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper, connection, target) -> None:
    raise AppendOnly("audit entries cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:
    raise AppendOnly("audit entries cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state) -> None:
    if (state.is_update or state.is_delete) and any(m.class_ is AuditEntry for m in state.all_mappers):
        raise AppendOnly("audit entries cannot be changed or deleted")


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _actor(actor) -> tuple[int | None, str]:
    """(user id, name) of whoever acts: a User, a user id, or None (the logged-in user, else the CLI)."""
    if actor is None:
        from flask import has_request_context
        from flask_login import current_user

        if has_request_context() and current_user.is_authenticated:
            actor = current_user._get_current_object()
        else:
            return None, CLI
    if isinstance(actor, int):
        from .auth.models import User

        user = db.session.get(User, actor)
        return actor, user.username if user is not None else str(actor)
    return actor.id, actor.username


def record(
    actor, action: str, target: str, changes: dict | None = None, *, at: datetime | None = None
) -> AuditEntry:
    """Stage one audit entry in the current session (committed with the change it records)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    actor_id, name = _actor(actor)
    entry = AuditEntry(
        at=at or utcnow(),
        actor_id=actor_id,
        actor=name[:64],
        action=action,
        target=(target or "")[:200],
        changes=_plain(changes or {}),
    )
    db.session.add(entry)
    return entry


def diff(before: dict, after: dict) -> dict:
    """``{field: [before, after]}`` for the fields whose value differs."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


# --- reading --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    actor: str | None = None
    action: str | None = None


def entries(q: Query, *, before: tuple[datetime, int] | None = None, limit: int = 50) -> list[AuditEntry]:
    """Entries newest first; ``before`` is the (at, id) cursor of the last entry of the previous page."""
    stmt = select(AuditEntry)
    if q.start is not None:
        stmt = stmt.where(AuditEntry.at >= q.start)
    if q.end is not None:
        stmt = stmt.where(AuditEntry.at < q.end)
    if q.actor:
        stmt = stmt.where(AuditEntry.actor == q.actor)
    if q.action:
        stmt = stmt.where(AuditEntry.action == q.action)
    if before is not None:
        at, entry_id = before
        stmt = stmt.where(or_(AuditEntry.at < at, and_(AuditEntry.at == at, AuditEntry.id < entry_id)))
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def as_dict(entry: AuditEntry) -> dict:
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "changes": entry.changes,
    }
