"""Filing reports and visits: one service for the API, the form post and (later) the offline queue.

Photos are processed (checked, described, thumbnailed: ``photos.intake_photo``) and their original and
thumbnail written before any row, with nothing locked; the display copy is made on its first view
(``reports/photofiles.py``), under the key the row names from the start. Files are
content-addressed, so a resend or another report with the same photo rewrites nothing. The rows are
then written and committed together in one unit of work (``unit_of_work.writing``); a concurrent
filing with the same client_id loses on the unique key and answers with the winner's record, or 409.

Nothing on the request path ever deletes a photo file. A request that fails after writing its files
leaves them behind, unreferenced: another request may be about to commit a row that refers to the
same content (on PostgreSQL its rows exist, uncommitted, where no other transaction can see them), so
"no committed row refers to it" does not mean "nobody will". Unreferenced files older than a grace
period are removed by the sweeper (``fieldcheck blobs check --sweep``), never inline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from .. import geo
from ..auth.models import User
from ..calendar import WorkCalendar, due_at, local_month
from ..calendar import services as calendar_services
from ..checklist import services as checklist_services
from ..checklist.models import ChecklistItem
from ..checklist.spec import Deadline
from ..errors import N_, Conflict, Invalid, Unavailable
from ..extensions import db
from ..geography import services as geo_services
from ..geography.models import Community, Spot
from ..photos import PhotoError, ProcessedPhoto, intake_photo
from ..storage import BlobStore, photo_keys, put_replacing
from ..unit_of_work import writing
from .intake import LATE_FILING, MAX_PHOTOS, Submission, review_flags
from .models import Event, Photo, Report, Visit

LEVEL_TO_FOUND_BY = {"city": "city", "district": "district", "subdistrict": "subdistrict"}


class CalendarOnce:
    """The work calendar, read when first asked for and then kept: for one request (a bulk review's
    moves each compute a deadline) or one run of the demo's history (hundreds of filings and moves)."""

    def __init__(self) -> None:
        self._calendar: WorkCalendar | None = None

    def __call__(self) -> WorkCalendar:
        if self._calendar is None:
            self._calendar = calendar_services.work_calendar()
        return self._calendar


@dataclass(frozen=True)
class Context:
    """What a filing needs besides the submission: the clock, the city's zone, storage and limits."""

    now: datetime
    tz: ZoneInfo
    storage: BlobStore
    max_pixels: int
    #: A report received later than this after observed_at is flagged late_filing (FIELDCHECK_LATE_FILING_HOURS).
    late_filing: timedelta = LATE_FILING
    #: The work calendar for this context's deadlines, read once (a context lives for one request).
    calendar: CalendarOnce = field(default_factory=CalendarOnce)


@dataclass(frozen=True)
class Filed:
    record: Report | Visit
    created: bool


# The statements every filing runs, built once with bound parameters (see ``auth.lookups``).
_ITEM = select(ChecklistItem).where(
    ChecklistItem.version_id == bindparam("version_id"), ChecklistItem.code == bindparam("code")
)
_BY_CLIENT_ID = {
    model: select(model).where(model.client_id == bindparam("client_id")) for model in (Report, Visit)
}


