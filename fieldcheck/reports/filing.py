"""What every entry point that files a report or makes a move with photos takes from the request: the
filing context (clock, zone, storage, limits) and the uploaded photos. Used by the reports API and
capture form, and by the workflow's API and pages."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app, request

from ..types import utcnow
from .services import Context


def filing_context() -> Context:
    return Context(
        now=utcnow(),
        tz=ZoneInfo(current_app.config["TIMEZONE"]),
        storage=current_app.extensions["fieldcheck.storage"],
        max_pixels=current_app.config["MAX_IMAGE_PIXELS"],
        late_filing=timedelta(hours=float(current_app.config["LATE_FILING_HOURS"])),
    )


def uploaded_photos() -> list[bytes]:
    """The request's ``photos`` files. A file field left empty arrives as a part without a name or
    content: that is "no photo", not an empty one."""
    parts = [(f.filename, f.read()) for f in request.files.getlist("photos") if f is not None]
    return [data for name, data in parts if name or data]
