"""Computed months kept in the database, shared by every app process: the landing pages, the ranking page
and the map read a month from here instead of scoring it again (about a second on a large month).

A cached month is the document without its breakdowns (``document.summary``, a few hundred kilobytes on a
large month) and the digest of what its breakdowns are built from (for comparing with a publication). It is
keyed by the month, the checklist version and the time zone (one row each, replaced by an upsert, so two
processes computing the same missing month write one row), and it is read only while

* the counters of changes (``invalidation``) of every month its facts span sum to what they summed when it
  was computed: they are read before the facts, and a change commits its bump with the change, so a
  computation either saw a change or is keyed below it;
* the reference time (``min(now, end of month)``) is in ``[reference, valid_until)``: scoring depends on the
  time only through deadlines passing (and closings or rectifications stamped later than the reference),
  so a month is valid until the first of its moments after the reference, and a month that is over for ever.

A cached document's breakdowns are computed live when first read (``document.Breakdowns``): few pages read
them (a community's page, the bulletin), and the ranking page, the landing cards and the map read none.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from ..calendar import month_bounds
from ..checklist import services as checklist_services
from ..checklist.models import ChecklistVersion
from ..extensions import db
from ..scoring import repeat_window
from ..scoring.facts import NO_TIME, ReportColumns
from ..unit_of_work import apart
from . import document as doc_module
from .invalidation import GLOBAL, month_key
from .models import MonthCache, MonthChange

log = logging.getLogger(__name__)


@dataclass
class Month:
    """A month's document as computed (from the cache or now) and the digest of its breakdowns' facts."""

    document: dict
    facts_sha256: str
    cached: bool
    items: dict[str, int]


def months_read(start: datetime, end: datetime, window: timedelta) -> list[str]:
    """The month keys (UTC months) a month's facts span: closings ``window`` before its start to its end."""
    keys, moment = (
        [],
        (start - window).astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0),
    )
    while moment < end:
        keys.append(month_key(moment))
        moment = (moment + timedelta(days=32)).replace(day=1)
    keys.append(GLOBAL)
    return keys


def changes(keys: list[str]) -> int:
    """The sum of the keys' counters (each only ever increases, so any change increases the sum)."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(MonthChange.count), 0)).where(MonthChange.month.in_(keys))
        )
    )


def next_change(reports: ReportColumns, reference: datetime, end: datetime) -> datetime | None:
    """The first moment after ``reference`` at which the month would score otherwise with the same data: the
    first of its reports' moments at or after it, at the latest the month's end; None once it is over."""
    if reference >= end:
        return None
    ref = int(reference.timestamp() * 1_000_000)
    first = int(end.timestamp() * 1_000_000)
    for column in (reports.due_at, reports.closed_at, reports.rectified_at, reports.dispatched_at):
        later = column[(column != NO_TIME) & (column >= ref)]
        if len(later):
            first = min(first, int(later.min()))
    return datetime.fromtimestamp(0, UTC) + timedelta(microseconds=first)


def item_counts(reports: ReportColumns, start: datetime, end: datetime) -> dict[str, int]:
    """Per item code, the month's field reports of it (observed in the month, assigned, not voided)."""
    lo, hi = (int(moment.timestamp() * 1_000_000) for moment in (start, end))
    at = (reports.community_id >= 0) & ~reports.is_status("voided") & (reports.observed_at != NO_TIME)
    at &= (reports.observed_at >= lo) & (reports.observed_at < hi) & (reports.item >= 0)
    counts = np.bincount(reports.item[at], minlength=len(reports.item_codes))
    return {code: int(n) for code, n in zip(reports.item_codes, counts.tolist(), strict=False) if n and code}


def _lazy_breakdowns(document: dict, compute_live) -> doc_module.Breakdowns:
    """The breakdowns of the cached document's communities, computed live when the first is read."""
    whole: list[dict] = []

    def breakdown(code: str) -> dict:
        if not whole:
            whole.append(compute_live().document["breakdowns"])
        return whole[0][code]

    codes = sorted(c["code"] for c in document["communities"])
    return doc_module.Breakdowns(dict.fromkeys(codes), None, _build=breakdown)