def file_report(user: User, sub: Submission, uploads: list[bytes], ctx: Context) -> Filed:
    """File a report idempotently: the same client_id and content give the same report, other content 409.

    Long because it is the filing transaction in order (idempotency, the month's checklist, location and
    community, deadline, photos stored before the row, one commit); each step is a call, and their order is
    the rule.
    """
    sub = _with_photo_hashes(sub, uploads)
    existing = _existing(Report, sub)
    if existing is not None:
        return Filed(existing, False)
    observed_at = sub.observed_at or ctx.now
    month = local_month(observed_at, ctx.tz)
    version = checklist_services.version_in_force(month)
    if version is None:
        raise Invalid(N_("No checklist is in force for %(month)s."), code="no_checklist", month=month)
    item = db.session.scalar(_ITEM, {"version_id": version.id, "code": sub.item_code})
    if item is None:
        raise Invalid(
            N_("Unknown checklist item %(item)s in checklist %(label)s."),
            code="unknown_item",
            item=sub.item_code,
            label=version.label,
        )
    processed = process_photos(uploads, ctx.max_pixels, sub.photo_hashes)
    place = _resolve_place(sub, processed)
    flags = review_flags(
        device=(sub.lat, sub.lon) if sub.lat is not None and sub.location_source == "device" else None,
        exif=_first_exif_position(processed),
        taken_at=_first_taken_at(processed, ctx.tz),
        observed_at=observed_at,
        manual=place.source == "manual",
        assigned=place.community is not None,
        distance_m=geo.distance_m,
        received_at=ctx.now,
        late_after=ctx.late_filing,
    ) + (["community_chosen"] if place.overridden else [])
    status = "dispatched" if place.community is not None else "reported"
    due = None
    if status == "dispatched":
        due = deadline_for(version.settings, item.severity, ctx.now, ctx.tz, ctx.calendar)
    report = Report(
        client_id=sub.client_id,
        content_hash=sub.content_hash(),
        inspector_id=user.id,
        item_id=item.id,
        community_id=place.community.id if place.community else None,
        boundary_version_id=place.boundary_version_id,
        spot_id=place.spot.id if place.spot else None,
        lat=place.lat,
        lon=place.lon,
        accuracy_m=sub.accuracy_m if place.source != "manual" else None,
        location_source=place.source,
        observed_at=observed_at,
        received_at=ctx.now,
        instances=sub.instances,
        note=sub.note,
        found_by=LEVEL_TO_FOUND_BY.get(user.level or "", "district"),
        status=status,
        dispatched_at=ctx.now if status == "dispatched" else None,
        due_at=due,
        flags=flags,
    )
    events = [
        Event(
            seq=1,
            actor_id=user.id,
            at=ctx.now,
            action="file",
            from_status=None,
            to_status="reported",
            lat=place.lat,
            lon=place.lon,
        )
    ]
    if status == "dispatched":
        events.append(
            Event(
                seq=2,
                actor_id=user.id,
                at=ctx.now,
                action="dispatch",
                from_status="reported",
                to_status="dispatched",
                due_at=due,
            )
        )
    report.events = events
    report.photos = [photo_row(p, "before") for p in processed]
    for photo in report.photos:
        photo.event = events[0]
    return _save(Report, report, sub, list(zip(processed, uploads, strict=True)), ctx)


def file_visit(user: User, sub: Submission, uploads: list[bytes], ctx: Context) -> Filed:
    """Record an inspection without a problem (for coverage), with the same idempotency as reports."""
    sub = _with_photo_hashes(sub, uploads, required=False)
    existing = _existing(Visit, sub)
    if existing is not None:
        return Filed(existing, False)
    processed = process_photos(uploads, ctx.max_pixels, sub.photo_hashes)
    place = _resolve_place(sub, processed)
    visit = Visit(
        client_id=sub.client_id,
        content_hash=sub.content_hash(),
        inspector_id=user.id,
        community_id=place.community.id if place.community else None,
        boundary_version_id=place.boundary_version_id,
        spot_id=place.spot.id if place.spot else None,
        lat=place.lat,
        lon=place.lon,
        accuracy_m=sub.accuracy_m if place.source != "manual" else None,
        location_source=place.source,
        observed_at=sub.observed_at or ctx.now,
        received_at=ctx.now,
        note=sub.note,
    )
    visit.photos = [photo_row(p, "visit") for p in processed]
    return _save(Visit, visit, sub, list(zip(processed, uploads, strict=True)), ctx)


