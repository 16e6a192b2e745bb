"""The API's shapes of the map layers: GeoJSON FeatureCollections (application/geo+json, sent as
application/json), WGS-84 with the longitude first."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ..api.describe import optional
from ..api.parse import Fields, Whole
from ..api.schemas import MonthText
from ..reports.schemas import StatusName
from .queries import DEFAULT_LIMIT, MAX_LIMIT


class MapCommunity(BaseModel):
    """Properties of one community feature (geometry: its Polygon or MultiPolygon in the boundary version in
    force)"""

    code: str
    name: str
    subdistrict_code: str
    subdistrict_name: str
    score: str | None = Field(
        description="the month's score, an exact decimal string as in /rankings; null for inspectors, and "
        "without a checklist in force"
    )
    rank: int | None = Field(description="the month's rank (1 is best); null as score")
    open: int = Field(
        description="open reports now (reported, dispatched, rectified, appealed, suspended) that the user may "
        "see; an inspector counts only their own"
    )
    overdue: int = Field(description="of those, dispatched or suspended past the deadline")
    centroid: list[float] = Field(description="[lon, lat] for a label")


class CommunityFeature(BaseModel):
    type: str
    id: str
    geometry: dict
    properties: MapCommunity


class CommunityLayer(BaseModel):
    """FeatureCollection with month, boundary_version, ranking (published, live, or null without a checklist
    in force)"""

    type: Literal["FeatureCollection"]
    month: str
    boundary_version: int | None
    ranking: Literal["published", "live"] | None
    features: list[CommunityFeature]


class MapReport(BaseModel):
    """Properties of one report feature (geometry: Point [lon, lat]); reports without a position are left out"""

    id: int
    status: StatusName
    item_code: str
    overdue: bool
    observed_at: datetime


class ReportFeature(BaseModel):
    type: str
    id: int
    geometry: dict
    properties: MapReport


class ReportLayer(BaseModel):
    """FeatureCollection with truncated and limit"""

    type: Literal["FeatureCollection"]
    truncated: bool
    limit: int
    features: list[ReportFeature]


class CommunityLayerQuery(Fields):
    month: MonthText = optional("YYYY-MM, the city's local month; default this month (400 bad_month)")


class ReportLayerQuery(Fields):
    """Each refusal is 400 bad_FIELD (bad_bbox, bad_month, bad_status, bad_limit, ...)."""

    bbox: str = optional("minLon,minLat,maxLon,maxLat in WGS-84 degrees (400 bad_bbox)")
    month: MonthText = optional("YYYY-MM: observed in that local month (400 bad_month)")
    status: str = optional("one or more statuses, comma-separated (400 bad_status)")
    category: str = optional("a checklist category code (ENV, ORD, ...)", max_length=48)
    item: str = optional("a checklist item code (ENV-02, ...)", max_length=48)
    found_by: str = optional("third_party, city, district or subdistrict, comma-separated")
    community: str = optional("a community code", max_length=48)
    overdue: str = optional("1: only reports past their deadline that the community still owes")
    limit: Whole = optional(f"1..{MAX_LIMIT}, default {DEFAULT_LIMIT} (400 bad_limit)", ge=1, le=MAX_LIMIT)
