"""The API's shapes of the workflow's moves (POST /reports/ID/...): each answers the whole Report."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, StrictInt, StrictStr

from ..api.describe import ErrorDetail, optional

NOTE = "why; up to 2000 characters"


class Move(BaseModel):
    """The fields every move accepts; the rules check the rest against the report."""

    version: int = optional(
        "the report version the client saw; if the report changed since, 409 (code stale)"
    )
    lat: float = optional("optional: where the user stands (kept on the event)")
    lon: float = optional()


class Rectify(Move):
    note: str = optional(NOTE)
    photos: list[bytes] = Field(description="1 to 9 photos")


class Review(Move):
    decision: Literal["accept", "reject"]
    note: str = optional(NOTE)


class Reason(Move):
    reason: str = Field(description=NOTE)


class DecideAppeal(Move):
    decision: Literal["uphold", "void"]
    note: str = Field(description=NOTE)


class Urge(Move):
    note: str = Field(description=NOTE)


class Assign(Move):
    community: str = Field(description="community code")


class AskSuspension(Move):
    planned_date: date = Field(description="after today, city time")
    reason: str = Field(description=NOTE)


class DecideSuspension(Move):
    decision: Literal["approve", "refuse"]
    planned_date: date = optional()
    note: str = optional(NOTE)


class Reviewed(BaseModel):
    """One report of a bulk review and the version the reviewer saw."""

    id: StrictInt = Field(ge=1, le=2**31 - 1)
    version: StrictInt = optional(
        "if the report changed since, its result is the error stale", ge=0, le=2**31 - 1
    )


class BulkReview(BaseModel):
    """Verify many rectifications at once; each report is its own move."""

    decision: Literal["accept", "reject"]
    note: StrictStr = optional(NOTE + "; required to reject")
    reports: list[Reviewed] = Field(min_length=1, max_length=200, description="1 to 200 reports")


class ReviewResult(BaseModel):
    id: int
    status: str = optional("the report's status after the move (when it was made)")
    error: ErrorDetail = optional("why this report was not moved (the single move's refusal)")


class ReviewResults(BaseModel):
    """One result per report sent, in the same order."""

    results: list[ReviewResult]
