"""The API's shapes of the ranking routes (GET /rankings/MONTH, POST /rankings/MONTH/publish)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ..api.describe import optional
from ..api.parse import Fields


class RankingPath(BaseModel):
    month: str = Field(
        description="YYYY-MM (city local month), optionally with .json, .xlsx or .csv; another text is 400 "
        "(bad_month, bad_format)"
    )


class RankingQuery(Fields):
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


class TrendsQuery(Fields):
    community: str = optional("a community code: its figures")
    subdistrict: str = optional("a sub-district code: its figures (not with community)")
    # "from" is a Python keyword: the field is named from_ and shown as "from".
    from_: str = optional("YYYY-MM, the first month (default: eleven months before `to`)", alias="from")
    to: str = optional("YYYY-MM, the last month (default: the current month); at most 24 months in all")


class TrendMonth(BaseModel):
    """One month's figures; all null but month for a month without a checklist in force"""

    month: str
    score: float | None = Field(description="rounded to 2 decimals; null for the district")
    rank: int | None = Field(description="null for the district or an unranked community")
    reports: int | None
    overdue: int | None = Field(description="items open past their deadline")
    on_time_rate: float | None = Field(description="0..1, 4 decimals")
    source: Literal["published", "computed"] | None = Field(
        description="published: the latest snapshot's figures, unchanged by later edits; computed: now"
    )


class Trends(BaseModel):
    """A community's, a sub-district's or the district's figures month by month, oldest first"""

    scope: Literal["community", "subdistrict", "district"]
    code: str | None
    months: list[TrendMonth]
