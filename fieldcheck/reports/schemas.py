"""The API's shapes of reports, visits and photos: what is filed (multipart forms) and what is answered."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from ..api.describe import optional
from ..api.parse import Fields, Whole
from ..api.schemas import LatLon, MonthText, Named, month_field
from ..status import STATUS_VALUES

StatusName = Literal[STATUS_VALUES]  # type: ignore[valid-type]
Level = Literal["third_party", "city", "district", "subdistrict"]
Source = Literal["device", "exif", "manual"]
FLAGS = (
    "exif_far",
    "photo_old",
    "manual_location",
    "outside_boundaries",
    "community_chosen",
    "late_filing",
    "after_photo_reused",
)


class Location(BaseModel):
    """WGS-84; lat and lon are null for a community chosen by hand without a position"""

    lat: float | None
    lon: float | None
    accuracy_m: float | None
    location_source: Source


class Exif(BaseModel):
    """What the photo's EXIF claims; each field null when absent or unreadable, and all of them for
    community and sub-district staff unless the office discloses photo metadata"""

    lat: float | None
    lon: float | None
    taken_at: str | None = Field(
        description="as the camera wrote it: its local time, with an offset only if the camera gave one"
    )
    make: str | None
    model: str | None


class PhotoUrls(BaseModel):
    """display: JPEG, long edge <= 1600 px, upright, no metadata; thumb: JPEG <= 320 px"""

    display: str
    thumb: str
    original: str = optional("only for office and admin")


class Photo(BaseModel):
    id: int
    kind: Literal["before", "after", "visit"]
    sha256: str = Field(description="SHA-256 of the original upload (identical photos are stored once)")
    phash: str = Field(description="64-bit perceptual hash (dHash) as 16 hex digits")
    size: int = Field(description="bytes of the original")
    mime: str = Field(
        description="type of the original: image/jpeg, image/png, image/webp, image/heic or image/heif"
    )
    width: int = Field(description="full-resolution width, upright")
    height: int = Field(description="full-resolution height, upright")
    event: int | None = Field(description="seq of the event the photo belongs to")
    exif: Exif
    urls: PhotoUrls


class Event(BaseModel):
    """Append-only history of the report, oldest first"""

    seq: int
    action: str = Field(description="file, dispatch, then the workflow's actions")
    from_: str | None = Field(alias="from")
    to: str
    at: datetime
    actor: str | None = Field(description="username; null for an inspector the reader may not know")
    note: str | None
    due_at: datetime | None
    location: LatLon | None
    photos: list[int]


class Item(BaseModel):
    code: str
    name_zh: str
    name_en: str
    severity: str
    points: float


class ReportCommunity(BaseModel):
    """null while no community is known (status reported, flag outside_boundaries)"""

    code: str
    name: str
    subdistrict: Named


class Spot(BaseModel):
    code: str
    name: str
    type: str


class Inspector(BaseModel):
    """Unannounced inspection: community and sub-district staff get null username and display_name unless
    the office discloses who inspected (its settings)"""

    username: str | None
    display_name: str | None
    level: Level = Field(description="found_by")


class Report(BaseModel):
    id: int
    client_id: UUID
    status: StatusName
    version: int
    overdue: bool
    item: Item
    community: ReportCommunity | None
    boundary_version: int | None
    spot: Spot | None
    location: Location
    observed_at: datetime
    received_at: datetime
    dispatched_at: datetime | None
    due_at: datetime | None
    rectified_at: datetime | None
    closed_at: datetime | None
    appeal_from: str | None
    suspension_requested: date | None = Field(
        description="a planned date the community asked for, awaiting the office"
    )
    planned_date: date | None
    instances: int
    note: str
    found_by: Level
    flags: list[Literal[FLAGS]] = Field(  # type: ignore[valid-type]
        description="reasons for the office to look again: EXIF position over 200 m from the device's, "
        "photo taken over 24 h before filing, location chosen by hand, outside every community, "
        "community chosen by hand differs from the position's, received more than "
        "FIELDCHECK_LATE_FILING_HOURS (48 by default) after observed_at, an after-photo repeats an earlier "
        "photo of the report"
    )
    rework_count: int
    inspector: Inspector
    events: list[Event]
    photos: list[Photo]
    actions: list[str] = optional(
        "GET /reports/{report_id} and the workflow's moves only: the actions this user may take now"
    )


class VisitCommunity(BaseModel):
    code: str
    name: str


class Visit(BaseModel):
    id: int
    client_id: UUID
    community: VisitCommunity | None
    spot: str | None = Field(description="spot code")
    location: Location
    observed_at: datetime
    received_at: datetime
    note: str
    photos: list[Photo]


class ReportPage(BaseModel):
    page: int = optional("absent on pages reached by cursor")
    per_page: int
    total: int = optional(
        "reports matching, over all pages, counted up to 10,000 (absent on pages reached by cursor and "
        "on searches for words, q)"
    )
    total_capped: bool = optional(
        "true when more than 10,000 reports match: total is then 10,000 (given with total)"
    )
    next_cursor: str | None = Field(description="the cursor of the next page; null on the last")
    reports: list[Report]


class VisitPage(BaseModel):
    per_page: int
    total: int = optional("visits in the month, over all pages (absent on pages reached by cursor)")
    next_cursor: str | None = Field(description="the cursor of the next page; null on the last")
    visits: list[Visit]


# --- what is filed ----------------------------------------------------------------------------------------
# Documentation of the multipart forms; reports/intake.py reads them with the codes its tests pin.

PHOTOS = (
    "JPEG, PNG, WebP or HEIC/HEIF, decided by content; at most 9 and 64 million pixels each; the whole "
    "request at most MAX_CONTENT_LENGTH (64 MiB by default, else 413)"
)


class VisitForm(BaseModel):
    client_id: UUID = Field(
        description="chosen by the phone once per report; resending it with the same content answers 200 "
        "with the same record, with other content 409 client_id_conflict",
    )
    photos: list[bytes] = optional("optional, at most 9. " + PHOTOS)
    lat: float = optional("-90..90, sent together with lon", ge=-90, le=90)
    lon: float = optional("-180..180, sent together with lat", ge=-180, le=180)
    accuracy_m: float = optional("the device's accuracy in metres, 0..100000", ge=0, le=100000)
    location_source: Source = optional(
        "device (the default when lat and lon are sent), exif or manual. Without a position the first "
        "photo's EXIF GPS is used (exif); without either, or with manual, the community (or spot) chosen by "
        "hand (manual, flagged manual_location; 400 no_location if none was chosen)"
    )
    observed_at: datetime = optional(
        "ISO 8601 with an offset, at most 15 minutes in the future and not before the start of the previous "
        "month (city time), else 400 invalid_observed_at; default: when received. Received more than "
        "FIELDCHECK_LATE_FILING_HOURS (48 by default) after it: flagged late_filing"
    )
    note: str = optional("at most 2000 characters")
    community: str = optional(
        "community code chosen by hand: the fallback without a position; with a position it overrides the "
        "located community (flag community_chosen)"
    )
    spot: str = optional("spot code chosen by hand; must lie in the chosen community (spot_mismatch)")


class ReportForm(VisitForm):
    photos: list[bytes] = Field(description=PHOTOS)  # type: ignore[assignment]
    item_code: str = Field(
        description="a checklist item of the version in force in observed_at's month (unknown_item)"
    )
    instances: int = optional("how many of them, 1..999, default 1", ge=1, le=999)


CODE_PATTERN = r"^[A-Za-z0-9_.\-]{1,32}$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


class ReportFilterQuery(Fields):
    """The filters of GET /reports and /reports.csv (``reports.search``); each narrows the list."""

    q: str = optional(
        "a report number (123 or #123), or up to 5 words each found in the note, the item's name or the "
        "community's name",
        max_length=300,
    )
    status: str = optional("comma-separated states: " + ", ".join(STATUS_VALUES))
    overdue: Literal["0", "1"] = optional("1: only reports whose deadline passed while the fix is owed")
    subdistrict: str = optional("sub-district code", pattern=CODE_PATTERN)
    community: str = optional("community code", pattern=CODE_PATTERN)
    item: str = optional("checklist item code", pattern=CODE_PATTERN)
    category: str = optional("checklist category code", pattern=CODE_PATTERN)
    found_by: Literal["third_party", "city", "district", "subdistrict"] = optional()
    from_: str = optional("first local date of observation", alias="from", pattern=DATE_PATTERN)
    to: str = optional("last local date of observation", pattern=DATE_PATTERN)
    month: MonthText = month_field("observed in that local month of the city")


class ReportQuery(ReportFilterQuery):
    cursor: str = optional(
        "next_cursor of the previous page: continues with no report repeated or skipped while reports are "
        "filed (not with page)",
        max_length=200,
    )
    page: Whole = Field(
        default=1, ge=1, le=100000, description="for older clients: OFFSET paging (use cursor)"
    )
    per_page: Whole = Field(default=50, ge=1, le=200)


class PhotoPath(BaseModel):
    photo_id: int
    variant: Literal["display", "thumb", "original"]


class VisitQuery(Fields):
    month: MonthText = month_field("observed in that local month of the city (default: this month)")
    cursor: str = optional(
        "next_cursor of the previous page: continues with no visit repeated or skipped while visits are "
        "recorded",
        max_length=200,
    )
    per_page: Whole = Field(default=50, ge=1, le=200)
