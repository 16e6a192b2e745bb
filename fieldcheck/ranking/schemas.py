"""The API's shapes of the ranking routes (GET /rankings/MONTH, POST /rankings/MONTH/publish)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ..api.describe import optional


class RankingPath(BaseModel):
    month: str = Field(
        description="YYYY-MM (city local month), optionally with .json, .xlsx or .csv; another text is 400 "
        "(bad_month, bad_format)"
    )


class RankingQuery(BaseModel):
    live: str = optional("1: the recomputation even for a published month")
    breakdowns: str = optional("1: include every visible community's breakdown")
    community: str = optional("a community code: include that community's breakdown")


class PublishPath(BaseModel):
    month: str = Field(description="YYYY-MM; another text is 400 bad_month")


class Published(BaseModel):
    """The snapshot just published"""

    month: str
    sequence: int = Field(description="1 for the first publication, then each correction")
    sha256: str
    created_at: datetime
    created_by: str
    checklist_version_id: int
    correction: bool
