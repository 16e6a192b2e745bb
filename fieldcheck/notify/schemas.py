"""The API's shapes of the inbox (every user) and the robot targets (admin)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, StrictBool, StrictInt, model_validator

from ..api.describe import optional
from ..api.parse import Fields, Whole, rule
from ..errors import N_
from .inbox import MAX_LIMIT

MAX_CURSOR = 2**31 - 1  # a row id: int4 keys, and PostgreSQL refuses a larger one in a comparison


class Notification(BaseModel):
    """One line of the caller's inbox"""

    id: int
    kind: str = Field(
        description="dispatched, rework, appeal_upheld, appeal_granted, suspension_approved, suspension_refused, "
        "urged, voided, revisit_waiting, verification_waiting, appeal_waiting, suspension_waiting, unassigned, "
        "due_soon, overdue, new_overdue, overdue_digest, month_ready"
    )
    title: str
    text: str
    note: str
    report_id: int | None
    url: str | None = Field(description="the report's page (a month ready to publish: its ranking page)")
    created_at: datetime
    read_at: datetime | None


class Inbox(BaseModel):
    items: list[Notification]
    next_cursor: str | None
    unread: int


class InboxQuery(Fields):
    unread: str = optional("1: unread only")
    limit: Whole = optional("0-100, default 50", ge=0, le=MAX_LIMIT)
    cursor: Whole = optional("next_cursor of the previous page", ge=1, le=MAX_CURSOR)


class MarkRead(Fields):
    ids: list[StrictInt] = optional("at most 1000", max_length=1000)
    all: StrictBool = optional("true: every notification")

    @model_validator(mode="after")
    def _ids_or_all(self) -> MarkRead:
        if self.all is not True and self.ids is None:
            raise rule(N_('Send {"ids": [...]} (at most 1000 numbers) or {"all": true}.'))
        return self


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


class NewTarget(Fields):
    scope: str = optional()
    kind: str = optional("wecom or dingtalk")
    url: str = optional("the robot's http(s) webhook address")
    secret: str = optional("钉钉 加签 secret")


class TestResult(BaseModel):
    ok: bool
    error: str | None


class FailedQuery(Fields):
    cursor: Whole = optional("next_cursor of the previous page", ge=1, le=MAX_CURSOR)


class Failed(BaseModel):
    """One item of a message given up on 24 hours after it was written"""

    id: int
    channel: str = Field(description="wecom | dingtalk | email")
    destination: str = Field(description="the robot's scope, or user:USERNAME for e-mail")
    kind: str
    report_id: int | None
    attempts: int
    last_error: str
    failed_at: datetime
    created_at: datetime


class FailedList(BaseModel):
    items: list[Failed]
    next_cursor: str | None


class Retried(BaseModel):
    retried: int
