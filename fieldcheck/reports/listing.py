"""A page of the report list read as plain rows and written as JSON-ready dicts (issues 14 and 16).

``serialize.report`` over ORM objects with seven relationships loaded cost 25-55 ms of CPU per page of 50
(building the objects, then ``url_for`` three times a photo); the office's readers call the list most.
Here the page's columns are selected as rows, one query per kind of row (items, communities with their
sub-districts, spots, events, people, photos, the events' photos), and the values the whole page shares
(disclosure, the photo addresses' form) are worked out once. The answer is byte for byte
``serialize.report``'s (tests/web/test_report_list_rows.py compares them).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from flask import url_for
from sqlalchemy import ARRAY, Integer, any_, bindparam, select

from .. import permissions as perm
from .. import settings
from ..auth.models import User
from ..checklist.models import ChecklistItem
from ..extensions import db
from ..geography.models import Community, Spot, Subdistrict
from ..workflow.rules import is_overdue
from . import queries, serialize
from .models import Event, Photo, Report
from .search import ReportFilter

#: The report's own columns the list shows (and ``id``, ``observed_at`` for the cursor).
REPORT_COLUMNS = (
    Report.id,
    Report.client_id,
    Report.status,
    Report.version,
    Report.item_id,
    Report.community_id,
    Report.boundary_version_id,
    Report.spot_id,
    Report.inspector_id,
    Report.lat,
    Report.lon,
    Report.accuracy_m,
    Report.location_source,
    Report.observed_at,
    Report.received_at,
    Report.dispatched_at,
    Report.due_at,
    Report.rectified_at,
    Report.closed_at,
    Report.appeal_from,
    Report.suspension_requested,
    Report.planned_date,
    Report.instances,
    Report.note,
    Report.found_by,
    Report.flags,
    Report.rework_count,
)

EVENT_COLUMNS = (
    Event.id,
    Event.report_id,
    Event.seq,
    Event.action,
    Event.from_status,
    Event.to_status,
    Event.at,
    Event.actor_id,
    Event.note,
    Event.due_at,
    Event.lat,
    Event.lon,
)

PHOTO_COLUMNS = (
    Photo.id,
    Photo.report_id,
    Photo.event_id,
    Photo.kind,
    Photo.sha256,
    Photo.phash,
    Photo.size,
    Photo.mime,
    Photo.width,
    Photo.height,
    Photo.exif_lat,
    Photo.exif_lon,
    Photo.exif_taken_at,
    Photo.exif_make,
    Photo.exif_model,
)


def _among(column, postgres: bool):
    """``column`` among the bound ``ids``: on PostgreSQL one array parameter (``= ANY``), elsewhere an
    expanding IN (one parameter per id, rendered into the SQL on every call)."""
    if postgres:
        return column == any_(bindparam("ids", type_=ARRAY(Integer)))
    return column.in_(bindparam("ids", expanding=True))


@cache
def statements(postgres: bool) -> dict:
    """The lookups, built once per dialect: a request only binds the page's ids (building a statement
    costs more CPU than running it)."""
    item, spot, user = ChecklistItem, Spot, User
    return {
        "items": select(item.id, item.code, item.name_zh, item.name_en, item.severity, item.points).where(
            _among(item.id, postgres)
        ),
        "communities": select(
            Community.id,
            Community.code,
            Community.name,
            Subdistrict.code.label("sd_code"),
            Subdistrict.name.label("sd_name"),
        )
        .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
        .where(_among(Community.id, postgres)),
        "spots": select(spot.id, spot.code, spot.name, spot.spot_type).where(_among(spot.id, postgres)),
        "events": select(*EVENT_COLUMNS)
        .where(_among(Event.report_id, postgres))
        .order_by(Event.seq, Event.id),
        "people": select(user.id, user.username, user.display_name, user.role).where(
            _among(user.id, postgres)
        ),
        "photos": select(*PHOTO_COLUMNS).where(_among(Photo.report_id, postgres)).order_by(Photo.id),
        "event_photos": select(Photo.id, Photo.event_id)
        .where(_among(Photo.event_id, postgres))
        .order_by(Photo.id),
    }


def _read(kind: str, ids) -> list:
    query = statements(db.session.get_bind().dialect.name == "postgresql")[kind]
    return db.session.execute(query, {"ids": sorted(ids)}).all()


def _by_id(kind: str, ids) -> dict:
    return {row.id: row for row in _read(kind, ids)}


class Related:
    """What a page of report rows refers to, each kind read in one query (the same count for any page)."""

    def __init__(self, rows) -> None:
        report_ids = [r.id for r in rows]
        self.items = _by_id("items", {r.item_id for r in rows})
        self.communities = _by_id("communities", {r.community_id for r in rows if r.community_id is not None})
        self.spots = _by_id("spots", {r.spot_id for r in rows if r.spot_id is not None})
        self.events: dict[int, list] = {i: [] for i in report_ids}
        events = _read("events", report_ids)
        for e in events:
            self.events[e.report_id].append(e)
        self.seq = {e.id: e.seq for e in events}
        self.people = _by_id("people", {r.inspector_id for r in rows} | {e.actor_id for e in events})
        self.photos: dict[int, list] = {i: [] for i in report_ids}
        for p in _read("photos", report_ids):
            self.photos[p.report_id].append(p)
        self.event_photos: dict[int, list[int]] = {e.id: [] for e in events}
        for photo_id, event_id in _read("event_photos", self.seq):
            self.event_photos[event_id].append(photo_id)

    def event_seq(self, event_id: int | None) -> int | None:
        """The seq of a photo's event (one of the page's, or, should a photo name another report's, read)."""
        if event_id is None:
            return None
        if event_id not in self.seq:
            self.seq[event_id] = db.session.get(Event, event_id).seq
        return self.seq[event_id]


