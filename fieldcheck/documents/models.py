"""The numbers bulletins were published with: one row per month, given at its first publication."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime, utcnow


class BulletinNumber(db.Model):
    """A month's bulletin number (``serial`` of ``year``, as the pattern then rendered it) and the issuing
    body then: given with the month's first publication and never changed (a correction keeps them).
    Kept beside the snapshot, not in its document, so a published document stays byte for byte as it
    was; the unique (year, serial) makes two months published at once not share a number."""

    __table_args__ = (UniqueConstraint("year", "serial"),)

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(200), default="")
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("ranking_snapshot.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
