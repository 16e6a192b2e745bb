"""Overdue items per community, for the daily reminder job (`fieldcheck overdue`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from sqlalchemy import select

from .. import csvcells
from ..calendar import local_text
from ..checklist.models import ChecklistItem
from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..reports.models import Report
from .rules import AWAITING_FIX

CSV_COLUMNS = (
    "community_code",
    "community_name",
    "subdistrict_code",
    "subdistrict_name",
    "report_id",
    "item_code",
    "item_name",
    "status",
    "due_at",
    "overdue_hours",
    "report_url",
)
# The report's page after the public base (fieldcheck.links; the workflow.item route).
REPORT_PATH = "/reports/{id}"


@dataclass(frozen=True)
class Overdue:
    community_code: str
    community_name: str
    subdistrict_code: str
    subdistrict_name: str
    report_id: int
    item_code: str
    item_name: str
    status: str
    due_at: datetime
    overdue_hours: float


def overdue_items(now: datetime) -> list[Overdue]:
    """Every report the community still owes a fix for past its deadline, by community, oldest deadline first.

    One query; the same definition as ``rules.is_overdue`` (dispatched or suspended, due before now).
    """
    rows = db.session.execute(
        select(
            Community.code,
            Community.name,
            Subdistrict.code,
            Subdistrict.name,
            Report.id,
            ChecklistItem.code,
            ChecklistItem.name_zh,
            Report.status,
            Report.due_at,
        )
        .join(Community, Report.community_id == Community.id)
        .join(Subdistrict, Community.subdistrict_id == Subdistrict.id)
        .join(ChecklistItem, Report.item_id == ChecklistItem.id)
        .where(Report.status.in_(AWAITING_FIX), Report.due_at < now)
        .order_by(Community.code, Report.due_at, Report.id)
    ).all()
    return [
        Overdue(*row[:8], due_at=row[8], overdue_hours=round((now - row[8]).total_seconds() / 3600, 1))
        for row in rows
    ]


def as_text(items: list[Overdue], now: datetime, tz: ZoneInfo) -> str:
    """A plain summary: one heading per community with its count, then one line per item."""
    stamp = local_text(now, tz)
    if not items:
        return f"no overdue items at {stamp}\n"
    out = [f"{len(items)} overdue items at {stamp} ({tz.key})"]
    for (code, name, sub), group in groupby(
        items, key=lambda o: (o.community_code, o.community_name, o.subdistrict_name)
    ):
        group = list(group)
        out.append(f"\n{code} {name} ({sub}): {len(group)}")
        for o in group:
            due = local_text(o.due_at, tz)
            out.append(
                f"  #{o.report_id} {o.item_code} {o.item_name} · {o.status} · due {due} · "
                f"{o.overdue_hours:g} h overdue"
            )
    return "\n".join(out) + "\n"


def as_csv(items: list[Overdue], tz: ZoneInfo, *, base_url: str = "") -> str:
    """CSV in UTF-8 (the caller adds a BOM for Excel); due times in the city's zone; each report's link from
    ``base_url`` (FIELDCHECK_PUBLIC_URL); text never a formula."""
    rows = [CSV_COLUMNS]
    rows += [
        [
            o.community_code,
            o.community_name,
            o.subdistrict_code,
            o.subdistrict_name,
            o.report_id,
            o.item_code,
            o.item_name,
            o.status,
            o.due_at.astimezone(tz).isoformat(),
            o.overdue_hours,
            base_url + REPORT_PATH.format(id=o.report_id),
        ]
        for o in items
    ]
    return csvcells.write(rows)
