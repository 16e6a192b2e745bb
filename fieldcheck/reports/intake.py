"""Checking what a phone sends before anything is stored: pure, plain values in and out.

When a report may be observed: from the start of the previous local month (a phone offline over a
month's end still delivers its queue) to ``CLOCK_SKEW`` after now; anything earlier is refused with a
message saying so, since it would land in a month whose ranking is closed or published. A report that
arrives more than the configured delay after it was observed is accepted and flagged ``late_filing``
for the office (see ``review_flags``).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from ..errors import N_, Invalid
from ..inputs import parse_number, parse_position
from ..months import Month

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
    text = value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())
    if "\x00" in text:  # PostgreSQL refuses NUL in text; the web layer's guard refuses it first
        raise Invalid(N_("%(field)s must not contain a NUL character."), code="invalid_" + name, field=name)
    return text


def parse_client_id(raw: str) -> str:
    if not UUID_RE.match(raw or ""):
        raise Invalid(
            N_("client_id must be a UUID such as 3f2b8c1e-5d4a-4c1b-9e7f-0a1b2c3d4e5f."),
            code="invalid_client_id",
        )
    return str(uuid.UUID(raw))


def earliest_observed_at(now: datetime, tz: tzinfo) -> datetime:
    """The start (local midnight on the 1st) of the month before the current local month."""
    return Month.of(now, tz).previous().start(tz)


def parse_observed_at(raw: str, now: datetime, tz: tzinfo = UTC) -> datetime | None:
    """An aware UTC time from ISO 8601 text with an offset, between ``earliest_observed_at`` and
    ``now + CLOCK_SKEW``; None for an empty value (the service uses the time of receipt)."""
    if raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(
            N_("observed_at must be an ISO 8601 time with its offset."), code="invalid_observed_at"
        ) from None
    if value.tzinfo is None:
        raise Invalid(
            N_("observed_at needs a time zone offset (e.g. 2026-11-27T09:30:00+08:00)."),
            code="invalid_observed_at",
        )
    try:
        value = value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 or 9999-12-31T23:59:59-12:00 is no time in UTC
        value = None
    if value is not None and value > now + CLOCK_SKEW:
        raise Invalid(
            N_("observed_at lies in the future; check the phone's clock."), code="invalid_observed_at"
        )
    earliest = earliest_observed_at(now, tz)
    if value is None or value < earliest:
        raise Invalid(
            N_(
                "observed_at lies before %(earliest)s: reports and visits can be filed for this month and the "
                "previous one only."
            ),
            code="invalid_observed_at",
            earliest=earliest.astimezone(tz).date().isoformat(),
        )
    return value


def parse_submission(form: dict, now: datetime, *, with_item: bool = True, tz: tzinfo = UTC) -> Submission:
    """Validate the fields of a report (or, without item, of a visit); raise Invalid naming the field.

    ``tz`` is the city's time zone: observed_at may not lie before the previous local month."""
    client_id = parse_client_id(_text(form, "client_id"))
    item_code = _text(form, "item_code").upper() or None
    if with_item and not item_code:
        raise Invalid(N_("Choose the checklist item (item_code)."), code="invalid_item_code")
    lat, lon = parse_position(_text(form, "lat"), _text(form, "lon")) or (None, None)
    accuracy = parse_number(_text(form, "accuracy_m"), "accuracy_m", 0, 100_000)
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
        raise Invalid(
            N_("instances must be a whole number from 1 to %(max)s."),
            code="invalid_instances",
            max=MAX_INSTANCES,
        )
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
        observed_at=parse_observed_at(_text(form, "observed_at"), now, tz),
        instances=int(instances_raw) if with_item else 1,
        note=note,
        community_code=_text(form, "community").upper() or None,
        spot_code=_text(form, "spot") or None,
    )


EXIF_FAR_M = 200.0
PHOTO_OLD = timedelta(hours=24)
#: The default of FIELDCHECK_LATE_FILING_HOURS: a report received later than this after observed_at is flagged.
LATE_FILING = timedelta(hours=48)


def review_flags(
    *,
    device: tuple[float, float] | None,
    exif: tuple[float, float] | None,
    taken_at: datetime | None,
    observed_at: datetime,
    manual: bool,
    assigned: bool,
    distance_m,
    received_at: datetime | None = None,
    late_after: timedelta = LATE_FILING,
) -> list[str]:
    """Reasons for the office to take a second look at a report (never reasons to refuse it).

    ``late_filing``: received more than ``late_after`` after it was observed (a phone offline for a weekend
    is normal; the office decides whether the delay matters)."""
    flags = []
    if device is not None and exif is not None and distance_m(*device, *exif) > EXIF_FAR_M:
        flags.append("exif_far")
    if taken_at is not None and observed_at - taken_at > PHOTO_OLD:
        flags.append("photo_old")
    if manual:
        flags.append("manual_location")
    if not assigned:
        flags.append("outside_boundaries")
    if received_at is not None and received_at - observed_at > late_after:
        flags.append("late_filing")
    return flags
