"""The API's shapes of the spot registry's admin routes (administrators only; 403 for every other role)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ..api.describe import optional
from ..api.parse import Fields, Whole

SpotType = Literal["RES", "ALY", "ROAD", "MKT", "XING", "WC", "CEN", "PARK"]
FIELD_ERRORS = (
    "400 with error.field naming the field at fault: invalid_code, invalid_name, invalid_type, invalid_community, "
    "invalid_lat, invalid_lon, invalid_location (one without the other), invalid_responsible_unit, "
    "invalid_contact, invalid_active, unknown_field; spot_taken for a code already registered"
)


class RegistrySpot(BaseModel):
    """A spot (点位) of the registry"""

    code: str = Field(description="unique; letters, digits, - _ . (upper-cased), at most 48")
    name: str
    type: SpotType
    community: str = Field(description="the code of the community the spot belongs to")
    community_name: str
    lat: float | None
    lon: float | None
    responsible_unit: str = Field(description="包保/责任单位")
    contact: str = Field(description="the responsible unit's contact")
    active: bool = Field(description="false: no longer offered to inspectors")


class SpotPage(BaseModel):
    spots: list[RegistrySpot]
    next: str | None = Field(description="the code to continue after (after=), null on the last page")
    total: int = Field(description="spots the filters match")


class SpotQuery(Fields):
    """A filter with an unknown value is no filter."""

    type: str = optional("a spot type")
    community: str = optional("a community code")
    active: str = optional("yes or no")
    after: str = optional("the next of the previous page: the spots after this code")
    limit: Whole = optional("1-500 (more: 500), default 50", ge=1)


class NewSpot(BaseModel):
    code: str
    name: str
    type: str
    community: str
    lat: float = optional()
    lon: float = optional()
    responsible_unit: str = optional()
    contact: str = optional()
    active: bool = optional()


class SpotChange(BaseModel):
    name: str = optional()
    type: str = optional()
    community: str = optional()
    lat: float = optional()
    lon: float = optional()
    responsible_unit: str = optional()
    contact: str = optional()
    active: bool = optional("false deactivates the spot, true reactivates it")


class OneSpot(BaseModel):
    spot: RegistrySpot


class ChangedSpot(BaseModel):
    spot: RegistrySpot
    changed: dict = Field(description="{field: [before, after]}")


class SpotFile(BaseModel):
    file: bytes = Field(
        description="CSV (code,name,type,community,lat,lon,responsible_unit,contact,active) or GeoJSON"
    )
    preview: str = optional("1: check every row, store nothing")


class ImportedRow(BaseModel):
    where: str = Field(description="line N (CSV) or feature N (GeoJSON)")
    code: str
    action: str = Field(description="new, changed or unchanged (empty when the row has a problem)")
    problem: str = optional()
    field: str | None = optional()


class ImportCounts(BaseModel):
    new: int
    changed: int
    unchanged: int


class SpotImport(BaseModel):
    stored: bool
    rows: list[ImportedRow]
    counts: ImportCounts = optional("when stored")
