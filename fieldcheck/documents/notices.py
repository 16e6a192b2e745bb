"""The 整改通知单 (rectification notice): what one community must still rectify, as a dated, numbered
document from the issuing body, printed on A4 and signed for.

The notice lists the community's open items (every open state, overdue first, then by deadline), each with
its number (#id), the first before-photo, the item, the place, the deadline and the state. Its number is
the community's code and the local date (``C001-20261205``): a notice is printed from the data as it stands
that day and not stored, so the same day's notices of a community carry the same number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import settings
from ..extensions import db
from ..geography.models import Community
from ..permissions import Principal
from ..workflow import queries
from . import formal

MAX_ITEMS = 500


@dataclass(frozen=True)
class Notice:
    community: Community
    rows: list[queries.Row]
    open_total: int
    formal: formal.Formal


def community_by_code(code: str) -> Community | None:
    return db.session.scalar(
        select(Community).where(Community.code == code[:64]).options(selectinload(Community.subdistrict))
    )


def notice_number(code: str, day) -> str:
    return f"{code}-{day:%Y%m%d}"


def build(community: Community, p: Principal, *, now: datetime, tz_name: str) -> Notice:
    """The notice of ``community`` as ``p`` prints it now (``p`` may see the community: the caller checks)."""
    rows = queries.open_items(p, now, community_id=community.id, limit=MAX_ITEMS)
    counts = queries.counts_by_community(p, now, community_id=community.id)
    day = formal.local_day(now, ZoneInfo(tz_name))
    return Notice(
        community=community,
        rows=rows,
        open_total=counts[0].open if counts else len(rows),
        formal=formal.Formal(
            issuer=settings.get(settings.ISSUER), number=notice_number(community.code, day), dated=day
        ),
    )
