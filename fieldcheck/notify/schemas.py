"""The API's shapes of the inbox (every user) and the robot targets (admin)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ..api.describe import optional


class Notification(BaseModel):
    """One line of the caller's inbox"""

    id: int
    kind: str = Field(
        description="dispatched, rework, appeal_upheld, appeal_granted, suspension_approved, suspension_refused, "
        "urged, voided, revisit_waiting, verification_waiting, appeal_waiting, suspension_waiting, unassigned"
    )
    title: str
    text: str
    note: str
    report_id: int | None
    url: str | None = Field(description="the report's page")
    created_at: datetime
    read_at: datetime | None


class Inbox(BaseModel):
    items: list[Notification]
    next_cursor: str | None
    unread: int


class InboxQuery(BaseModel):
    unread: str = optional("1: unread only")
    limit: int = optional("0-100, default 50")
    cursor: str = optional("next_cursor of the previous page")


class MarkRead(BaseModel):
    ids: list[int] = optional()
    all: bool = optional()


class Marked(BaseModel):
    updated: int
    unread: int


class Target(BaseModel):
    """A group robot (企业微信 or 钉钉) told of its scope's notifications"""

    id: int
    scope: str = Field(description="community:CODE | subdistrict:CODE | office")
    kind: str = Field(description="wecom | dingtalk")
    url: str = Field(description="the webhook address without its query (the access token is secret)")
    has_secret: bool
    created_at: datetime


class Targets(BaseModel):
    items: list[Target]


class NewTarget(BaseModel):
    scope: str = optional()
    kind: str = optional()
    url: str = optional()
    secret: str = optional("钉钉 加签 secret")
