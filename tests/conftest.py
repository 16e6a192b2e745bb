"""Shared fixtures: an app per test with its own database (SQLite always, PostgreSQL when configured).

Set FIELDCHECK_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test) to run every
database test on PostgreSQL too; the suite makes its own throwaway database on that server.

Each test's database starts from a template built once per session (see :class:`Templates`): the empty
schema, or the schema with the small district, checklist and calendar when the test uses ``district``
(and, for tests/web, the users and tokens of its ``people`` fixture). On SQLite the template file is
copied; on PostgreSQL the rows are deleted and the template's rows copied back in, sequences included.
The fixtures still do the real work when a test asks for them some other way, so what a test sees
does not depend on how its database was made.

Fakes for the parts a test is not about: ``clock`` (the time, set by the test), ``make_report`` (report
rows in any status, without HTTP or the photo pipeline); see tests/fakes.py and tests/factories.py.
"""

from __future__ import annotations

import copy
import gc
import json
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.routing import Rule

from fieldcheck import create_app
from fieldcheck.config import normalise_database_url
from fieldcheck.extensions import db
from tests import limiter_storage  # noqa: F401  (the limiter's memory storage without its timer thread)
from tests.client import CookieClient

RAM_FOLDER = Path("/dev/shm")
#: The collector's generation-0 threshold during the tests (Python's default is 700 allocations).
GC_YOUNG_THRESHOLD = 10_000


def pytest_configure(config) -> None:
    """The cyclic collector's thresholds raised from the start (see :func:`pytest_collection_finish`: the
    collection alone spent about a quarter of its CPU in the collector, 2.5 of 9 s).

    Temporary files (the tests' databases and photo stores, the live servers' and browsers' folders) in
    memory where the machine has a tmpfs at /dev/shm with room: every commit, checkpoint and stored photo
    fsyncs, which on a disk waited about 8% of a web test's time. An explicit TMPDIR or --basetemp wins."""
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle * 2, old * 2)
    if os.environ.get("TMPDIR") or config.option.basetemp:
        return
    try:
        roomy = (
            RAM_FOLDER.is_dir()
            and os.access(RAM_FOLDER, os.W_OK)
            and shutil.disk_usage(RAM_FOLDER).free > 4 << 30
        )
    except OSError:
        roomy = False
    if roomy:
        os.environ["TMPDIR"] = str(RAM_FOLDER)  # subprocesses (servers, Chromium) too
        tempfile.tempdir = str(RAM_FOLDER)


def pytest_collection_finish(session) -> None:
    """Collect garbage less often, and never scan again what collection left: measured, the cyclic
    collector took about 18% of a web test file's CPU (tests/web/test_workflow_permissions.py), most of it
    in full collections that walked the same few hundred thousand long-lived objects (the imported
    modules, the collected test items) each time. Those are moved out of the collector's reach
    (``gc.freeze``: they live for the whole session anyway), and the young generation is collected
    every ``GC_YOUNG_THRESHOLD`` allocations (every test makes a new app, whose object graph is garbage
    in cycles once the test ends: still collected, in fewer and larger batches; the thresholds are set in
    :func:`pytest_configure`). About a third less time in the collector; bench/README.md, "Session 10"."""
    gc.collect()
    gc.freeze()


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
        # A commit need not wait for its WAL to reach the disk: nothing here outlives the session.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
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


class SharedCompiledSQL:
    """The SQL statements compiled by one test app's engine, reused by the next app's.

    SQLAlchemy caches compiled statements per engine, keyed by the engine's dialect object, and each test
    makes a new app with a new engine: every test compiled the same few dozen statements again (about 30
    a test, 1 ms each). Given as the engines' ``compiled_cache`` execution option, this cache keys by the
    dialect's class, server version and parameter style instead, which is what a compiled statement
    depends on: every test app of a backend has the same configuration and server.
    """

    def __init__(self, size: int = 20_000):
        from sqlalchemy.util import LRUCache

        self._compiled = LRUCache(size)

    @staticmethod
    def _key(key: tuple) -> tuple:
        dialect = key[0]
        return (type(dialect), dialect.server_version_info, dialect.paramstyle, *key[1:])

    def get(self, key, default=None):
        return self._compiled.get(self._key(key), default)

    def __setitem__(self, key, value) -> None:
        self._compiled[self._key(key)] = value


COMPILED_SQL = SharedCompiledSQL()


