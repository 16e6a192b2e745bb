"""Shared fixtures: an app per test with its own database (SQLite always, PostgreSQL when configured).

Set FIELDCHECK_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run every
database test on PostgreSQL too; the suite makes its own throwaway database on that server.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fieldcheck import create_app
from fieldcheck.config import normalise_database_url
from fieldcheck.extensions import db

PG_URL = os.environ.get("FIELDCHECK_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "testdata" / "photos"


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    if not PG_URL:
        pytest.skip("FIELDCHECK_TEST_DATABASE_URL is not set")
    server = make_url(normalise_database_url(PG_URL))
    name = f"fieldcheck_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name)
    yield url.render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_empty_database(pg_database):
    """An empty PostgreSQL database of its own (the shared test database has tables from create_all)."""
    server = make_url(pg_database)
    name = f"fieldcheck_empty_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_schema_ready(request):
    """Create the tables once per session on the PostgreSQL test database."""
    url = request.getfixturevalue("pg_database")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "BLOB_DIR": "/nonexistent"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return url


def _truncate_all(app) -> None:
    with app.app_context():
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, tmp_path, request) -> str:
    if backend == "postgresql":
        return request.getfixturevalue("pg_schema_ready")
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app(database_url, backend, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "BLOB_DIR": str(tmp_path / "blobs"),
            "SECRET_KEY": "test-secret",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SERVER_NAME": None,
        }
    )
    if backend == "postgresql":
        _truncate_all(app)
    else:
        with app.app_context():
            db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_login_counts():
    """Each test starts with no failed logins counted: the limiter is one object per process (as in
    production), so its in-memory counts would otherwise carry from one test's app to the next."""
    yield
    from limits.storage import MemoryStorage

    from fieldcheck.extensions import limiter

    storage = getattr(limiter, "_storage", None)
    if isinstance(storage, MemoryStorage):
        storage.reset()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def login(client, username: str, password: str = "pw-12345678"):
    page = client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def square(lon: float, lat: float, size: float = 0.01) -> list:
    return [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]]


def feature(code: str, name: str, sub_code: str, sub_name: str, coordinates, kind="Polygon", spot_types=None):
    props = {
        "community_code": code,
        "community_name": name,
        "subdistrict_code": sub_code,
        "subdistrict_name": sub_name,
    }
    if spot_types is not None:
        props["spot_types"] = spot_types
    return {"type": "Feature", "properties": props, "geometry": {"type": kind, "coordinates": coordinates}}


def small_district() -> dict:
    """Two sub-districts, four square communities in a row (shared edges at lon 112.41, 112.42, 112.43)."""
    return {
        "type": "FeatureCollection",
        "features": [
            feature("C001", "王城社区", "SD01", "西工街道", square(112.40, 34.65), spot_types=["RES", "ALY"]),
            feature("C002", "青年宫社区", "SD01", "西工街道", square(112.41, 34.65), spot_types=["RES", "MKT"]),
            feature("C003", "涧河社区", "SD02", "涧西街道", square(112.42, 34.65), spot_types=["RES", "XING"]),
            feature("C004", "周公社区", "SD02", "涧西街道", square(112.43, 34.65)),
        ],
    }


# Fixtures that write data push an app context of their own and leave none behind: a test that holds
# an app context while making requests would share flask.g between them (CSRF and login caches).


@pytest.fixture
def district(app):
    """The small district with the default checklist and calendar loaded; returns the boundary version id."""
    from fieldcheck.checklist import services as checklist_services
    from fieldcheck.geography import services as geo_services

    with app.app_context():
        version = geo_services.import_boundaries(json.dumps(small_district()).encode(), "small.geojson")
        checklist_services.import_checklist(checklist_services.default_checklist_text())
        checklist_services.import_calendar(checklist_services.default_calendar_text(), "calendar-2026.yaml")
        db.session.commit()
        return version.id


@pytest.fixture
def make_user(app):
    """Create users: make_user("community", community="C001") -> a detached User (password pw-12345678)."""
    from fieldcheck.auth.services import NewUser, add_user

    counter = iter(range(1, 10_000))

    def make(role: str, username: str | None = None, **kwargs):
        if role == "inspector":
            kwargs.setdefault("level", "city")
        with app.app_context():
            user = add_user(NewUser(username or f"{role}{next(counter)}", "pw-12345678", role, **kwargs))
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make