def _with_photo_hashes(sub: Submission, uploads: list[bytes], *, required: bool = True) -> Submission:
    if required and not uploads:
        raise Invalid(N_("Add at least one photo."), code="no_photo")
    if len(uploads) > MAX_PHOTOS:
        raise Invalid(N_("Send at most %(max)s photos."), code="too_many_photos", max=MAX_PHOTOS)
    return replace(sub, photo_hashes=tuple(hashlib.sha256(data).hexdigest() for data in uploads))


def _existing(model, sub: Submission):
    row = db.session.scalar(_BY_CLIENT_ID[model], {"client_id": sub.client_id})
    if row is None:
        return None
    if row.content_hash != sub.content_hash():
        raise Conflict(
            N_("This client_id was already used for different content."),
            code="client_id_conflict",
            details={"id": row.id},
        )
    return row


def process_photos(
    uploads: list[bytes], max_pixels: int, hashes: tuple[str, ...] = ()
) -> list[ProcessedPhoto]:
    """Each upload through the photo intake (no display copy: see the module docstring); ``hashes`` (the submission's SHA-256 of each upload, when
    computed already for idempotency) spare the pipeline a second pass over the bytes."""
    out = []
    for number, data in enumerate(uploads, start=1):
        sha256 = hashes[number - 1] if len(hashes) == len(uploads) else None
        try:
            out.append(intake_photo(data, max_pixels=max_pixels, sha256=sha256))
        except PhotoError as exc:
            raise Invalid(
                N_("Photo %(n)s: %(reason)s"),
                code="photo_" + exc.code,
                n=number,
                reason=PHOTO_REASONS[exc.code],
            ) from None
    return out


PHOTO_REASONS = {
    "empty": N_("the file is empty."),
    "not_an_image": N_("the file is not a photo (JPEG, PNG, WebP or HEIC)."),
    "unsupported_format": N_("this image format is not accepted; send JPEG, PNG, WebP or HEIC."),
    "truncated": N_("the file is incomplete (the upload may have been cut off)."),
    "too_many_pixels": N_("the image has too many pixels."),
}


@dataclass(frozen=True)
class Place:
    lat: float | None
    lon: float | None
    source: str
    community: Community | None
    boundary_version_id: int | None
    spot: Spot | None
    # The inspector chose a community other than the one the position lies in.
    overridden: bool = False


def _resolve_place(sub: Submission, processed: list[ProcessedPhoto]) -> Place:
    """Device position first, EXIF GPS second, a community picked by hand last (flagged manual)."""
    spot = None
    if sub.spot_code:
        spot = db.session.scalar(select(Spot).where(Spot.code == sub.spot_code))
        if spot is None:
            raise Invalid(N_("Unknown spot %(spot)s."), code="unknown_spot", spot=sub.spot_code)
    chosen = None
    if sub.community_code:
        chosen = db.session.scalar(select(Community).where(Community.code == sub.community_code))
        if chosen is None:
            raise Invalid(
                N_("Unknown community %(community)s."), code="unknown_community", community=sub.community_code
            )
    if spot is not None and chosen is not None and spot.community_id != chosen.id:
        raise Invalid(
            N_("Spot %(spot)s is not in community %(community)s."),
            code="spot_mismatch",
            spot=spot.code,
            community=chosen.code,
        )
    if sub.location_source == "manual" or (sub.lat is None and _first_exif_position(processed) is None):
        community = chosen or (spot.community if spot else None)
        if community is None:
            raise Invalid(
                N_("No location: allow the phone to share its position, or choose the community by hand."),
                code="no_location",
            )
        version = geo_services.current_boundary_version()
        return Place(sub.lat, sub.lon, "manual", community, version.id if version else None, spot)
    if sub.lat is not None:
        lat, lon, source = sub.lat, sub.lon, sub.location_source
    else:
        lat, lon = _first_exif_position(processed)
        source = "exif"
    located, version = geo_services.locate(lat, lon)  # the version in force, asked for once
    community = chosen or located or (spot.community if spot else None)
    version_id = version.id if version else None
    return Place(lat, lon, source, community, version_id, spot, chosen is not None and chosen != located)


