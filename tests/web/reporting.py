"""Shared helpers for tests that file reports and act on them through the API."""

from __future__ import annotations

import contextlib
import io
import uuid
from pathlib import Path

from sqlalchemy import event

from fieldcheck.extensions import db
from fieldcheck.reports.models import Event, Photo, Report
from tests.photo_factory import jpeg

INSIDE_C001 = (34.655, 112.405)
INSIDE_C003 = (34.655, 112.425)


def token_for(client, username):
    response = client.post("/api/v1/auth/token", json={"username": username, "password": "pw-12345678"})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def report_form(photos=None, **fields):
    data = {
        "client_id": str(uuid.uuid4()),
        "item_code": "ENV-02",
        "lat": str(INSIDE_C001[0]),
        "lon": str(INSIDE_C001[1]),
        "accuracy_m": "8",
        "location_source": "device",
        "instances": "1",
        "note": "3号楼2单元楼道堆物",
    }
    data.update({k: v for k, v in fields.items() if v is not None})
    for k, v in fields.items():
        if v is None:
            data.pop(k, None)
    if photos is None:
        photos = [jpeg()]
    data["photos"] = [
        (io.BytesIO(p), name) for p, name in ((p, f"image{i}.jpg") for i, p in enumerate(photos))
    ]
    return data


def post_report(client, headers, photos=None, **fields):
    return client.post(
        "/api/v1/reports",
        data=report_form(photos, **fields),
        headers=headers,
        content_type="multipart/form-data",
    )


def blob_files(app) -> list[Path]:
    """Every file under the folder store's root (temporary parts included)."""
    root = Path(app.config["BLOB_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def stored_keys(app) -> set[str]:
    """What the app's photo store holds: every file under a folder store's root (temporary parts
    included), or every object of an object store and every upload it never completed."""
    store = app.extensions["fieldcheck.storage"]
    root = getattr(store, "root", None)
    if root is None:
        return set(store.keys()) | {part.name for part in store.temporary_parts()}
    root = Path(root)
    files = (p for p in root.rglob("*") if p.is_file()) if root.exists() else ()
    return {p.relative_to(root).as_posix() for p in files}


def referenced_keys(app, *, made_at_filing: bool = False) -> set[str]:
    """The files photo rows refer to; with ``made_at_filing``, only those a filing writes (the original and
    the thumbnail: the display copy is made on the photo's first view)."""
    columns = (
        (Photo.original_key, Photo.thumb_key)
        if made_at_filing
        else (Photo.original_key, Photo.display_key, Photo.thumb_key)
    )
    with app.app_context():
        rows = db.session.execute(db.select(*columns)).all()
    return {key for row in rows for key in row}


def unreferenced_files(app) -> set[str]:
    """Stored files no row refers to: what a failed request leaves for the sweeper (``blobs check --sweep``);
    the request path never deletes a file."""
    return stored_keys(app) - referenced_keys(app)


def missing_files(app) -> set[str]:
    """Files that photo rows refer to and storage lacks, a display copy not made yet apart (it is made on the
    photo's first view): must always be empty."""
    return referenced_keys(app, made_at_filing=True) - stored_keys(app)


def counts(app) -> dict:
    with app.app_context():
        return {
            "report": db.session.query(Report).count(),
            "photo": db.session.query(Photo).count(),
            "event": db.session.query(Event).count(),
            "files": len(stored_keys(app)),
        }


@contextlib.contextmanager
def recorded_statements(app):
    """Yields a list that collects the SQL text of every statement the app's engine runs inside the block."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)
