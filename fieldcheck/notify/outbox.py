"""The transactional outbox: notifications and deliveries written in the flush that writes the event.

A session listener (``after_flush``) looks at the Event rows just inserted, asks ``rules`` who is told
what, and inserts the inbox rows and the outbox rows on the same connection, inside the same transaction:
a move that commits always has its notifications, a move that rolls back has none, and nothing here
talks to the network (the worker sends; a robot that is down never slows a move).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, and_, bindparam, insert, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from ..auth.models import User
from ..calendar import WorkCalendar
from ..calendar.models import CalendarDay
from ..checklist.models import ChecklistItem
from ..geography.models import Community, Subdistrict
from ..reports.models import Event, Report
from . import rules, schedule
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
    rows: dict = {}  # a filing flushes two events of one report (file, dispatch): its row read once
    for ev in sorted(events, key=lambda e: (e.report_id or 0, e.seq or 0)):
        write_for_event(conn, ev, rows)


_DAYS = select(CalendarDay.day, CalendarDay.kind).where(
    CalendarDay.day >= bindparam("start"), CalendarDay.day <= bindparam("end")
)


def work_calendar(conn, start: date, days: int = 60) -> WorkCalendar:
    """The holidays and make-up working days from ``start`` on, read on the flush's own connection."""
    rows = conn.execute(_DAYS, {"start": start, "end": start + timedelta(days=days)}).all()
    return WorkCalendar(
        holidays=frozenset(d for d, kind in rows if kind == "holiday"),
        workdays=frozenset(d for d, kind in rows if kind == "workday"),
    )


def digest_times() -> tuple[ZoneInfo, time, time]:
    config = current_app.config
    return (
        ZoneInfo(config["TIMEZONE"]),
        schedule.parse_time(config.get("DIGEST_TIME") or "08:30"),
        schedule.parse_time(config.get("OFFICE_DIGEST_UNTIL") or "18:00", "FIELDCHECK_OFFICE_DIGEST_UNTIL"),
    )


def next_digest_time(conn, at: datetime) -> datetime:
    """The office's next digest slot (working days, from the digest time, hourly; see ``schedule``)."""
    tz, start, until = digest_times()
    calendar = work_calendar(conn, at.astimezone(tz).date())
    return schedule.next_office_slot(at, calendar, tz, start, until).astimezone(UTC)