def _first_exif_position(processed: list[ProcessedPhoto]) -> tuple[float, float] | None:
    for p in processed:
        if p.exif.lat is not None and p.exif.lon is not None:
            return (p.exif.lat, p.exif.lon)
    return None


def _first_taken_at(processed: list[ProcessedPhoto], tz: ZoneInfo) -> datetime | None:
    """The capture time of the oldest photo, read in the city's zone when the camera gave no offset."""
    times = []
    for p in processed:
        t = p.exif.taken_at
        if t is not None:
            times.append((t if t.tzinfo else t.replace(tzinfo=tz)).astimezone(UTC))
    return min(times) if times else None


def deadline_for(
    settings: dict,
    severity: str,
    dispatched_at: datetime,
    tz: ZoneInfo,
    calendar: Callable[[], WorkCalendar] = calendar_services.work_calendar,
) -> datetime | None:
    """The deadline of an item of this severity dispatched at that moment (None for a planned date).

    ``calendar`` gives the work calendar (a context's ``CalendarOnce``), asked for only by a deadline in
    working days: one in hours or a planned date needs none."""
    from ..checklist.spec import parse_deadline

    spec: Deadline = parse_deadline(settings["severity_deadlines"][severity])
    return due_at(spec, dispatched_at, calendar() if spec.kind == "working_days" else WorkCalendar(), tz)


def photo_row(p: ProcessedPhoto, kind: str) -> Photo:
    original, display, thumb = photo_keys(p.sha256)
    taken = p.exif.taken_at
    return Photo(
        kind=kind,
        sha256=p.sha256,
        phash=p.phash,
        size=p.size,
        mime=p.mime,
        width=p.width,
        height=p.height,
        exif_lat=p.exif.lat,
        exif_lon=p.exif.lon,
        exif_taken_at=taken.isoformat() if taken else None,
        exif_make=p.exif.make,
        exif_model=p.exif.model,
        original_key=original,
        display_key=display,
        thumb_key=thumb,
    )


def _save(model, record, sub: Submission, photos: list[tuple[ProcessedPhoto, bytes]], ctx: Context) -> Filed:
    write_photo_files(photos, ctx.storage)
    try:
        with writing(keep_loaded=True) as session:  # the answer shows what was just written
            session.add(record)
    except IntegrityError:
        # A concurrent request with the same client_id won: answer with its record, or 409.
        existing = _existing(model, sub)
        if existing is None:
            raise
        return Filed(existing, False)
    return Filed(record, True)


def write_photo_files(photos: list[tuple[ProcessedPhoto, bytes]], storage: BlobStore) -> None:
    """Write the original and the thumbnail of each photo (503 when storage fails), before the rows and
    never removed on the request path (see the module docstring); the display copy is made on first view.
    Content already stored is put again all the same: that rewrites nothing but refreshes its time, so
    the sweeper's grace period counts from this request, which is about to refer to it. A thumbnail
    stored with other bytes (made by an earlier version of the renderer, Pillow or libvips, from the same
    original) is replaced by this version's: a rendition, not evidence, and the put refreshes its time."""
    try:
        for p, original_bytes in photos:
            original, _display, thumb = photo_keys(p.sha256)
            storage.put(original, original_bytes)
            put_replacing(storage, thumb, p.thumb)
    except OSError as exc:
        raise Unavailable(
            N_("Photo storage is not available; nothing was changed. Try again shortly."),
            code="storage_unavailable",
        ) from exc


def count_rows() -> dict[str, int]:
    """Row counts for tests and health checks."""
    return {
        "report": db.session.scalar(select(func.count(Report.id))),
        "photo": db.session.scalar(select(func.count(Photo.id))),
        "visit": db.session.scalar(select(func.count(Visit.id))),
        "event": db.session.scalar(select(func.count(Event.id))),
    }
