"""Reports as JSON-ready dicts (the API and the pages' scripts share them).

What a reader sees of an unannounced inspection follows the office's settings (``fieldcheck.settings``):
without disclosure, community and sub-district staff get the level that found the problem instead of the
inspector (``inspector.username`` and ``display_name`` null, an inspector's events with a null ``actor``)
and photos whose ``exif`` fields are all null.
"""

from __future__ import annotations

from datetime import datetime

from flask import url_for

from .. import settings
from ..web import current_principal
from ..workflow.rules import is_overdue
from .models import Photo, Report

NO_EXIF = {"lat": None, "lon": None, "taken_at": None, "make": None, "model": None}


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _disclosure(disclosure: settings.Disclosure | None) -> settings.Disclosure:
    return disclosure if disclosure is not None else settings.disclosure_for(current_principal())


def photo(p: Photo, *, originals: bool, disclosure: settings.Disclosure | None = None) -> dict:
    """A photo's facts and addresses; ``disclosure`` defaults to the current user's."""
    shown = _disclosure(disclosure)
    urls = {
        "display": url_for("api.photo_file", photo_id=p.id, variant="display"),
        "thumb": url_for("api.photo_file", photo_id=p.id, variant="thumb"),
    }
    if originals:
        urls["original"] = url_for("api.photo_file", photo_id=p.id, variant="original")
    return {
        "id": p.id,
        "kind": p.kind,
        "sha256": p.sha256,
        "phash": p.phash,
        "size": p.size,
        "mime": p.mime,
        "width": p.width,
        "height": p.height,
        "event": p.event.seq if p.event else None,
        "exif": {
            "lat": p.exif_lat,
            "lon": p.exif_lon,
            "taken_at": p.exif_taken_at,
            "make": p.exif_make,
            "model": p.exif_model,
        }
        if shown.photo_metadata
        else dict(NO_EXIF),
        "urls": urls,
    }


def report(
    r: Report,
    *,
    now: datetime,
    originals: bool,
    actions: list[str] | None = None,
    disclosure: settings.Disclosure | None = None,
) -> dict:
    """A report with its location, photos and ordered events; ``actions`` lists the moves the reader may make;
    ``disclosure`` (default: the current user's) what they may see of who inspected.

    Long because it is the documented answer written out as one dict, field by field, so it reads as the API
    description does.
    """
    shown = _disclosure(disclosure)
    body = {
        "id": r.id,
        "client_id": r.client_id,
        "status": r.status,
        "version": r.version,
        "overdue": is_overdue(r.status, r.due_at, now),
        "item": {
            "code": r.item.code,
            "name_zh": r.item.name_zh,
            "name_en": r.item.name_en,
            "severity": r.item.severity,
            "points": float(r.item.points),
        },
        "community": (
            {
                "code": r.community.code,
                "name": r.community.name,
                "subdistrict": {"code": r.community.subdistrict.code, "name": r.community.subdistrict.name},
            }
            if r.community
            else None
        ),
        "boundary_version": r.boundary_version_id,
        "spot": {"code": r.spot.code, "name": r.spot.name, "type": r.spot.spot_type} if r.spot else None,
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
        "suspension_requested": r.suspension_requested.isoformat() if r.suspension_requested else None,
        "planned_date": r.planned_date.isoformat() if r.planned_date else None,
        "instances": r.instances,
        "note": r.note,
        "found_by": r.found_by,
        "flags": list(r.flags or []),
        "rework_count": r.rework_count,
        "inspector": {
            "username": r.inspector.username if shown.inspector else None,
            "display_name": r.inspector.display_name if shown.inspector else None,
            "level": r.found_by,
        },
        "events": [
            {
                "seq": e.seq,
                "action": e.action,
                "from": e.from_status,
                "to": e.to_status,
                "at": iso(e.at),
                "actor": e.actor.username if shown.inspector or e.actor.role != "inspector" else None,
                "note": e.note,
                "due_at": iso(e.due_at),
                "location": {"lat": e.lat, "lon": e.lon} if e.lat is not None else None,
                "photos": [p.id for p in e.photos],
            }
            for e in r.events
        ],
        "photos": [photo(p, originals=originals, disclosure=shown) for p in r.photos],
    }
    if actions is not None:
        body["actions"] = [str(a) for a in actions]
    return body


def visit(v, disclosure: settings.Disclosure | None = None) -> dict:
    shown = _disclosure(disclosure)
    return {
        "id": v.id,
        "client_id": v.client_id,
        "community": {"code": v.community.code, "name": v.community.name} if v.community else None,
        "spot": v.spot.code if v.spot else None,
        "location": {
            "lat": v.lat,
            "lon": v.lon,
            "accuracy_m": v.accuracy_m,
            "location_source": v.location_source,
        },
        "observed_at": iso(v.observed_at),
        "received_at": iso(v.received_at),
        "note": v.note,
        "photos": [photo(p, originals=False, disclosure=shown) for p in v.photos],
    }
