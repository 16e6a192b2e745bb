"""The API's shapes of the admin routes (administrators only; 403 for every other role)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ..api.describe import optional

Role = Literal["inspector", "community", "subdistrict", "office", "admin"]
FIELD_ERRORS = (
    "400 invalid with error.field naming the field at fault (username, password, role, level, community, "
    "subdistrict, display_name, active); last_admin when the change would leave no active administrator"
)


class AdminUser(BaseModel):
    """A user as the admin API shows it (never a password or its hash)"""

    username: str
    display_name: str
    role: Role
    level: Literal["city", "district", "subdistrict"] | None
    community: str | None = Field(description="community code (community staff)")
    subdistrict: str | None = Field(description="sub-district code (sub-district and community staff)")
    active: bool
    must_change_password: bool = Field(description="true after a reset, until the user changes it")
    created_at: datetime | None


class UserPage(BaseModel):
    users: list[AdminUser]
    total: int
    page: int
    page_size: int


class UserQuery(BaseModel):
    q: str = optional("part of the username or display name")
    role: str = optional()
    scope: str = optional("a community or sub-district code")
    active: str = optional("yes or no")
    page: int = optional()


class NewUser(BaseModel):
    username: str
    password: str
    role: str
    level: str = optional()
    community: str = optional()
    subdistrict: str = optional()
    display_name: str = optional()


class OneUser(BaseModel):
    user: AdminUser


class UserChange(BaseModel):
    role: str = optional()
    level: str | None = optional()
    community: str | None = optional()
    subdistrict: str | None = optional()
    display_name: str = optional()
    active: bool = optional()


class ChangedUser(BaseModel):
    user: AdminUser
    changed: dict[str, list] = Field(description="{field: [before, after]}")


class TemporaryPassword(BaseModel):
    password: str = Field(description="shown once")


class AuditEntry(BaseModel):
    """One entry of the append-only audit log"""

    id: int
    at: datetime
    actor: str = Field(description="the username of who acted, or cli for the command line")
    action: str = Field(
        description="user.create, user.update, user.deactivate, user.activate, user.password_reset, "
        "user.password_change, boundaries.upload, boundaries.activate, checklist.upload, calendar.import, "
        "ranking.publish, setting.change"
    )
    target: str = Field(description="what changed, e.g. user:wang, ranking:2026-05, boundaries:3")
    changes: dict = Field(description="{field: [before, after]}")


class AuditPage(BaseModel):
    """entries and the next page's cursor (null on the last page)"""

    entries: list[AuditEntry]
    next: str | None


class AuditQuery(BaseModel):
    from_: str = optional(
        "YYYY-MM-DD (city local date) or an ISO 8601 time with offset; inclusive", alias="from"
    )
    to: str = optional("YYYY-MM-DD (inclusive day) or an ISO 8601 time with offset (exclusive)")
    actor: str = optional("a username, or cli")
    action: str = optional()
    before: str = optional("the next cursor of the previous page")
    limit: int = optional("1-500, default 50")
