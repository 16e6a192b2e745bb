"""Users, their role and scope, and API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..geography.models import Community, Subdistrict
from ..types import UTCDateTime, utcnow

ROLES = ("inspector", "community", "subdistrict", "office", "admin")
LEVELS = ("city", "district", "subdistrict")


class User(UserMixin, db.Model):
    __table_args__ = (
        CheckConstraint("role IN ('inspector', 'community', 'subdistrict', 'office', 'admin')", name="role"),
        CheckConstraint("level IS NULL OR level IN ('city', 'district', 'subdistrict')", name="level"),
        CheckConstraint("role != 'community' OR community_id IS NOT NULL", name="community_scope"),
        CheckConstraint("role != 'subdistrict' OR subdistrict_id IS NOT NULL", name="subdistrict_scope"),
        CheckConstraint("role != 'inspector' OR level IS NOT NULL", name="inspector_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    level: Mapped[str | None] = mapped_column(String(16))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Set by an administrator's password reset: the temporary password only lets the user choose a new one.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community: Mapped[Community | None] = relationship()
    subdistrict: Mapped[Subdistrict | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """A logged-in browser session: the cookie carries a random key, only its SHA-256 is stored here.

    Logging out deletes the row, so a copied cookie stops working; a password change or a deactivation
    deletes every row of the user.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
