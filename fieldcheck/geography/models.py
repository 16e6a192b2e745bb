"""Sub-districts, communities, their boundary versions and spots."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..geo import SPOT_TYPES  # noqa: F401  (re-exported for the models' users)
from ..types import UTCDateTime, utcnow


class Subdistrict(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))

    communities: Mapped[list[Community]] = relationship(
        back_populates="subdistrict", order_by="Community.code"
    )


class BoundaryVersion(db.Model):
    """One upload of community boundaries; the one activated last is the one in force.

    An upload is stored inactive (``activated_at`` empty) with its checked features as a GeoJSON
    FeatureCollection in ``features``; nothing else changes until it is activated, which writes its
    community boundaries and applies its names and sub-districts in one transaction.
    """

    __table_args__ = (Index("ix_boundary_version_activated_at_id", "activated_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    feature_count: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Deferred: the GeoJSON of a whole upload (about 140 KB for the demo district), read only to list or
    # diff a version's features, not by the many readers of the version in force (every filing locates).
    features: Mapped[str | None] = mapped_column(Text, deferred=True)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Community(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("subdistrict.id"), index=True)
    # Spot types present in the community (RES, MKT, ...); categories bound to absent types are not scored.
    spot_types: Mapped[list[str]] = mapped_column(JSON, default=list)

    subdistrict: Mapped[Subdistrict] = relationship(back_populates="communities")
    spots: Mapped[list[Spot]] = relationship(back_populates="community", order_by="Spot.code")


class CommunityBoundary(db.Model):
    """A community's polygon in one boundary version (GeoJSON geometry, WGS-84)."""

    __table_args__ = (UniqueConstraint("version_id", "community_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("boundary_version.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    geometry: Mapped[str] = mapped_column(Text)
    centroid_lat: Mapped[float] = mapped_column(Float)
    centroid_lon: Mapped[float] = mapped_column(Float)

    version: Mapped[BoundaryVersion] = relationship()
    community: Mapped[Community] = relationship()


class Spot(db.Model):
    """A place inspectors check (点位): a residential estate, a market, a crossing...

    The registry the office keeps (fieldcheck/spots): each spot has a responsible unit (包保/责任单位)
    and its contact; a deactivated spot is no longer offered to inspectors, and reports that named it
    keep it."""

    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint(
            "spot_type IN ('RES', 'ALY', 'ROAD', 'MKT', 'XING', 'WC', 'CEN', 'PARK')", name="spot_type"
        ),
        # The registry's list: by code, filtered by type, community or state (keyset on code).
        Index("ix_spot_spot_type_code", "spot_type", "code"),
        Index("ix_spot_community_id_code", "community_id", "code"),
        Index("ix_spot_active_code", "active", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48))
    name: Mapped[str] = mapped_column(String(100))
    spot_type: Mapped[str] = mapped_column(String(8))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    responsible_unit: Mapped[str] = mapped_column(String(100), default="", server_default="")
    contact: Mapped[str] = mapped_column(String(100), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True, server_default=true())

    community: Mapped[Community] = relationship(back_populates="spots")
