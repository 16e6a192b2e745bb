"""Reports (案件), their photos and events, and inspection visits without a problem."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.schema import DDL

from ..auth.models import User
from ..checklist.models import ChecklistItem
from ..extensions import db
from ..geography.models import Community, Spot
from ..status import FOUND_BY_VALUES, STATUS_VALUES
from ..types import UTCDateTime, utcnow

STATUSES = STATUS_VALUES
LOCATION_SOURCES = ("device", "exif", "manual")
FOUND_BY = FOUND_BY_VALUES
PHOTO_KINDS = ("before", "after", "visit")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Report(db.Model):
    """One problem found by an inspector, from filing to closing."""

    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("location_source", LOCATION_SOURCES), name="location_source"),
        CheckConstraint(_in("found_by", FOUND_BY), name="found_by"),
        CheckConstraint("instances >= 1", name="instances_positive"),
        CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="lat_lon_together"),
        Index("ix_report_community_observed", "community_id", "observed_at"),
        Index("ix_report_inspector_observed", "inspector_id", "observed_at"),
        Index("ix_report_status_due", "status", "due_at"),
        Index("ix_report_status_id", "status", "id"),  # the office's queues, oldest first by cursor
        # The open items of a scope (the landing pages' lists, paged by rank, deadline and id) and counts of
        # open items per community (the landing pages, the map's colours), of the office's queues and a
        # queue's items: read from the index alone (no table rows) at a city's scale.
        Index(
            "ix_report_status_counts",
            "status",
            "community_id",
            "due_at",
            "id",
            "suspension_requested",
            "item_id",
        ),
        Index("ix_report_community_due", "community_id", "due_at"),
        # The lists' item and category filters within a scope (a sub-district's, a community's): both
        # conditions in one index, so a page's total is counted from the index alone.
        Index("ix_report_item_community", "item_id", "community_id"),
        # The monthly ranking's loader selects reports observed in the month, due in it, or closed in the
        # repeat window (ranking/services.py): one range index for each, combined by the planner.
        Index("ix_report_observed_at", "observed_at"),
        Index("ix_report_due_at", "due_at"),
        Index("ix_report_closed_at", "closed_at"),
        # The map's points by bounding box (fieldcheck/map/queries.py): a range on lon, lat checked in the index.
        Index("ix_report_lon_lat", "lon", "lat"),
        # A list's word search (``q``) in the notes: trigrams on PostgreSQL (pg_trgm, GIN), which serve
        # ILIKE '%word%' for words of three characters or more. SQLite keeps its LIKE scan: its copy of
        # the index is partial with an always-false condition, so it holds no entry and costs nothing.
        Index(
            "ix_report_note_trgm",
            "note",
            postgresql_using="gin",
            postgresql_ops={"note": "gin_trgm_ops"},
            sqlite_where=text("0"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    # SHA-256 of the report's content as first received: a resend with the same client_id must match it.
    content_hash: Mapped[str] = mapped_column(String(64))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("checklist_item.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    boundary_version_id: Mapped[int | None] = mapped_column(ForeignKey("boundary_version.id"))
    spot_id: Mapped[int | None] = mapped_column(ForeignKey("spot.id"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(String(8))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    instances: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(Text, default="")
    found_by: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12))
    # When the community got it (filing, or the office's assignment): deadlines count from here.
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The latest rectification (None until the community first reports it fixed) and the acceptance.
    rectified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    # While appealed: the status an upheld report returns to.
    appeal_from: Mapped[str | None] = mapped_column(String(12))
    # A suspension (挂账) the community asked for and the office has not yet decided: the planned date.
    suspension_requested: Mapped[date | None] = mapped_column(Date)
    # The approved plan date of a suspended report (its deadline is the end of that local day).
    planned_date: Mapped[date | None] = mapped_column(Date)
    # Reasons for a second look: exif_far, photo_old, manual_location, outside_boundaries.
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Bumped by every transition; a transition based on a stale version loses with 409.
    version: Mapped[int] = mapped_column(Integer, default=1)

    inspector: Mapped[User] = relationship()
    item: Mapped[ChecklistItem] = relationship()
    community: Mapped[Community | None] = relationship()
    spot: Mapped[Spot | None] = relationship()
    photos: Mapped[list[Photo]] = relationship(
        back_populates="report", order_by="Photo.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[Event]] = relationship(
        back_populates="report", order_by="Event.seq", cascade="all, delete-orphan"
    )


class Visit(db.Model):
    """An inspection that found no problem: it still counts for coverage."""

    __table_args__ = (
        CheckConstraint(_in("location_source", LOCATION_SOURCES), name="location_source"),
        CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="lat_lon_together"),
        Index("ix_visit_community_observed", "community_id", "observed_at"),
        # My reports' visits: an inspector's, newest first, paged by cursor (observed_at, id).
        Index("ix_visit_inspector_observed", "inspector_id", "observed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    boundary_version_id: Mapped[int | None] = mapped_column(ForeignKey("boundary_version.id"))
    spot_id: Mapped[int | None] = mapped_column(ForeignKey("spot.id"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(String(8))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    inspector: Mapped[User] = relationship()
    community: Mapped[Community | None] = relationship()
    spot: Mapped[Spot | None] = relationship()
    photos: Mapped[list[Photo]] = relationship(back_populates="visit", order_by="Photo.id")


class Event(db.Model):
    """An append-only record of one transition: who, when, from, to, note, photos, location."""

    __table_args__ = (UniqueConstraint("report_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    report: Mapped[Report] = relationship(back_populates="events")
    actor: Mapped[User] = relationship()
    photos: Mapped[list[Photo]] = relationship(back_populates="event", order_by="Photo.id")


class Photo(db.Model):
    """One photo attached to a report, an event or a visit; files are keyed by content, so stored once."""

    __table_args__ = (
        CheckConstraint(_in("kind", PHOTO_KINDS), name="kind"),
        CheckConstraint("(report_id IS NULL) != (visit_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    phash: Mapped[str] = mapped_column(String(16), index=True)
    size: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lon: Mapped[float | None] = mapped_column(Float)
    # As the camera wrote it (camera clocks carry no zone unless OffsetTimeOriginal says so).
    exif_taken_at: Mapped[str | None] = mapped_column(String(32))
    exif_make: Mapped[str | None] = mapped_column(String(128))
    exif_model: Mapped[str | None] = mapped_column(String(128))
    original_key: Mapped[str] = mapped_column(String(128))
    display_key: Mapped[str] = mapped_column(String(128))
    thumb_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[Report | None] = relationship(back_populates="photos")
    visit: Mapped[Visit | None] = relationship(back_populates="photos")
    event: Mapped[Event | None] = relationship(back_populates="photos")


# The trigram index needs its extension (the migration creates both; this covers ``create_all``).
event.listen(
    Report.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)


@event.listens_for(Event, "before_update")
@event.listens_for(Event, "before_delete")
def _events_are_append_only(mapper, connection, target: Event) -> None:
    """The history of a report is evidence: an event, once written, is never changed or removed."""
    raise RuntimeError(f"event {target.id} of report {target.report_id} is append-only")
