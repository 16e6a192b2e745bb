"""Request and response shapes of the core API routes (api/views.py): tokens, the user, places, the checklist."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ..months import month_text
from .describe import optional
from .parse import BlankIsAbsent, Fields, Number

MONTH_PATTERN = "^[0-9]{4}-(0[1-9]|1[0-2])$"


def _month(value: object) -> object:
    return month_text(value) if isinstance(value, str) else value


MonthText = Annotated[str, BlankIsAbsent(), BeforeValidator(_month)]
"""A month, read by the one month parser (``months.Month.parse``: 400 bad_month); blank: absent."""


def month_field(description: str, **extra: Any) -> Any:
    return optional(
        description
        + " (a city local month, YYYY-MM in ASCII digits, years 2000 to 2100; else 400 bad_month)",
        pattern=MONTH_PATTERN,
        **extra,
    )


class Credentials(Fields):
    """JSON or form fields; anything else (a missing, empty or non-text one) is 400 invalid."""

    model_config = ConfigDict(strict=True)
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)


class Scope(BaseModel):
    type: Literal["community", "subdistrict"]
    code: str
    name: str


class User(BaseModel):
    """The authenticated user as the API shows it."""

    id: int
    username: str
    display_name: str
    role: Literal["inspector", "community", "subdistrict", "office", "admin"]
    level: Literal["city", "district", "subdistrict"] | None
    scope: Scope | None = Field(description="the community or sub-district of staff; null for the others")


class IssuedToken(BaseModel):
    token: str = Field(description="send as Authorization: Bearer TOKEN")
    expires_at: datetime
    user: User


class Token(BaseModel):
    """An API token of the caller, without its secret."""

    id: int
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    current: bool = Field(description="true for the token that authenticated this request")


class Tokens(BaseModel):
    tokens: list[Token]


class Named(BaseModel):
    code: str
    name: str


class LatLon(BaseModel):
    lat: float
    lon: float


class Community(BaseModel):
    id: int
    code: str
    name: str
    subdistrict: Named
    spot_types: list[str]
    centroid: LatLon = optional("for a label, when the boundary version in force has the community")
    boundary: dict = optional("GeoJSON geometry, with ?geometry=1")


class Communities(BaseModel):
    boundary_version: int | None
    communities: list[Community]


class CommunitiesQuery(Fields):
    geometry: str = optional("1 to include each boundary as GeoJSON")


class Located(BaseModel):
    community: Community | None = Field(description="null when the point lies in no community")
    boundary_version: int | None


class LocateQuery(Fields):
    lat: Number = Field(ge=-90, le=90)
    lon: Number = Field(ge=-180, le=180)


class ChecklistItem(BaseModel):
    code: str
    name_zh: str
    name_en: str
    spot_types: list[str]
    severity: str
    points: float
    cap: float
    std_codes: list[str]


class ChecklistCategory(BaseModel):
    code: str
    name_zh: str
    name_en: str
    weight: float
    applies_only_to: list[str]
    items: list[ChecklistItem]


class Checklist(BaseModel):
    """The checklist version in force in a month, with its scoring settings."""

    id: int
    label: str
    effective_month: str
    month: str
    field_total: float
    rectification_total: float
    found_by: dict[str, float] = Field(description="the multiplier of each level that finds a problem")
    repeat: dict
    severity_deadlines: dict
    categories: list[ChecklistCategory]


class ChecklistQuery(Fields):
    month: MonthText = month_field("default this month")
