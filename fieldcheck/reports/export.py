"""Every report a list's filters match, as CSV for a spreadsheet (``GET /api/v1/reports.csv``).

The rows are read in pages of ``BATCH`` by the list's cursor, each page in an application context of its
own, so a download of a million rows holds neither the request nor a database connection while the
client reads: the same order and the same cursor rule as the paged list, so a report filed during the
download neither repeats a row nor moves one. UTF-8 with a BOM (Excel and WPS read it as UTF-8), every
cell through ``csvcells``, times in the city's time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy.orm import selectinload

from .. import csvcells
from ..calendar import local_text
from ..geography.models import Community
from ..links import path_of
from ..permissions import Principal
from ..settings import Disclosure
from ..workflow.rules import is_overdue
from . import queries
from .models import Report
from .search import ReportFilter

BATCH = 1000
HEADER = (
    "id",
    "observed_at",
    "subdistrict_code",
    "subdistrict",
    "community_code",
    "community",
    "item_code",
    "item",
    "instances",
    "found_by",
    "status",
    "overdue",
    "due_at",
    "rectified_at",
    "closed_at",
    "late_filing",
    "inspector",
    "note",
    "link",
)
LOADS = (
    selectinload(Report.item),
    selectinload(Report.community).selectinload(Community.subdistrict),
    selectinload(Report.inspector),
)


def _row(r: Report, *, now: datetime, tz: ZoneInfo, disclosure: Disclosure, base: str) -> tuple:
    community = r.community
    subdistrict = community.subdistrict if community else None
    return (
        r.id,
        local_text(r.observed_at, tz),
        subdistrict.code if subdistrict else "",
        subdistrict.name if subdistrict else "",
        community.code if community else "",
        community.name if community else "",
        r.item.code,
        r.item.name_zh,
        r.instances,
        r.found_by,
        r.status,
        1 if is_overdue(r.status, r.due_at, now) else 0,
        local_text(r.due_at, tz),
        local_text(r.rectified_at, tz),
        local_text(r.closed_at, tz),
        1 if "late_filing" in (r.flags or []) else 0,
        (r.inspector.display_name or r.inspector.username) if disclosure.inspector else "",
        r.note,
        base + path_of("workflow.item", report_id=r.id),
    )


def csv_chunks(
    app: Flask,
    p: Principal,
    f: ReportFilter,
    *,
    now: datetime,
    tz: ZoneInfo,
    disclosure: Disclosure,
    base: str,
) -> Iterator[bytes]:
    """The CSV a chunk of ``BATCH`` rows at a time; ``now`` fixes what "overdue" means for the whole file,
    ``base`` is ``links.public_base()`` read in the request."""
    yield ("\ufeff" + csvcells.write([HEADER])).encode("utf-8")
    key = None
    while True:
        with app.app_context():
            rows, more = queries.page_of_reports(p, f, now=now, key=key, per_page=BATCH, loads=LOADS)
            text = csvcells.write(_row(r, now=now, tz=tz, disclosure=disclosure, base=base) for r in rows)
            key = (rows[-1].observed_at, rows[-1].id) if rows else None
        if text:
            yield text.encode("utf-8")
        if not more:
            return