#: A photo id no address contains otherwise: the address is built once with it, then filled in per photo.
_SENTINEL = 918273645


def photo_addresses(originals: bool) -> dict[str, tuple[str, str]]:
    """Each variant's address around the photo id, from ``url_for`` once per page instead of per photo."""
    variants = ("display", "thumb", "original") if originals else ("display", "thumb")
    out = {}
    for variant in variants:
        head, tail = url_for("api.photo_file", photo_id=_SENTINEL, variant=variant).split(str(_SENTINEL))
        out[variant] = (head, tail)
    return out


def iso(value) -> str | None:
    return value.isoformat() if value else None


class PageWriter:
    """Writes report rows as ``serialize.report`` writes reports, the page's shared values worked out once."""

    def __init__(self, rows, *, now: datetime, originals: bool, disclosure: settings.Disclosure) -> None:
        self.related = Related(rows) if rows else None
        self.now = now
        self.addresses = photo_addresses(originals)
        self.inspector = disclosure.inspector
        self.metadata = disclosure.photo_metadata

    def photo(self, p) -> dict:
        pid = str(p.id)
        exif = {
            "lat": p.exif_lat if self.metadata else None,
            "lon": p.exif_lon if self.metadata else None,
            "taken_at": p.exif_taken_at if self.metadata else None,
            "make": p.exif_make if self.metadata else None,
            "model": p.exif_model if self.metadata else None,
        }
        return {
            "id": p.id,
            "kind": p.kind,
            "sha256": p.sha256,
            "phash": p.phash,
            "size": p.size,
            "mime": p.mime,
            "width": p.width,
            "height": p.height,
            "event": self.related.event_seq(p.event_id),
            "exif": exif,
            "urls": {variant: head + pid + tail for variant, (head, tail) in self.addresses.items()},
        }

    def event(self, e) -> dict:
        actor = self.related.people[e.actor_id]
        return {
            "seq": e.seq,
            "action": e.action,
            "from": e.from_status,
            "to": e.to_status,
            "at": iso(e.at),
            "actor": actor.username if self.inspector or actor.role != "inspector" else None,
            "note": e.note,
            "due_at": iso(e.due_at),
            "location": {"lat": e.lat, "lon": e.lon} if e.lat is not None else None,
            "photos": self.related.event_photos[e.id],
        }

    def report(self, r) -> dict:
        item = self.related.items[r.item_id]
        community = self.related.communities[r.community_id] if r.community_id is not None else None
        spot = self.related.spots[r.spot_id] if r.spot_id is not None else None
        inspector = self.related.people[r.inspector_id]
        return {
            "id": r.id,
            "client_id": r.client_id,
            "status": r.status,
            "version": r.version,
            "overdue": is_overdue(r.status, r.due_at, self.now),
            "item": {
                "code": item.code,
                "name_zh": item.name_zh,
                "name_en": item.name_en,
                "severity": item.severity,
                "points": float(item.points),
            },
            "community": (
                {
                    "code": community.code,
                    "name": community.name,
                    "subdistrict": {"code": community.sd_code, "name": community.sd_name},
                }
                if community
                else None
            ),
            "boundary_version": r.boundary_version_id,
            "spot": {"code": spot.code, "name": spot.name, "type": spot.spot_type} if spot else None,
            "location": {
                "lat": r.lat,
                "lon": r.lon,
                "accuracy_m": r.accuracy_m,
                "location_source": r.location_source,
            },
            "observed_at": iso(r.observed_at),
            "received_at": iso(r.received_at),
            "dispatched_at": iso(r.dispatched_at),
            "due_at": iso(r.due_at),
            "rectified_at": iso(r.rectified_at),
            "closed_at": iso(r.closed_at),
            "appeal_from": r.appeal_from,
            "suspension_requested": iso(r.suspension_requested),
            "planned_date": iso(r.planned_date),
            "instances": r.instances,
            "note": r.note,
            "found_by": r.found_by,
            "flags": list(r.flags or []),
            "rework_count": r.rework_count,
            "inspector": {
                "username": inspector.username if self.inspector else None,
                "display_name": inspector.display_name if self.inspector else None,
                "level": r.found_by,
            },
            "events": [self.event(e) for e in self.related.events[r.id]],
            "photos": [self.photo(p) for p in self.related.photos[r.id]],
        }


