"""The API's shapes of the checklist administration routes (GET/POST /api/v1/admin/checklists)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..api.schemas import MONTH_PATTERN

UPLOAD_ERRORS = (
    "400 invalid lists every problem of the file in error.problems, each with message, path (the JSON path), "
    "line (YAML or JSON) or sheet and row (XLSX); 400 bad_month for a month that is not YYYY-MM; 409 conflict "
    "when effective_month is a published month or earlier (a published month keeps its version); 413 over "
    "2 MB. Nothing is stored when the request is refused."
)


class ChecklistVersion(BaseModel):
    """A checklist version"""

    id: int
    label: str
    effective_month: str = Field(description="the first month (YYYY-MM, local) the version is in force")
    created_at: datetime
    sha256: str = Field(description="of the file as uploaded")
    items: int = Field(description="how many items the version has")
    published_months: list[str] = Field(description="the published months scored with it")
    locked: bool = Field(
        description="true once a published month used it: it cannot change, only be superseded"
    )


class ChecklistVersions(BaseModel):
    checklists: list[ChecklistVersion]


class ChecklistChange(BaseModel):
    """One difference from the previous version"""

    kind: Literal["added", "removed", "changed"]
    what: str = Field(
        description="item ENV-02, category MKT, scoring.found_by.city, severity_deadlines.S2, label"
    )
    field: str = Field(description="the item's or category's field that changed (empty otherwise)")
    before: Any = Field(description="the value before (null when added)")
    after: Any = Field(description="the value after (null when removed)")


class ChecklistUploaded(BaseModel):
    checklist: ChecklistVersion
    previous: int | None = Field(description="the version it supersedes")
    diff: list[ChecklistChange]


class ChecklistUpload(BaseModel):
    """A checklist file: YAML or JSON in the file format, or an XLSX in the layout of an exported version."""

    file: bytes = Field(description="the checklist file (decided by content, not by name)")
    effective_month: str = Field(
        description="the first month the version is in force (YYYY-MM, local)", pattern=MONTH_PATTERN
    )