def app_config(database_url: str, blob_dir: Path | str) -> dict:
    """The configuration of every test app (cheap password hashing: the cost is not under test here;
    compiled SQL shared between the apps: see :class:`SharedCompiledSQL`)."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "BLOB_DIR": str(blob_dir),
        "SECRET_KEY": "test-secret",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
        "SQLALCHEMY_ENGINE_OPTIONS": {"execution_options": {"compiled_cache": COMPILED_SQL}},
    }


# --------------------------------------------------------------------------------------------------
# Order: the long tests first


# Tests that take many seconds each (subprocesses, whole-site walks and crawls). With xdist the workers
# take tests in collection order; these would otherwise come late (tests/web/test_s*, test_t*, test_u*)
# and leave one worker finishing them while the other is idle. Started first, the many short tests even
# out the ends. (xdist groups still go before everything: loadgroup sends the largest groups first.)
LONG_TESTS = (
    "tests/test_demo_command.py",
    "tests/web/test_two_processes.py",
    "tests/web/test_serve.py",
    "tests/web/test_hostile_inputs.py::test_no_route_answers_5xx_or_stores_anything_for_hostile_input",
    "tests/web/test_security_headers.py::test_every_page_of_each_role_carries_the_policy_and_satisfies_it",
    "tests/test_code_quality.py",
    "tests/test_demo_activity.py",
)


def pytest_collection_modifyitems(config, items):
    """Move the LONG_TESTS to the front, keeping the order within each part (a stable sort), and on an
    xdist worker give each xdist_group's tests their group (see :func:`_name_xdist_groups`)."""
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_TESTS))
    if getattr(config.option, "loadgroup", False):
        _name_xdist_groups(items)


def _name_xdist_groups(items) -> None:
    """``--dist loadgroup`` keeps an xdist_group's tests on one worker by the "@group" its workers add to
    their node ids. pytest-xdist 3.8 adds it to ``item._nodeid``, which pytest 9.2 no longer reads (the
    id is ``item._id``, a NodeId): the groups were split over the workers, and each worker built the
    seed-demo snapshot and the demo's first start again. Add the suffix where it is missing."""
    from _pytest.nodeid import NodeId

    for item in items:
        names = sorted(
            {
                str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                for m in item.iter_markers("xdist_group")
            }
        )
        suffix = "@" + "_".join(names)
        if names and not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
            item._id = NodeId.parse(item.nodeid + suffix)


# --------------------------------------------------------------------------------------------------
# URL builders made once per process


def _builder_key(rule, append_unknown: bool) -> tuple:
    """What werkzeug's generated URL builder for ``rule`` is made of: the rule's text and parsed parts,
    its defaults (names and, for a default that fills a part of the rule, the text it puts there) and
    whether unknown arguments are appended as a query string (see ``Rule._compile_builder``)."""
    defaults = rule.defaults or {}
    filled = tuple(
        (name, rule._converters[name].to_url(value))
        for name, value in defaults.items()
        if name in rule._converters
    )
    return (rule.rule, tuple(rule._trace), tuple(defaults), filled, append_unknown)


