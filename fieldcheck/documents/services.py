"""Numbering bulletins and gathering the formal parts of a document (issuing body, number, publisher, date).

``number_bulletin`` is called by the ranking's ``publish`` in the same unit of work as the snapshot: the
month's first publication takes the next serial of the year it is published in (local time), with the
pattern and issuing body then in force; a correction keeps them. Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from .. import settings
from ..auth.models import User
from ..extensions import db
from . import formal
from .models import BulletinNumber


def number_of(month: str) -> BulletinNumber | None:
    return db.session.get(BulletinNumber, month)


def number_bulletin(month: str, snapshot_id: int, *, now: datetime, tz_name: str) -> BulletinNumber:
    """The month's bulletin number, given now if the month has none yet (staged; the caller commits)."""
    existing = number_of(month)
    if existing is not None:
        return existing
    year = formal.local_day(now, ZoneInfo(tz_name)).year
    last = db.session.scalar(select(func.max(BulletinNumber.serial)).where(BulletinNumber.year == year))
    serial = (last or 0) + 1
    row = BulletinNumber(
        month=month,
        year=year,
        serial=serial,
        number=formal.number(settings.get(settings.NUMBER_PATTERN), serial, year),
        issuer=settings.get(settings.ISSUER),
        snapshot_id=snapshot_id,
        assigned_at=now,
    )
    db.session.add(row)
    db.session.flush()
    return row


def display_name(username: str | None) -> str | None:
    """A user's display name (the username when there is none)."""
    if not username:
        return None
    name = db.session.scalar(select(User.display_name).where(User.username == username))
    return name or username


def of_ranking(document: dict, *, now: datetime, tz_name: str) -> formal.Formal:
    """The formal parts of a month's bulletin and XLSX: as given at its first publication (issuing body and
    number), the publisher of the publication shown by display name, dated the day it was published (the
    day it is printed while unpublished)."""
    published = document.get("published")
    if not published:
        return formal.Formal(
            issuer=settings.get(settings.ISSUER), dated=formal.local_day(now, ZoneInfo(tz_name))
        )
    row = number_of(document["month"])
    when = datetime.fromisoformat(published["created_at"])
    return formal.Formal(
        issuer=row.issuer if row is not None else settings.get(settings.ISSUER),
        number=row.number if row is not None else None,
        publisher=display_name(published["created_by"]),
        dated=formal.local_day(when, ZoneInfo(tz_name)),
    )
