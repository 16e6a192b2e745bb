"""The transactional outbox: notifications and deliveries written in the flush that writes the event.

A session listener (``after_flush``) looks at the Event rows just inserted, asks ``rules`` who is told
what, and inserts the inbox rows and the outbox rows on the same connection, inside the same transaction:
a move that commits always has its notifications, a move that rolls back has none, and nothing here
talks to the network (the worker sends; a robot that is down never slows a move).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..auth.models import User
from ..checklist.models import ChecklistItem
from ..geography.models import Community, Subdistrict
from ..reports.models import Event, Report
from . import rules
from .models import Delivery, Notification, NotifyPreference, NotifyTarget


def install() -> None:
    """Register the listener once for every session (idempotent)."""
    if not sa_event.contains(Session, "after_flush", _after_flush):
        sa_event.listen(Session, "after_flush", _after_flush)


def _after_flush(session: Session, flush_context) -> None:
    events = [obj for obj in session.new if isinstance(obj, Event)]
    if not events:
        return
    conn = session.connection()
    for ev in sorted(events, key=lambda e: (e.report_id or 0, e.seq or 0)):
        write_for_event(conn, ev)


def next_digest_time(at: datetime) -> datetime:
    """The next full hour (the office's digest goes out at most hourly)."""
    return at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def write_for_event(conn, ev: Event) -> None:
    report_id = (
        ev.report_id if ev.report_id is not None else (ev.report.id if ev.report is not None else None)
    )
    row = conn.execute(
        select(
            Report.id,
            Report.inspector_id,
            Report.community_id,
            Report.note,
            Report.due_at,
            ChecklistItem.code,
            ChecklistItem.name_zh,
            ChecklistItem.name_en,
            ChecklistItem.severity,
            Community.code.label("community_code"),
            Community.name.label("community_name"),
            Community.subdistrict_id,
            Subdistrict.code.label("subdistrict_code"),
        )
        .join(ChecklistItem, ChecklistItem.id == Report.item_id)
        .outerjoin(Community, Community.id == Report.community_id)
        .outerjoin(Subdistrict, Subdistrict.id == Community.subdistrict_id)
        .where(Report.id == report_id)
    ).first()
    if row is None:
        return
    notices = rules.notices_for(
        rules.EventFacts(
            action=ev.action, actor_id=ev.actor_id, from_status=ev.from_status, to_status=ev.to_status
        ),
        rules.ReportFacts(id=row.id, inspector_id=row.inspector_id, community_id=row.community_id),
    )
    if not notices:
        return
    payload = {
        "action": ev.action,
        "item_code": row.code,
        "item_zh": row.name_zh,
        "item_en": row.name_en,
        "severity": row.severity,
        "community": row.community_code,
        "community_name": row.community_name,
        "note": ev.note or "",
        "due_at": (ev.due_at or row.due_at).isoformat() if (ev.due_at or row.due_at) else None,
    }
    inbox, outbox = [], []
    for notice in notices:
        users = _users(conn, notice.recipient, row)
        for user_id in users:
            if user_id == ev.actor_id:
                continue
            inbox.append(
                {
                    "user_id": user_id,
                    "kind": notice.kind,
                    "report_id": row.id,
                    "event_id": ev.id,
                    "payload": payload,
                    "created_at": ev.at,
                    "read_at": None,
                }
            )
        due = next_digest_time(ev.at) if notice.digest else ev.at
        common = {
            "kind": notice.kind,
            "report_id": row.id,
            "payload": payload,
            "created_at": ev.at,
            "next_attempt_at": due,
            "attempts": 0,
            "last_error": "",
        }
        scope = _scope(notice.recipient, row)
        if scope is not None:
            for target_id, kind in conn.execute(
                select(NotifyTarget.id, NotifyTarget.kind)
                .where(NotifyTarget.scope == scope)
                .order_by(NotifyTarget.id)
            ):
                outbox.append(
                    {
                        **common,
                        "idempotency_key": str(uuid.uuid4()),
                        "channel": kind,
                        "target_id": target_id,
                        "user_id": None,
                    }
                )
        if users:
            for (user_id,) in conn.execute(
                select(NotifyPreference.user_id)
                .where(
                    NotifyPreference.user_id.in_(users),
                    NotifyPreference.email_opt_in.is_(True),
                    NotifyPreference.email != "",
                )
                .order_by(NotifyPreference.user_id)
            ):
                if user_id != ev.actor_id:
                    outbox.append(
                        {
                            **common,
                            "idempotency_key": str(uuid.uuid4()),
                            "channel": "email",
                            "target_id": None,
                            "user_id": user_id,
                        }
                    )
    if inbox:
        conn.execute(insert(Notification), inbox)
    if outbox:
        conn.execute(insert(Delivery), outbox)


def _users(conn, recipient: rules.Recipient, row) -> list[int]:
    active = User.active.is_(True)
    if recipient.scope == rules.USER:
        query = select(User.id).where(User.id == recipient.id, active)
    elif recipient.scope == rules.COMMUNITY:
        query = select(User.id).where(User.role == "community", User.community_id == recipient.id, active)
    elif recipient.scope == rules.SUBDISTRICT:
        query = select(User.id).where(User.role == "subdistrict", User.subdistrict_id == recipient.id, active)
    else:
        query = select(User.id).where(User.role.in_(("office", "admin")), active)
    return list(conn.execute(query.order_by(User.id)).scalars())


def _scope(recipient: rules.Recipient, row) -> str | None:
    """The robot scope of a recipient (users have no robot)."""
    if recipient.scope == rules.COMMUNITY:
        return f"community:{row.community_code}"
    if recipient.scope == rules.SUBDISTRICT:
        return f"subdistrict:{row.subdistrict_code}"
    if recipient.scope == rules.OFFICE:
        return "office"
    return None