def _cached_compile_builder(compile_builder):
    """Every test makes its own app, and werkzeug generates and compiles the Python source of two URL
    builders per route for each (about 85% of ``create_app``'s time, ~1,300 compiles per app). The
    builder is a plain function of the rule's text, parts and defaults that reads the rule's converters
    through its ``self`` argument when called, so the one compiled for an equal rule is reused: the same
    code, unbound, bound to each rule as werkzeug binds its own (tests/test_fixtures.py checks this)."""
    builders: dict[tuple, object] = {}

    def compile_once(self, append_unknown: bool = True):
        key = _builder_key(self, append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    compile_once.uncached = compile_builder
    return compile_once


def _cached_parse_rule(parse_rule):
    """The other half of a route's compile, also repeated by every test's app: werkzeug parses the rule's
    text into its parts (the matcher's regular expressions and weights), its trace and its converters.
    The parse of an equal text under the same converter classes is reused: the same parts, the same
    trace, and a copy of each converter bound to the new app's map (tests/test_fixtures.py checks this
    against werkzeug's own parse for every route)."""
    parsed: dict[tuple, tuple] = {}

    def parse_once(self, rule: str):
        key = (rule, tuple(self.map.converters.items()))
        if key not in parsed:
            trace_from, names_before = len(self._trace), set(self._converters)
            parts = list(parse_rule(self, rule))
            converters = {n: c for n, c in self._converters.items() if n not in names_before}
            parsed[key] = (parts, self._trace[trace_from:], converters)
            return parts
        parts, trace, converters = parsed[key]
        self._trace.extend(trace)
        for name, converter in converters.items():
            own = copy.copy(converter)
            own.map = self.map
            self._converters[name] = own
            self.arguments.add(name)
        return list(parts)

    parse_once.uncached = parse_rule
    return parse_once


Rule._compile_builder = _cached_compile_builder(Rule._compile_builder)
Rule._parse_rule = _cached_parse_rule(Rule._parse_rule)


# --------------------------------------------------------------------------------------------------
# Database templates


def import_district(app) -> int:
    """Load the small district, the default checklist and the 2026 calendar; the boundary version id."""
    from fieldcheck.calendar import services as calendar_services
    from fieldcheck.checklist import services as checklist_services
    from fieldcheck.geography import services as geo_services

    with app.app_context():
        version = geo_services.import_boundaries(json.dumps(small_district()).encode(), "small.geojson")
        checklist_services.import_checklist(checklist_services.default_checklist_text())
        calendar_services.import_calendar(calendar_services.default_calendar_text(), "calendar-2026.yaml")
        db.session.commit()
        return version.id


# The users of tests/web/conftest.py's `people` fixture: (username, role, options).
WEB_PEOPLE = (
    ("insp", "inspector", {"level": "city"}),
    ("insp2", "inspector", {"level": "subdistrict"}),
    ("c1", "community", {"community": "C001"}),
    ("c2", "community", {"community": "C002"}),
    ("sd1", "subdistrict", {"subdistrict": "SD01"}),
    ("sd2", "subdistrict", {"subdistrict": "SD02"}),
    ("office", "office", {}),
    ("admin", "admin", {}),
)


def add_web_people(app) -> dict:
    """Create the WEB_PEOPLE and get each an API token; {username: Authorization header}."""
    from fieldcheck.auth.services import NewUser, add_user

    with app.app_context():
        for username, role, options in WEB_PEOPLE:
            add_user(NewUser(username, "pw-12345678", role, **options))
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    headers = {}
    for username, _role, _options in WEB_PEOPLE:
        response = client.post("/api/v1/auth/token", json={"username": username, "password": "pw-12345678"})
        headers[username] = {"Authorization": f"Bearer {response.get_json()['token']}"}
    return headers


def _build_district(app) -> dict:
    return {"district": import_district(app)}


def _build_web_people(app) -> dict:
    return {"district": import_district(app), "people": add_web_people(app)}


# name -> builder(app) -> what the fixtures return; each builds on an empty database.
SEEDS = {"empty": lambda app: {}, "district": _build_district, "web_people": _build_web_people}


def seed_for(request) -> str:
    """The template a test's database starts from, from the fixtures the test uses.

    Only the shared fixtures count (not a module's own fixture of the same name), and only ones that
    would have run on the empty database first anyway: ``district`` and tests/web's ``people``.
    """
    item = getattr(request, "_pyfuncitem", None) or request.node
    defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})

    def shared(name: str, module: str) -> bool:
        found = defs.get(name)
        return bool(found) and getattr(found[-1].func, "__module__", None) == module

    if shared("people", "tests.web.conftest") and shared("district", __name__):
        return "web_people"
    if shared("district", __name__):
        return "district"
    return "empty"


