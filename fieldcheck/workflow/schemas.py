"""The API's shapes of the workflow's moves (POST /reports/ID/...): each answers the whole Report."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from ..api.describe import optional

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


class Assign(Move):
    community: str = Field(description="community code")


class AskSuspension(Move):
    planned_date: date = Field(description="after today, city time")
    reason: str = Field(description=NOTE)


class DecideSuspension(Move):
    decision: Literal["approve", "refuse"]
    planned_date: date = optional()
    note: str = optional(NOTE)
