"""Checking what a phone sends before anything is stored: pure, plain values in and out."""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..errors import N_, Invalid

LOCATION_SOURCES = ("device", "exif", "manual")
MAX_NOTE = 2000
MAX_INSTANCES = 999
MAX_PHOTOS = 9
# Phones' clocks drift; a report "observed" further in the future than this is refused.
CLOCK_SKEW = timedelta(minutes=15)
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class Submission:
    """A report (or a visit, without item and instances) as the phone sent it, validated."""

    client_id: str
    item_code: str | None
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    location_source: str | None
    observed_at: datetime | None
    instances: int
    note: str
    community_code: str | None
    spot_code: str | None
    photo_hashes: tuple[str, ...] = field(default=())

    def content_hash(self) -> str:
        """The identity of the content: a resend with the same client_id must carry the same."""
        body = {
            "item_code": self.item_code,
            "lat": self.lat,
            "lon": self.lon,
            "accuracy_m": self.accuracy_m,
            "location_source": self.location_source,
            "observed_at": self.observed_at.isoformat() if self.observed_at else None,
            "instances": self.instances,
            "note": self.note,
            "community": self.community_code,
            "spot": self.spot_code,
            "photos": list(self.photo_hashes),
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _text(form: dict, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())


def _number(form: dict, name: str, low: float, high: float, label: str) -> float | None:
    raw = _text(form, name)
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Invalid(N_("%(field)s must be a number."), code="invalid_" + name, field=label) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise Invalid(
            N_("%(field)s must lie between %(low)s and %(high)s."), code="invalid_" + name, field=label, low=f"{low:g}", high=f"{high:g}"
        )
    return value


def parse_client_id(raw: str) -> str:
    if not UUID_RE.match(raw or ""):
        raise Invalid(N_("client_id must be a UUID such as 3f2b8c1e-5d4a-4c1b-9e7f-0a1b2c3d4e5f."), code="invalid_client_id")
    return str(uuid.UUID(raw))


def parse_observed_at(raw: str, now: datetime) -> datetime | None:
    if raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(N_("observed_at must be an ISO 8601 time with its offset."), code="invalid_observed_at") from None
    if value.tzinfo is None:
        raise Invalid(
            N_("observed_at needs a time zone offset (e.g. 2026-11-27T09:30:00+08:00)."), code="invalid_observed_at"
        )
    value = value.astimezone(UTC)
    if value > now + CLOCK_SKEW:
        raise Invalid(N_("observed_at lies in the future; check the phone's clock."), code="invalid_observed_at")
    return value


def parse_submission(form: dict, now: datetime, *, with_item: bool = True) -> Submission:
    """Validate the fields of a report (or, without item, of a visit); raise Invalid naming the field."""
    client_id = parse_client_id(_text(form, "client_id"))
    item_code = _text(form, "item_code").upper() or None
    if with_item and not item_code:
        raise Invalid(N_("Choose the checklist item (item_code)."), code="invalid_item_code")
    lat = _number(form, "lat", -90, 90, "lat")
    lon = _number(form, "lon", -180, 180, "lon")
    if (lat is None) != (lon is None):
        raise Invalid(N_("Send lat and lon together."), code="invalid_location")
    accuracy = _number(form, "accuracy_m", 0, 100_000, "accuracy_m")
    # Unstated: "device" with a position; without one the service tries EXIF GPS, then the hand-picked community.
    source = _text(form, "location_source") or ("device" if lat is not None else None)
    if source is not None and source not in LOCATION_SOURCES:
        raise Invalid(
            N_("location_source must be one of %(choices)s."),
            code="invalid_location_source",
            choices=", ".join(LOCATION_SOURCES),
        )
    instances_raw = _text(form, "instances") or "1"
    if not re.fullmatch(r"[0-9]{1,6}", instances_raw) or not 1 <= int(instances_raw) <= MAX_INSTANCES:
        raise Invalid(N_("instances must be a whole number from 1 to %(max)s."), code="invalid_instances", max=MAX_INSTANCES)
    note = _text(form, "note")
    if len(note) > MAX_NOTE:
        raise Invalid(N_("The note is longer than %(max)s characters."), code="invalid_note", max=MAX_NOTE)
    return Submission(
        client_id=client_id,
        item_code=item_code if with_item else None,
        lat=lat,
        lon=lon,
        accuracy_m=accuracy,
        location_source=source,
        observed_at=parse_observed_at(_text(form, "observed_at"), now),
        instances=int(instances_raw) if with_item else 1,
        note=note,
        community_code=_text(form, "community").upper() or None,
        spot_code=_text(form, "spot") or None,
    )


EXIF_FAR_M = 200.0
PHOTO_OLD = timedelta(hours=24)


def review_flags(
    *,
    device: tuple[float, float] | None,
    exif: tuple[float, float] | None,
    taken_at: datetime | None,
    observed_at: datetime,
    manual: bool,
    assigned: bool,
    distance_m,
) -> list[str]:
    """Reasons for the office to take a second look at a report (never reasons to refuse it)."""
    flags = []
    if device is not None and exif is not None and distance_m(*device, *exif) > EXIF_FAR_M:
        flags.append("exif_far")
    if taken_at is not None and observed_at - taken_at > PHOTO_OLD:
        flags.append("photo_old")
    if manual:
        flags.append("manual_location")
    if not assigned:
        flags.append("outside_boundaries")
    return flags