class Templates:
    """Databases built once per session and handed out as copies (see the module docstring)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.sqlite: dict[str, tuple[Path, dict]] = {}
        self.pg: dict[str, tuple[str, dict]] = {}
        self.snapshots: dict[tuple, tuple] = {}

    # SQLite: a file per seed, copied before the test's app opens it.

    def sqlite_copy(self, seed: str, target: Path) -> dict:
        if seed not in self.sqlite:
            path = self.folder / f"{seed}.db"
            app = create_app(app_config(f"sqlite:///{path}", self.folder / f"{seed}-blobs"))
            with app.app_context():
                db.create_all()
            result = SEEDS[seed](app)
            with app.app_context():
                db.session.remove()
                # Closing the last connection checkpoints the WAL: the one file is the whole database.
                db.engine.dispose()
            leftovers = [p.name for p in self.folder.iterdir() if p.name.startswith(f"{seed}.db-")]
            assert not leftovers, f"the template database left {leftovers} behind"
            self.sqlite[seed] = (path, result)
        path, result = self.sqlite[seed]
        shutil.copyfile(path, target)
        return result

    # PostgreSQL: one database per session; a seed's rows kept in a schema of their own.

    def pg_reset(self, app, seed: str) -> dict:
        """Delete every row and restore the seed's rows and sequences (DELETE: TRUNCATE costs ~40x more)."""
        if seed not in self.pg:
            self.pg[seed] = self._pg_snapshot(app, seed)
        restore, result = self.pg[seed]
        with app.app_context(), db.engine.begin() as conn:
            conn.exec_driver_sql(restore)
        return result

    def _pg_snapshot(self, app, seed: str) -> tuple[str, dict]:
        """Build the seed on the emptied database and keep its rows in schema template_<seed>. Returns
        the SQL that puts the database back in that state, and what the seed's fixtures return."""
        with app.app_context(), db.engine.begin() as conn:
            conn.exec_driver_sql(pg_empty_sql(conn))
        result = SEEDS[seed](app)
        return pg_capture(app, f"template_{seed}"), result

    # Snapshots: the database and blobs as a test's expensive setup left them (see `db_snapshot`).

    def snapshot(self, app, backend: str, key: tuple, value) -> None:
        number = len(self.snapshots) + 1
        folder = self.folder / f"snapshot-{number}"
        folder.mkdir()
        with app.app_context():
            db.session.remove()
            if backend == "postgresql":
                database = pg_capture(app, f"snapshot_{number}")
            else:
                db.engine.dispose()  # checkpoints the WAL into the file
                database = folder / "database.db"
                shutil.copyfile(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, database)
        self.snapshots[key] = (database, _save_blobs(app, folder / "blobs"), value)

    def restore(self, app, backend: str, key: tuple):
        database, blobs, value = self.snapshots[key]
        with app.app_context():
            db.session.remove()
            if backend == "postgresql":
                with db.engine.begin() as conn:
                    conn.exec_driver_sql(database)
            else:
                db.engine.dispose()
                target = Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
                for extra in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
                    extra.unlink(missing_ok=True)
                shutil.copyfile(database, target)
        _load_blobs(app, blobs)
        return value


def _save_blobs(app, folder: Path):
    """The app's blobs: hard links of a local store's files (they are never changed in place), or the
    bytes of any other store."""
    store = app.extensions["fieldcheck.storage"]
    root = getattr(store, "root", None)
    if root is not None:
        if Path(root).is_dir():
            shutil.copytree(root, folder, copy_function=os.link)
        return folder
    return {key: store.get(key) for key in store.keys()}  # noqa: SIM118 - a BlobStore, not a dict


def _load_blobs(app, saved) -> None:
    store = app.extensions["fieldcheck.storage"]
    if isinstance(saved, Path):
        if saved.is_dir():
            shutil.copytree(saved, store.root, copy_function=os.link, dirs_exist_ok=True)
        return
    for key, data in saved.items():
        store.put(key, data)


