"""The scheduler pass: deadline reminders, the sub-district's daily digest, a month ready to publish.

Run by the worker before each round of sending (``worker.run_round``). Each reminder or digest is told
once: its mark (``NotifyMark``, unique on kind and key) is inserted in the transaction that writes its
notifications and deliveries into the same outbox the moves use, so several workers at once, or a worker
restarted, never tell it twice; the worker then sends it like any other message. When is decided by the
pure ``schedule`` module (working days from the calendar, the digest time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..checklist.models import ChecklistItem
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..ranking.models import RankingSnapshot
from ..reports.models import Report
from ..unit_of_work import writing
from ..workflow.rules import AWAITING_FIX
from . import outbox, rules, schedule
from .models import NotifyMark

BATCH = 500
DIGEST_ITEMS = 10


class Subject(NamedTuple):
    """What ``outbox.write`` needs of a notice without a report."""

    id: int | None
    community_code: str | None
    subdistrict_code: str | None


@dataclass
class Planned:
    due_soon: int = 0
    overdue: int = 0
    digests: int = 0
    months: int = 0


def run(now: datetime) -> Planned:
    """One pass: everything due at ``now`` that has not been told yet."""
    planned = Planned()
    planned.overdue = reminders(now, "overdue")
    planned.due_soon = reminders(now, "due_soon")
    tz, at, _until = outbox.digest_times()
    calendar = outbox.work_calendar(db.session.connection(), now.astimezone(tz).date() - timedelta(days=40))
    day = schedule.daily_digest_day(now, calendar, tz, at)
    if day is not None:
        planned.digests = overdue_digests(now, day.isoformat())
    month = schedule.month_ready(now, calendar, tz, at)
    if month is not None:
        planned.months = month_ready(now, month)
    return planned


def claim_marks(conn, marks: list[dict]) -> set[str]:
    """Insert the marks no one inserted before; return the keys this call inserted."""
    if not marks:
        return set()
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = (
        dialect_insert(NotifyMark)
        .values(marks)
        .on_conflict_do_nothing(index_elements=["kind", "key"])
        .returning(NotifyMark.key)
    )
    return set(conn.execute(statement).scalars())


def _candidates(now: datetime, kind: str):
    told = exists().where(
        NotifyMark.report_id == Report.id, NotifyMark.kind == kind, NotifyMark.due_at == Report.due_at
    )
    query = outbox.report_rows(select(*outbox.REPORT_COLUMNS, Report.dispatched_at)).where(
        Report.status.in_(AWAITING_FIX), Report.community_id.is_not(None), ~told
    )
    if kind == "overdue":
        query = query.where(Report.due_at < now, Report.due_at >= now - schedule.OVERDUE_LOOKBACK)
    else:
        urgent = ChecklistItem.severity.in_(schedule.URGENT_SEVERITIES)
        query = query.where(
            Report.due_at > now,
            Report.due_at <= now + schedule.DUE_SOON,  # the widest window: a range on the index
            or_(
                and_(urgent, Report.due_at <= now + schedule.DUE_SOON_URGENT),
                and_(~urgent, Report.due_at <= now + schedule.DUE_SOON),
            ),
        )
    return query.order_by(Report.due_at, Report.id).limit(BATCH)


def reminders(now: datetime, kind: str) -> int:
    """'overdue' or 'due_soon' reminders of the reports that need one now; returns how many were told."""
    candidates = db.session.execute(_candidates(now, kind)).all()
    if not candidates:
        return 0
    told = 0
    with writing(exclusive=True):
        conn = db.session.connection()
        marks = {f"{r.id}@{r.due_at.isoformat()}": r for r in candidates}
        claimed = claim_marks(
            conn,
            [
                {"kind": kind, "key": key, "report_id": r.id, "due_at": r.due_at, "created_at": now}
                for key, r in marks.items()
            ],
        )
        cache: dict = {}
        for key in sorted(claimed):
            r = marks[key]
            if kind == "due_soon" and not schedule.wants_due_soon(now, r.due_at, r.dispatched_at, r.severity):
                continue  # its whole deadline is shorter than the window: the dispatch said it all
            notices = rules.reminder_notices(kind, r.community_id, r.subdistrict_id)
            outbox.write(conn, notices, r, outbox.payload_of(r, "remind"), at=now, cache=cache)
            told += 1
    return told


def overdue_digests(now: datetime, day: str) -> int:
    """Each sub-district's digest of its communities' overdue items, once a working day."""
    subdistricts = db.session.execute(select(Subdistrict.id, Subdistrict.code, Subdistrict.name)).all()
    todo = {f"{s.id}@{day}": s for s in subdistricts}
    for key in db.session.scalars(
        select(NotifyMark.key).where(NotifyMark.kind == "overdue_digest", NotifyMark.key.in_(list(todo)))
    ):
        todo.pop(key, None)
    if not todo:
        return 0
    told = 0
    with writing(exclusive=True):
        conn = db.session.connection()
        claimed = claim_marks(
            conn, [{"kind": "overdue_digest", "key": key, "created_at": now} for key in todo]
        )
        subs = [todo[key] for key in sorted(claimed)]
        payloads = _digest_payloads(conn, subs, now)
        cache: dict = {}
        for sub in subs:
            if sub.id not in payloads:
                continue  # nothing overdue: no digest that day
            notice = rules.Notice(rules.Recipient(rules.SUBDISTRICT, sub.id), "overdue_digest")
            outbox.write(conn, [notice], Subject(None, None, sub.code), payloads[sub.id], at=now, cache=cache)
            told += 1
    return told


def _digest_payloads(conn, subs: list, now: datetime) -> dict[int, dict]:
    """Each sub-district's overdue counts per community and its oldest items, in two queries for all."""
    if not subs:
        return {}
    overdue = (
        Report.status.in_(AWAITING_FIX),
        Report.due_at < now,
        Community.subdistrict_id.in_([sub.id for sub in subs]),
    )
    counts: dict[int, list] = {}
    for sub_id, name, n in conn.execute(
        select(Community.subdistrict_id, Community.name, func.count())
        .select_from(Report)
        .join(Community, Community.id == Report.community_id)
        .where(*overdue)
        .group_by(Community.subdistrict_id, Community.code, Community.name)
        .order_by(Community.subdistrict_id, Community.code)
    ):
        counts.setdefault(sub_id, []).append([name, n])
    rank = (
        func.row_number()
        .over(partition_by=Community.subdistrict_id, order_by=(Report.due_at, Report.id))
        .label("rank")
    )
    ranked = outbox.report_rows(select(*outbox.REPORT_COLUMNS, rank)).where(*overdue).subquery()
    oldest: dict[int, list] = {}
    for r in conn.execute(
        select(ranked).where(ranked.c.rank <= DIGEST_ITEMS).order_by(ranked.c.subdistrict_id, ranked.c.rank)
    ):
        oldest.setdefault(r.subdistrict_id, []).append(
            {
                "report_id": r.id,
                "item_code": r.code,
                "item_zh": r.name_zh,
                "item_en": r.name_en,
                "community_name": r.community_name,
                "due_at": r.due_at.isoformat(),
            }
        )
    names = {sub.id: sub.name for sub in subs}
    return {
        sub_id: {
            "subdistrict_name": names[sub_id],
            "count": sum(n for _name, n in rows),
            "communities": rows,
            "items": oldest.get(sub_id, []),
        }
        for sub_id, rows in counts.items()
    }


def month_ready(now: datetime, month: str) -> int:
    """The office is told once that ``month`` may be published (not if it already is)."""
    if db.session.scalar(
        select(NotifyMark.id).where(NotifyMark.kind == "month_ready", NotifyMark.key == month)
    ):
        return 0
    published = db.session.scalar(select(RankingSnapshot.id).where(RankingSnapshot.month == month).limit(1))
    with writing(exclusive=True):
        conn = db.session.connection()
        if not claim_marks(conn, [{"kind": "month_ready", "key": month, "created_at": now}]) or published:
            return 0
        notice = rules.Notice(rules.Recipient(rules.OFFICE), "month_ready")
        outbox.write(conn, [notice], Subject(None, None, None), {"month": month}, at=now)
    return 1
