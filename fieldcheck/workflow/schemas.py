"""The API's shapes of the workflow's moves (POST /reports/ID/...): each answers the whole Report."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, Field, StrictInt, StrictStr, model_validator

from ..api.describe import ErrorDetail, optional
from ..api.parse import Fields, Number, Whole, rule
from ..errors import N_

# Versions count moves; anything beyond a 32-bit integer cannot be one.
MAX_VERSION = 2**31 - 1

NOTE = "why; up to 2000 characters"


def _planned_date(value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        if isinstance(value, str):
            return date.fromisoformat(value.strip())
    except ValueError:
        pass
    raise rule(N_("planned_date must be a date such as 2026-05-31."))


Day = Annotated[date, BeforeValidator(_planned_date)]
"""A date as ISO text (2026-05-31), never a number of seconds."""

# A move's note may come as note or reason, whichever the move names it (clients send either).
AS_NOTE = AliasChoices("note", "reason")
AS_REASON = AliasChoices("reason", "note")


class Move(Fields):
    """The fields every move accepts; the rules check the rest against the report."""

    version: Whole = optional(
        "the report version the client saw; if the report changed since, 409 (code stale)",
        ge=0,
        le=MAX_VERSION,
    )
    lat: Number = optional("optional: where the user stands (kept on the event)", ge=-90, le=90)
    lon: Number = optional("with lat", ge=-180, le=180)

    @model_validator(mode="after")
    def _lat_with_lon(self) -> Move:
        if (self.lat is None) != (self.lon is None):
            raise rule(N_("Send lat and lon together."))
        return self


class Rectify(Move):
    note: str = optional(NOTE, validation_alias=AS_NOTE)
    photos: list[bytes] = Field(description="1 to 9 photos")


class Review(Move):
    decision: Literal["accept", "reject"]
    note: str = optional(NOTE, validation_alias=AS_NOTE)


class Reason(Move):
    reason: str = Field(description=NOTE, validation_alias=AS_REASON)


class DecideAppeal(Move):
    decision: Literal["uphold", "void"]
    note: str = Field(description=NOTE, validation_alias=AS_NOTE)


class Urge(Move):
    note: str = Field(description=NOTE, validation_alias=AS_NOTE)


class Assign(Move):
    community: str = Field(description="community code")


class AskSuspension(Move):
    planned_date: Day = Field(description="after today, city time")
    reason: str = Field(description=NOTE, validation_alias=AS_REASON)


class DecideSuspension(Move):
    decision: Literal["approve", "refuse"]
    planned_date: Day = optional()
    note: str = optional(NOTE, validation_alias=AS_NOTE)


class PageMove(Move):
    """Any move posted from the report's page or a queue (a form; the action is in the path)."""

    note: str = optional(NOTE)
    reason: str = optional(NOTE)
    community: str = optional()
    planned_date: Day = optional()


class Reviewed(BaseModel):
    """One report of a bulk review and the version the reviewer saw."""

    id: StrictInt = Field(ge=1, le=MAX_VERSION)
    version: StrictInt = optional(
        "if the report changed since, its result is the error stale", ge=0, le=MAX_VERSION
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