def pg_capture(app, schema: str) -> str:
    """Copy every row of the app's tables into ``schema``; returns the SQL that restores them (and the
    sequences) into an emptied database."""
    with app.app_context(), db.engine.begin() as conn:
        empty = pg_empty_sql(conn)
        tables = [t.name for t in db.metadata.sorted_tables]
        filled = [
            name
            for name in tables
            if conn.exec_driver_sql(f'SELECT EXISTS (SELECT FROM public."{name}")').scalar()
        ]
        sequences = conn.exec_driver_sql(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
        ).all()
        statements = [f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', f'CREATE SCHEMA "{schema}"']
        statements += [f'CREATE TABLE "{schema}"."{name}" AS TABLE public."{name}"' for name in filled]
        conn.exec_driver_sql("; ".join(statements))
    restore = [empty]
    restore += [f'INSERT INTO public."{name}" SELECT * FROM "{schema}"."{name}"' for name in filled]
    restore += [f"SELECT setval('public.\"{name}\"', {value})" for name, value in sequences]
    return "; ".join(restore)


def pg_empty_sql(conn) -> str:
    """SQL that deletes every row of the app's tables and restarts their sequences."""
    statements = [f'DELETE FROM public."{t.name}"' for t in reversed(db.metadata.sorted_tables)]
    sequences = conn.exec_driver_sql("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
    # setval, not ALTER SEQUENCE ... RESTART: the same next value without a catalog change (about 1 ms
    # each, two dozen sequences, before every PostgreSQL test).
    restarts = ", ".join(f"setval('public.\"{name}\"', 1, false)" for (name,) in sequences)
    if restarts:
        statements.append(f"SELECT {restarts}")
    return "; ".join(statements)


class MemoryBytecodeCache(BytecodeCache):
    """Compiled Jinja templates kept for the session: each test's new app would otherwise parse and
    compile every page template again (Jinja checks each entry against the template's source)."""

    def __init__(self):
        self.entries: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.entries:
            bucket.bytecode_from_string(self.entries[bucket.key])

    def dump_bytecode(self, bucket):
        self.entries[bucket.key] = bucket.bytecode_to_string()


JINJA_BYTECODE = MemoryBytecodeCache()


@pytest.fixture(scope="session")
def db_templates(tmp_path_factory) -> Templates:
    return Templates(tmp_path_factory.mktemp("db-templates"))


def _truncate_all(app) -> None:
    """Empty every table and restart the sequences (kept for callers; the app fixture resets itself)."""
    with app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql(pg_empty_sql(conn))


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, tmp_path, request) -> str:
    if backend == "postgresql":
        return request.getfixturevalue("pg_schema_ready")
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def app(database_url, backend, tmp_path, db_templates, request):
    """The app on the test's own database, which starts from the template of :func:`seed_for`.

    ``app.extensions["tests.seeded"]`` holds what the template's fixtures return (e.g. the district's
    boundary version id), for them to return it without doing the work again.
    """
    seed = seed_for(request)
    if backend == "sqlite":
        seeded = db_templates.sqlite_copy(seed, Path(make_url(database_url).database))
    app = create_app(app_config(database_url, tmp_path / "blobs"))
    if backend == "postgresql":
        seeded = db_templates.pg_reset(app, seed)
    app.extensions["tests.seeded"] = seeded
    app.jinja_env.bytecode_cache = JINJA_BYTECODE
    app.test_client_class = CookieClient  # Flask's, with cheaper cookie bookkeeping (tests/client.py)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_login_counts():
    """Each test starts with no failed logins counted: the limiter is one object per process (as in
    production), so its in-memory counts would otherwise carry from one test's app to the next."""
    from limits.storage import MemoryStorage

    from fieldcheck.extensions import limiter

    def reset() -> None:
        limiter._storage_dead = False  # a test of an unreachable Redis may leave it set
        limiter.limit_manager.set_default_limits(
            []
        )  # the app sets none; a test's RATELIMIT_DEFAULT would stick
        for storage in (getattr(limiter, "_storage", None), getattr(limiter, "_fallback_storage", None)):
            if isinstance(storage, MemoryStorage):
                storage.reset()

    reset()
    yield
    reset()


@pytest.fixture
def db_snapshot(app, backend, db_templates, request):
    """db_snapshot(key, build) -> build()'s value, for setup too slow to repeat in every test.

    The first test of the session (per backend and template) that asks for ``key`` runs ``build()``
    on its own database, and the database and blob files it leaves are kept; every later test gets a
    copy of them, and the value ``build()`` returned, instead. Only for setup that starts from the
    template alone (ask for it before fixtures that write) and gives the same result every time.
    """

    def snap(key: str, build):
        full = (backend, seed_for(request), key)
        if full in db_templates.snapshots:
            return db_templates.restore(app, backend, full)
        value = build()
        db_templates.snapshot(app, backend, full, value)
        return value

    return snap


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
            feature(
                "C002", "青年宫社区", "SD01", "西工街道", square(112.41, 34.65), spot_types=["RES", "MKT"]
            ),
            feature(
                "C003", "涧河社区", "SD02", "涧西街道", square(112.42, 34.65), spot_types=["RES", "XING"]
            ),
            feature("C004", "周公社区", "SD02", "涧西街道", square(112.43, 34.65)),
        ],
    }


# Fixtures that write data push an app context of their own and leave none behind: a test that holds
# an app context while making requests would share flask.g between them (CSRF and login caches).


@pytest.fixture
def district(app):
    """The small district with the default checklist and calendar loaded; returns the boundary version id."""
    seeded = app.extensions.get("tests.seeded", {})
    if "district" in seeded:
        return seeded["district"]  # the test's database started from the district's template
    return import_district(app)


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


@pytest.fixture
def clock(monkeypatch):
    """The application's clock, set by the test: ``clock.set(datetime(...))``, ``clock.advance(hours=3)``.

    Every ``utcnow()`` of the app (views, service contexts, column defaults) reads it; it starts at
    tests.fakes.DEFAULT_NOW and never moves by itself.
    """
    from fieldcheck import types
    from tests.fakes import Clock, frozen_datetime

    fake = Clock()
    monkeypatch.setattr(types, "datetime", frozen_datetime(fake))
    return fake


@pytest.fixture
def make_report(app, district):
    """make_report("rectified", community="C002", inspector="insp") -> a report id; see tests/factories.py."""
    from tests.factories import ReportFactory

    return ReportFactory(app)
