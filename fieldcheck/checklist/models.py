"""Checklist versions (测评体系), stored as loaded."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import Points, UTCDateTime, utcnow


class ChecklistVersion(db.Model):
    """A checklist in force from its first month until a later version takes over."""

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(64))
    effective_month: Mapped[str] = mapped_column(String(7), index=True)
    field_total: Mapped[Decimal] = mapped_column(Points)
    rectification_total: Mapped[Decimal] = mapped_column(Points)
    # Everything else in the file that scoring needs (multipliers, repeat rule, deadlines), as validated.
    settings: Mapped[dict] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    categories: Mapped[list[ChecklistCategory]] = relationship(
        back_populates="version", order_by="ChecklistCategory.position", cascade="all, delete-orphan"
    )
    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="version", order_by="ChecklistItem.position", cascade="all, delete-orphan"
    )


class ChecklistCategory(db.Model):
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("checklist_version.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    weight: Mapped[Decimal] = mapped_column(Points)
    # Scored only for communities that have one of these spot types (empty: every community).
    applies_only_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int]

    version: Mapped[ChecklistVersion] = relationship(back_populates="categories")
    items: Mapped[list[ChecklistItem]] = relationship(
        back_populates="category", order_by="ChecklistItem.position", viewonly=True
    )


class ChecklistItem(db.Model):
    __table_args__ = (
        UniqueConstraint("version_id", "code"),
        CheckConstraint("severity IN ('S0', 'S1', 'S2', 'S3', 'S4')", name="severity"),
        CheckConstraint("points >= 0", name="points_not_negative"),
        CheckConstraint("cap >= 0", name="cap_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("checklist_version.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("checklist_category.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    spot_types: Mapped[list[str]] = mapped_column(JSON)
    severity: Mapped[str] = mapped_column(String(2))
    points: Mapped[Decimal] = mapped_column(Points)
    cap: Mapped[Decimal] = mapped_column(Points)
    std_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    position: Mapped[int]

    version: Mapped[ChecklistVersion] = relationship(back_populates="items")
    category: Mapped[ChecklistCategory] = relationship(back_populates="items")
