"""The district's top problem items by month, for the office's home: the checklist items with the most field
reports over the last months, and each one's count per month.

Read from the month cache (``monthcache``: each month's field reports per item are kept with its computed
row), so a view costs one small query per month while nothing changed, whatever the number of reports;
a month whose data changed is computed again on the way (as the ranking page would). Counts do not depend
on the time of day, so a cached month's counts are read whatever its reference time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..checklist.models import ChecklistItem
from ..extensions import db
from ..months import BadMonth, Month
from . import services
from .monthcache import month_items

MONTHS = 6
TOP = 5


@dataclass(frozen=True)
class Row:
    code: str
    name_zh: str
    name_en: str
    counts: list[int]  #: per month, oldest first
    total: int


@dataclass(frozen=True)
class Problems:
    months: list[str]
    rows: list[Row]


def last_months(now: datetime, tz_name: str, n: int = MONTHS) -> list[str]:
    """The ``n`` months up to the current one, oldest first (fewer at the first month the app accepts)."""
    month = Month.of(now, ZoneInfo(tz_name))
    out = [month]
    for _ in range(n - 1):
        try:
            month = month.previous()
        except BadMonth:
            break
        out.append(month)
    return [str(m) for m in reversed(out)]


def top_items(*, now: datetime, tz_name: str, months: int = MONTHS, top: int = TOP) -> Problems:
    """The ``top`` items by field reports over the last ``months`` months (ties by code)."""
    names = last_months(now, tz_name, months)
    per_month: list[dict[str, int]] = []
    versions = services.versions_for(names)
    for month in names:
        version = versions[month]
        if version is None:  # no checklist then
            per_month.append({})
            continue
        per_month.append(month_items(month, now=now, tz_name=tz_name, version=version))
    totals: Counter[str] = Counter()
    for counts in per_month:
        totals.update(counts)
    codes = sorted(totals, key=lambda code: (-totals[code], code))[:top]
    labels: dict[str, tuple[str, str]] = {}
    if codes:
        for code, zh, en in db.session.execute(
            select(ChecklistItem.code, ChecklistItem.name_zh, ChecklistItem.name_en)
            .where(ChecklistItem.code.in_(codes))
            .order_by(ChecklistItem.id)
        ):
            labels[code] = (zh, en)  # the latest version's name
    rows = [
        Row(code, *labels.get(code, (code, code)), [c.get(code, 0) for c in per_month], totals[code])
        for code in codes
    ]
    return Problems(names, rows)