def page(rows, *, now: datetime, originals: bool, disclosure: settings.Disclosure) -> list[dict]:
    """The reports of a page of ``REPORT_COLUMNS`` rows, as ``serialize.report`` would write them."""
    writer = PageWriter(rows, now=now, originals=originals, disclosure=disclosure)
    return [writer.report(r) for r in rows]


def rows_page(p: perm.Principal, f: ReportFilter, *, now: datetime, key, offset: int, per_page: int):
    """A page of GET /reports: its reports, the last row (for the cursor) and whether more follow."""
    rows, more = queries.page_of_report_rows(
        p, f, REPORT_COLUMNS, now=now, key=key, offset=offset, per_page=per_page
    )
    shown = settings.disclosure_for(p)
    reports = page(rows, now=now, originals=perm.can_view_originals(p), disclosure=shown)
    return reports, (rows[-1] if rows else None), more


def objects_page(p: perm.Principal, f: ReportFilter, *, now: datetime, key, offset: int, per_page: int):
    """``rows_page`` the previous way, ORM objects with ``queries.LIST_LOADS`` and ``serialize.report``: the
    reference the rows are held to (tests/web/test_report_list_rows.py) and bench/list_cpu.py's baseline."""
    rows, more = queries.page_of_reports(p, f, now=now, key=key, offset=offset, per_page=per_page)
    originals, shown = perm.can_view_originals(p), settings.disclosure_for(p)
    reports = [serialize.report(r, now=now, originals=originals, disclosure=shown) for r in rows]
    return reports, (rows[-1] if rows else None), more
