"""The API's shapes of the admin routes (administrators only; 403 for every other role)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ..api.describe import optional
from ..api.parse import Fields, Whole

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


class UserQuery(Fields):
    q: str = optional("part of the username or display name")
    role: str = optional()
    scope: str = optional("a community or sub-district code")
    active: Literal["yes", "no"] = optional()
    page: Whole = optional("default 1", ge=1, le=100_000)


class NewUser(Fields):
    model_config = ConfigDict(extra="forbid")

    username: str
    password: str
    role: str
    level: str = optional()
    community: str = optional()
    subdistrict: str = optional()
    display_name: str = optional()


class OneUser(BaseModel):
    user: AdminUser


class UserChange(Fields):
    """Only the fields sent change; null clears level, community or sub-district."""

    model_config = ConfigDict(extra="forbid")

    role: str = optional()
    level: str | None = optional()
    community: str | None = optional()
    subdistrict: str | None = optional()
    display_name: str = optional()
    active: StrictBool = optional()


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


class AuditQuery(Fields):
    from_: str = optional(
        "YYYY-MM-DD (city local date) or an ISO 8601 time with offset; inclusive", alias="from"
    )
    to: str = optional("YYYY-MM-DD (inclusive day) or an ISO 8601 time with offset (exclusive)")
    actor: str = optional("a username, or cli")
    action: str = optional()
    before: str = optional("the next cursor of the previous page")
    limit: Whole = optional("1-500 (more: 500), default 50", ge=1)


# --- boundary versions (fieldcheck/admin/boundaries.py) ---------------------------------------------------


class BoundaryVersion(BaseModel):
    id: int
    source_name: str = Field(description="the uploaded file's name")
    sha256: str
    feature_count: int
    created_at: datetime
    activated_at: datetime | None = Field(description="when last put in force; null: never")
    in_force: bool


class BoundaryVersions(BaseModel):
    versions: list[BoundaryVersion]
    in_force: int | None


class BoundaryProblem(BaseModel):
    feature: int | None = Field(description="1-based number in file order; null: the whole file")
    features: list[int] = Field(description="every feature involved")
    community_code: str | None = Field(description="the code the file gives the feature")
    message: str


class BoundaryDiff(BaseModel):
    """The differences from the version in force, each list sorted by community code."""

    added: list[dict] = Field(description="[{code, name, subdistrict}]")
    removed: list[dict] = Field(description="[{code, name, subdistrict}] (in force, not in the file)")
    renamed: list[dict] = Field(description="[{code, from, to}]")
    moved: list[dict] = Field(description="[{code, name, from, to}] (sub-district codes)")
    area_changed: list[dict] = Field(
        description="[{code, name, from_m2, to_m2, change_pct}], by more than 5 % of the old area"
    )


class BoundaryUpload(BaseModel):
    file: bytes = Field(description="GeoJSON, UTF-8")


class UploadedBoundaries(BaseModel):
    id: int
    errors: list[BoundaryProblem]
    diff: BoundaryDiff
    feature_count: int


class ActivatedBoundaries(BaseModel):
    id: int
    activated: bool
    in_force: bool