REPORT_COLUMNS = (
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


def report_rows(query):
    """Select the columns a report's notices need (``query`` filters and orders ``select(*REPORT_COLUMNS)``)."""
    return (
        query.join(ChecklistItem, ChecklistItem.id == Report.item_id)
        .outerjoin(Community, Community.id == Report.community_id)
        .outerjoin(Subdistrict, Subdistrict.id == Community.subdistrict_id)
    )


# The statements every event's notices run, built once with bound parameters: SQLAlchemy then neither
# rebuilds them nor recomputes their cache keys for each event (see ``auth.lookups``).
_REPORT_ROW = report_rows(select(*REPORT_COLUMNS)).where(Report.id == bindparam("report_id"))
_TARGETS = (
    select(NotifyTarget.id, NotifyTarget.kind)
    .where(NotifyTarget.scope == bindparam("scope"))
    .order_by(NotifyTarget.id)
)


def _users_statement(who) -> Select:
    """A recipient's active users (``who``), each with their id again when they take e-mail, in id order."""
    opted_in = and_(
        NotifyPreference.user_id == User.id,
        NotifyPreference.email_opt_in.is_(True),
        NotifyPreference.email != "",
    )
    return (
        select(User.id, NotifyPreference.user_id)
        .outerjoin(NotifyPreference, opted_in)
        .where(who, User.active.is_(True))
        .order_by(User.id)
    )


_USERS = {
    rules.USER: _users_statement(User.id == bindparam("id")),
    rules.COMMUNITY: _users_statement(and_(User.role == "community", User.community_id == bindparam("id"))),
    rules.SUBDISTRICT: _users_statement(
        and_(User.role == "subdistrict", User.subdistrict_id == bindparam("id"))
    ),
}
_OFFICE_USERS = _users_statement(User.role.in_(("office", "admin")))


def payload_of(row, action: str, note: str = "", due_at: datetime | None = None) -> dict:
    due = due_at or row.due_at
    return {
        "action": action,
        "item_code": row.code,
        "item_zh": row.name_zh,
        "item_en": row.name_en,
        "severity": row.severity,
        "community": row.community_code,
        "community_name": row.community_name,
        "note": note,
        "due_at": due.isoformat() if due else None,
    }


def write_for_event(conn, ev: Event, rows: dict | None = None) -> None:
    """The notices of one event; ``rows`` keeps the report rows read during one flush."""
    report_id = (
        ev.report_id if ev.report_id is not None else (ev.report.id if ev.report is not None else None)
    )
    if rows is not None and report_id in rows:
        row = rows[report_id]
    else:
        row = conn.execute(_REPORT_ROW, {"report_id": report_id}).first()
        if rows is not None:
            rows[report_id] = row
    if row is None:
        return
    notices = rules.notices_for(
        rules.EventFacts(
            action=ev.action, actor_id=ev.actor_id, from_status=ev.from_status, to_status=ev.to_status
        ),
        rules.ReportFacts(id=row.id, inspector_id=row.inspector_id, community_id=row.community_id),
    )
    if notices:
        payload = payload_of(row, ev.action, ev.note or "", ev.due_at)
        write(conn, notices, row, payload, at=ev.at, event_id=ev.id, actor_id=ev.actor_id)


def write(
    conn,
    notices: list[rules.Notice],
    row,
    payload: dict,
    *,
    at: datetime,
    event_id: int | None = None,
    actor_id: int | None = None,
    cache: dict | None = None,
) -> int:
    """Write the inbox rows and the outbox rows of ``notices`` about ``row`` (a report's columns as
    selected by ``report_rows``, or anything with ``id``, ``community_code``, ``subdistrict_code``);
    returns the number of rows written. ``cache`` (a dict kept by the caller for one transaction) keeps
    who and which robots each recipient is, for a caller writing many."""
    inbox, outbox = [], []
    office_slot = None
    for notice in notices:
        users, targets, emails = _reach(conn, notice.recipient, row, {} if cache is None else cache)
        users = [u for u in users if u != actor_id]
        inbox += [
            {
                "user_id": user_id,
                "kind": notice.kind,
                "report_id": row.id,
                "event_id": event_id,
                "payload": payload,
                "created_at": at,
                "read_at": None,
            }
            for user_id in users
        ]
        if notice.digest and office_slot is None:
            office_slot = next_digest_time(conn, at)
        common = {
            "kind": notice.kind,
            "report_id": row.id,
            "payload": payload,
            "created_at": at,
            "next_attempt_at": office_slot if notice.digest else at,
            "attempts": 0,
            "last_error": "",
        }
        outbox += [
            {**common, "idempotency_key": _key(), "channel": kind, "target_id": target_id, "user_id": None}
            for target_id, kind in targets
        ]
        outbox += [
            {**common, "idempotency_key": _key(), "channel": "email", "target_id": None, "user_id": user_id}
            for user_id in emails
            if user_id != actor_id
        ]
    if inbox:
        conn.execute(insert(Notification), inbox)
    if outbox:
        conn.execute(insert(Delivery), outbox)
    return len(inbox) + len(outbox)


def _reach(conn, recipient: rules.Recipient, row, cache: dict) -> tuple[list[int], list, list[int]]:
    """(users, robot targets as (id, kind), users who take e-mail) of a recipient, kept in ``cache``.

    A cache that is asked often (the scheduler's) loads every staff member, robot and opt-in once."""
    scope = _scope(recipient, row)
    key = (recipient.scope, recipient.id, scope)
    if key in cache:
        return cache[key]
    cache["asked"] = cache.get("asked", 0) + 1
    if cache["asked"] > 3 and "everyone" not in cache:
        cache["everyone"] = _everyone(conn)
    if "everyone" in cache and recipient.scope in (rules.COMMUNITY, rules.SUBDISTRICT):
        staff, robots, opted_in = cache["everyone"]
        users = staff.get((recipient.scope, recipient.id), [])
        cache[key] = (users, robots.get(scope, []), [u for u in users if u in opted_in])
        return cache[key]
    users, emails = _users(conn, recipient)
    targets = []
    if scope is not None:
        targets = conn.execute(_TARGETS, {"scope": scope}).all()
    cache[key] = (users, [tuple(t) for t in targets], emails)
    return cache[key]


def _everyone(conn) -> tuple[dict, dict, set]:
    """Every active community and sub-district staff member by scope, every robot by scope, every opt-in."""
    staff: dict = {}
    for user_id, role, community_id, subdistrict_id in conn.execute(
        select(User.id, User.role, User.community_id, User.subdistrict_id)
        .where(User.active.is_(True), User.role.in_(("community", "subdistrict")))
        .order_by(User.id)
    ):
        place = community_id if role == "community" else subdistrict_id
        staff.setdefault((role, place), []).append(user_id)
    robots: dict = {}
    for target_id, scope, kind in conn.execute(
        select(NotifyTarget.id, NotifyTarget.scope, NotifyTarget.kind).order_by(NotifyTarget.id)
    ):
        robots.setdefault(scope, []).append((target_id, kind))
    opted_in = set(
        conn.execute(
            select(NotifyPreference.user_id).where(
                NotifyPreference.email_opt_in.is_(True), NotifyPreference.email != ""
            )
        ).scalars()
    )
    return staff, robots, opted_in


def _key() -> str:
    return str(uuid.uuid4())


def _users(conn, recipient: rules.Recipient) -> tuple[list[int], list[int]]:
    """The recipient's active users, and those of them who take e-mail (one query), in id order."""
    statement = _USERS.get(recipient.scope)
    if statement is None:
        rows = conn.execute(_OFFICE_USERS).all()
    else:
        rows = conn.execute(statement, {"id": recipient.id}).all()
    return [user_id for user_id, _ in rows], [user_id for user_id, email in rows if email is not None]


def _scope(recipient: rules.Recipient, row) -> str | None:
    """The robot scope of a recipient (users have no robot)."""
    if recipient.scope == rules.COMMUNITY:
        return f"community:{row.community_code}"
    if recipient.scope == rules.SUBDISTRICT:
        return f"subdistrict:{row.subdistrict_code}"
    if recipient.scope == rules.OFFICE:
        return "office"
    return None
