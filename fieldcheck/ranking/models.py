"""Published rankings: each publication (and each later correction) of a month is a snapshot, kept forever."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..checklist.models import ChecklistVersion
from ..extensions import db
from ..types import UTCDateTime, utcnow


class RankingSnapshot(db.Model):
    """A month's ranking as the office published it: sequence 1 is the first publication, 2 the first
    correction, and so on. ``document`` is the computed ranking as canonical JSON (exact decimals as
    strings; see ranking/document.py), ``sha256`` its digest, the only one published."""

    __table_args__ = (UniqueConstraint("month", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    checklist_version_id: Mapped[int] = mapped_column(ForeignKey("checklist_version.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    document: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    #: The document without its breakdowns, and the digest of what the breakdowns are built from (see
    #: document.summary and document.facts_digest): a GET that shows no breakdown reads these, not the
    #: whole document. None on snapshots published before they were kept.
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    facts_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)

    checklist_version: Mapped[ChecklistVersion] = relationship()
    created_by: Mapped[User] = relationship()


class MonthChange(db.Model):
    """A counter of changes per month key ('YYYY-MM', or ``GLOBAL`` for changes no month holds:
    boundaries, checklists, the calendar, spots), bumped in the transaction that makes the change (see
    ranking/invalidation.py). Only ever increases; the month cache keys on it."""

    __tablename__ = "month_change"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class MonthCache(db.Model):
    """A computed (live) month's document without breakdowns, shared by every app process (see
    ranking/monthcache.py): valid while the months it reads have ``changes`` as their summed counters and
    the reference time is in ``[reference, valid_until)`` (None: for ever, the month being over)."""

    __tablename__ = "month_cache"
    __table_args__ = (UniqueConstraint("month", "checklist_version_id", "timezone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    checklist_version_id: Mapped[int] = mapped_column(ForeignKey("checklist_version.id"))
    timezone: Mapped[str] = mapped_column(String(64))
    changes: Mapped[int] = mapped_column(Integer)
    reference: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text)
    facts_sha256: Mapped[str] = mapped_column(String(64))
    #: Per checklist item code, the month's field reports of it (JSON): the office's top problem items.
    items: Mapped[str] = mapped_column(Text)