def _row(month: str, version: ChecklistVersion, tz_name: str) -> MonthCache | None:
    return db.session.scalar(
        select(MonthCache).where(
            MonthCache.month == month,
            MonthCache.checklist_version_id == version.id,
            MonthCache.timezone == tz_name,
        )
    )


def _changes_of(month: str, tz_name: str, version: ChecklistVersion) -> int:
    start, end = month_bounds(month, ZoneInfo(tz_name))
    return changes(
        months_read(start, end, repeat_window(checklist_services.parse_checklist_document(version)))
    )


def month_items(month: str, *, now: datetime, tz_name: str, version: ChecklistVersion) -> dict[str, int]:
    """The month's field reports per item code (``item_counts``): they do not depend on the time, so any
    row of the same data gives them (one small column read); else the month is computed and stored."""
    count = _changes_of(month, tz_name, version)
    found = db.session.execute(
        select(MonthCache.changes, MonthCache.items).where(
            MonthCache.month == month,
            MonthCache.checklist_version_id == version.id,
            MonthCache.timezone == tz_name,
        )
    ).first()
    if found is not None and found.changes == count:
        return json.loads(found.items)
    return month_document(month, now=now, tz_name=tz_name, version=version).items


def month_document(month: str, *, now: datetime, tz_name: str, version: ChecklistVersion) -> Month:
    """The month scored with ``version`` as the data stand: from the cache when it is valid, else computed
    now and stored."""
    from .services import compute

    reference = min(now, month_bounds(month, ZoneInfo(tz_name))[1])
    count = _changes_of(month, tz_name, version)
    row = _row(month, version, tz_name)

    def live():
        return compute(month, now=now, tz_name=tz_name, version=version)

    if (
        row is not None
        and row.changes == count
        and row.reference <= reference
        and (row.valid_until is None or reference < row.valid_until)
    ):
        document = json.loads(row.summary)
        document["reference"] = reference.isoformat()
        document["breakdowns"] = _lazy_breakdowns(document, live)
        return Month(document, row.facts_sha256, True, json.loads(row.items))
    computed = live()
    facts = doc_module.result_facts_digest(computed.result)
    items = computed.items or {}
    _store(
        month,
        version.id,
        tz_name,
        count,
        reference,
        computed.valid_until,
        now,
        doc_module.canonical(doc_module.summary(computed.document)),
        facts,
        items,
    )
    return Month(computed.document, facts, False, items)


def _store(month, version_id, tz_name, count, reference, valid_until, now, summary, facts, items) -> None:
    """Upsert the month's row (unique month, version and time zone: concurrent computations of the same
    month leave one row, the one of the most changes), on a connection apart from the session's (``unit_of_work.apart``): the request's
    session is neither committed nor expired. A write that fails (a busy database) leaves the cache as it
    was: the next read computes again."""
    values = {
        "month": month,
        "checklist_version_id": version_id,
        "timezone": tz_name,
        "changes": count,
        "reference": reference,
        "valid_until": valid_until,
        "computed_at": now,
        "summary": summary,
        "facts_sha256": facts,
        "items": json.dumps(items, sort_keys=True),
    }
    try:
        with apart() as conn:
            if conn is None:
                return
            dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            statement = dialect_insert(MonthCache).values(**values)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["month", "checklist_version_id", "timezone"],
                    set_={k: statement.excluded[k] for k in values if k not in ("month", "timezone")},
                    # never back to older data: a slower computation of fewer changes loses
                    where=MonthCache.changes <= statement.excluded.changes,
                )
            )
    except SQLAlchemyError:
        log.warning("month %s computed but not cached", month, exc_info=True)


__all__ = ["Month", "changes", "item_counts", "month_document", "month_items", "months_read", "next_change"]
