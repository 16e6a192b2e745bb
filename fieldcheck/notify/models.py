"""Notifications (the inbox), robot targets, e-mail preferences and the outbox of deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime, utcnow

TARGET_KINDS = ("wecom", "dingtalk")
CHANNELS = ("wecom", "dingtalk", "email")


class Notification(db.Model):
    """One line in one user's inbox."""

    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    # The event that caused it (None for digests and reminders).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotifyTarget(db.Model):
    """A group robot of a community, a sub-district or the office (any number per scope)."""

    __table_args__ = (CheckConstraint("kind IN ('wecom', 'dingtalk')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # community:C001 | subdistrict:S01 | office
    scope: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1000))
    # 钉钉 加签 secret (SEC...); the URL's access token is itself a secret, so neither is shown back in full.
    secret: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotifyPreference(db.Model):
    """A user's e-mail address and opt-in (e-mail is off unless the user asks for it)."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    email_opt_in: Mapped[bool] = mapped_column(default=False)


class Delivery(db.Model):
    """One item to send on one channel to one destination (a robot or a user's mailbox): the outbox.

    The worker groups due items of one destination into one message (a batch, named by ``batch_key``,
    the idempotency key the message carries); a batch, once formed, is resent unchanged until recorded.
    """

    __table_args__ = (
        CheckConstraint("channel IN ('wecom', 'dingtalk', 'email')", name="channel"),
        CheckConstraint("(target_id IS NULL) != (user_id IS NULL)", name="one_destination"),
        Index("ix_delivery_due", "sent_at", "failed_at", "next_attempt_at"),
        Index("ix_delivery_target_batched", "target_id", "batched_at"),
        # The admin page's list of failed messages (newest first, by cursor).
        Index("ix_delivery_failed", "failed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(36), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("notify_target.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A worker that claimed it holds it until then; past it, another worker may take it over.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    batch_key: Mapped[str | None] = mapped_column(String(36), index=True)
    batched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")


class NotifyMark(db.Model):
    """Something told once: a deadline reminder (kind, report, deadline) or a digest (kind, key).

    The scheduler inserts the mark and the notifications it stands for in one transaction; the unique
    (kind, key) lets only one of several workers do so.
    """

    __table_args__ = (
        UniqueConstraint("kind", "key"),
        Index("ix_notify_mark_report", "report_id", "kind", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # due_soon/overdue: "REPORT_ID@DUE_AT"; overdue_digest: "SUBDISTRICT_ID@DAY"; month_ready: "YYYY-MM".
    key: Mapped[str] = mapped_column(String(80))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
