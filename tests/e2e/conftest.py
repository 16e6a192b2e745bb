"""Browser tests: a live fieldcheck server on the seeded demo district, driven by Debian's Chromium.

Fixtures
--------
``chromium_executable`` (session, autouse here)
    Path of the Chromium binary. Every test in tests/e2e skips when none is found, or fails when
    ``FIELDCHECK_REQUIRE_BROWSER=1``. ``FIELDCHECK_CHROMIUM`` overrides the path.
``seeded_database`` (session)
    A SQLite file built once per session with the real migrations (``flask_migrate.upgrade()``) and
    ``fieldcheck.demo.seed_demo()``. Each live server works on a copy of it.
``make_live_server`` / ``live_server`` (function)
    ``make_live_server(**config_overrides) -> LiveServer``, already started on 127.0.0.1 with a fresh
    copy of the seeded database and an empty blob folder in tmp_path; ``live_server`` is one with the
    default configuration. See :class:`LiveServer` for ``.url``, ``.app``, ``.stop()`` and ``.start()``.
``browser`` (session)
    A headless Chromium (Playwright sync API).
``phone_factory`` / ``phone`` (function)
    ``phone_factory(geolocation=None, **context_options) -> Page``: a new browser context shaped like
    an Android phone (390x844 CSS px, zh-CN, Asia/Shanghai, geolocation permission granted) and one
    page in it. ``geolocation`` is ``{"latitude": ..., "longitude": ..., "accuracy": ...}``; change it
    later with ``page.context.set_geolocation(...)``. ``phone`` is ``phone_factory()``. A console message
    about something the Content-Security-Policy blocked fails the test (at teardown). Contexts are
    closed after the test; when the test fails, each page is screenshotted to ``tmp_path/failure.png``
    (``failure-2.png``, ... for further pages) and the paths are printed in the failure report.

Helpers (import from ``tests.e2e.conftest``): :func:`login`, :func:`login_form`, :func:`demo_point`,
:func:`community_of`,
:func:`assert_no_horizontal_scroll`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from fieldcheck import create_app
from fieldcheck.extensions import db

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - playwright is in the test extras
    sync_playwright = None

E2E_DIR = Path(__file__).resolve().parent
DEMO_PASSWORD = "demo-2026-wmb"
SECRET_KEY = "e2e-secret-key"
# The demo accounts' passwords hashed cheaply (as in every test app): each login would otherwise cost a
# scrypt, and the hash's cost is not what the browser tests are about.
PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
DEFAULT_TIMEOUT_MS = 10_000

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PHONE_WIDTH = 390
PHONE_CONTEXT = {
    "viewport": {"width": PHONE_WIDTH, "height": 844},
    "screen": {"width": PHONE_WIDTH, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Mobile Safari/537.36"
    ),
    "permissions": ["geolocation"],
}

INSTALL_HINT = (
    "No Chromium found for the browser tests (looked for FIELDCHECK_CHROMIUM, `chromium` on PATH and "
    "/usr/bin/chromium). Install it with `apt-get install chromium` (Debian/Ubuntu)."
)


# --------------------------------------------------------------------------------------------------
# Collection: mark, skip or fail


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test under tests/e2e with ``e2e`` (before ``-m`` deselects)."""
    for item in items:
        if E2E_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


def find_chromium() -> str | None:
    override = os.environ.get("FIELDCHECK_CHROMIUM")
    if override:
        return override if os.access(override, os.X_OK) else None
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


@pytest.fixture(scope="session", autouse=True)
def chromium_executable() -> str:
    path = find_chromium()
    problem = INSTALL_HINT if path is None else None
    if problem is None and sync_playwright is None:
        problem = "The playwright package is missing: pip install -e '.[test]'."
    if problem:
        if os.environ.get("FIELDCHECK_REQUIRE_BROWSER") == "1":
            pytest.fail(
                f"FIELDCHECK_REQUIRE_BROWSER=1 but: {problem} (Unset it to skip these tests.)", pytrace=False
            )
        pytest.skip(problem)
    return path


# --------------------------------------------------------------------------------------------------
# The live server


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory) -> Path:
    """Migrate and seed the demo district once; live servers copy the file (about 2 s saved per test)."""
    from flask_migrate import upgrade

    from fieldcheck.demo import seed_demo

    folder = tmp_path_factory.mktemp("seeded")
    path = folder / "fieldcheck.db"
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{path}",
            "BLOB_DIR": str(folder / "blobs"),
            "SECRET_KEY": SECRET_KEY,
            "PASSWORD_HASH_METHOD": PASSWORD_HASH_METHOD,
        }
    )
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
        db.session.remove()
        # Closing the last connection checkpoints the WAL into the main file, so one file is the database.
        db.engine.dispose()
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith("fieldcheck.db-")]
    assert not leftovers, f"the seeded SQLite database left {leftovers} behind"
    return path


class _TrackingHandler(WSGIRequestHandler):
    """Remembers open client connections so that stop() can cut them, as a dying server process would."""

    def setup(self):
        super().setup()
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)

    def finish(self):
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
        super().finish()


#: The live servers by URL, for :func:`login` (which signs a session with the serving app).
_SERVERS: dict[str, LiveServer] = {}


class LiveServer:
    """fieldcheck served by werkzeug in a daemon thread on 127.0.0.1.

    ``url`` is ``http://127.0.0.1:PORT`` (no trailing slash); ``app`` is the Flask app currently
    serving (push ``app.app_context()`` to query the database); ``database_path`` and ``blob_dir``
    are in the test's tmp_path. ``stop()`` stops accepting requests and cuts open connections, even
    mid-request; ``start()`` serves again on the same port and database with a new app object (as a
    restarted process would: same SECRET_KEY, so browser sessions survive a restart).
    """

    def __init__(self, config: dict):
        self.config = config
        self.database_path = Path(config["DATABASE_URL"].removeprefix("sqlite:///"))
        self.blob_dir = Path(config["BLOB_DIR"])
        self.port = 0
        self.app = None
        self._server = None
        self._thread = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> LiveServer:
        if self.running:
            raise RuntimeError("the live server is already running")
        self.app = create_app(dict(self.config))
        self._server = self._bind()
        self._server.open_connections = set()
        self._server.connections_lock = threading.Lock()
        self.port = self._server.server_port
        _SERVERS[self.url] = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"live-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def _bind(self):
        deadline = time.monotonic() + 10
        while True:
            try:
                return make_server(
                    "127.0.0.1", self.port, self.app, threaded=True, request_handler=_TrackingHandler
                )
            except SystemExit:
                # werkzeug exits when the port is taken; on a restart the old socket may linger briefly.
                if self.port == 0 or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self, timeout: float = 10) -> None:
        if not self.running:
            return
        server, self._server = self._server, None
        server.shutdown()
        server.server_close()
        with server.connections_lock:
            connections = list(server.open_connections)
        for conn in connections:
            with contextlib.suppress(OSError):  # already closed by the client or the handler
                conn.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the live server thread did not stop"
        deadline = time.monotonic() + timeout
        while server.open_connections and time.monotonic() < deadline:
            time.sleep(0.02)  # handler threads finish once their sockets are cut
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def make_live_server(seeded_database, tmp_path):
    """make_live_server(**config_overrides) -> a started LiveServer on a fresh copy of the demo database."""
    servers: list[LiveServer] = []

    def make(**overrides) -> LiveServer:
        folder = tmp_path / f"server-{len(servers) + 1}"
        folder.mkdir()
        database = folder / "fieldcheck.db"
        shutil.copyfile(seeded_database, database)
        blobs = folder / "blobs"
        if (seeded_database.parent / "blobs").is_dir():
            shutil.copytree(seeded_database.parent / "blobs", blobs)
        blobs.mkdir(exist_ok=True)
        config = {
            "DATABASE_URL": f"sqlite:///{database}",
            "BLOB_DIR": str(blobs),
            "SECRET_KEY": SECRET_KEY,
            "PASSWORD_HASH_METHOD": PASSWORD_HASH_METHOD,
        }
        config.update(overrides)
        server = LiveServer(config)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def live_server(make_live_server) -> LiveServer:
    return make_live_server()


# --------------------------------------------------------------------------------------------------
# The browser and phones

_PAGES = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def browser(chromium_executable):
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def phone_factory(browser, request, tmp_path):
    """phone_factory(geolocation=None, **context_options) -> a Page in a new phone-shaped context."""
    contexts = []
    pages = request.node.stash.setdefault(_PAGES, [])
    violations: list[str] = []

    def make(*, geolocation: dict | None = None, **context_options):
        options = {**PHONE_CONTEXT, **context_options}
        if geolocation is not None:
            options["geolocation"] = geolocation
        context = browser.new_context(**options)
        contexts.append(context)
        context.on("console", lambda message: _note_csp_violation(violations, message))
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
        page = context.new_page()
        suffix = "" if not pages else f"-{len(pages) + 1}"
        pages.append((page, tmp_path / f"failure{suffix}.png"))
        return page

    yield make
    for context in contexts:
        context.close()
    if violations:
        pytest.fail("the Content-Security-Policy blocked something:\n" + "\n".join(violations), pytrace=False)


def _note_csp_violation(violations: list[str], message) -> None:
    """Chromium reports what the Content-Security-Policy blocks as a console error naming the policy."""
    if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
        violations.append(f"{message.page.url if message.page else '?'}: {message.text}")


@pytest.fixture
def phone(phone_factory):
    return phone_factory()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        saved = []
        for page, path in item.stash.get(_PAGES, []):
            if page.is_closed():
                continue
            try:
                page.screenshot(path=str(path), full_page=True, timeout=5_000)
            except Exception as exc:  # a failed screenshot must not hide the test failure
                saved.append(f"{path}: screenshot failed ({exc.__class__.__name__}: {exc})")
            else:
                saved.append(f"{path} (page {page.url})")
        if saved:
            # Shown with the failure in pytest's report, like captured output.
            report.sections.append(("e2e failure screenshots", "\n".join(saved)))
    return report


# --------------------------------------------------------------------------------------------------
# Helpers


def login_form(page, base_url: str, username: str, password: str = DEMO_PASSWORD):
    """Log in through the login form; returns the response of the page the form lands on. For the tests
    whose subject is the login itself (the form, a wrong or temporary password)."""
    page.goto(f"{base_url}/login")
    form = page.locator("main form")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit]").click()
    return navigation.value


def login(page, base_url: str, username: str, password: str = DEMO_PASSWORD):
    """Log the page's browser context in as ``username`` and open the page the login form would land on;
    returns that page's response.

    The session is the one the login form makes (the login view's own ``_start_session`` and
    ``_begin_session``, in a request from this browser's user agent), signed by the live server's app and
    given to the browser as its cookie: one page load instead of the form's three (login page, post,
    redirect). The password is checked as the form would check it, without the network."""
    from flask import session, url_for

    from fieldcheck.auth import services
    from fieldcheck.auth.views import _begin_session, _start_session
    from fieldcheck.permissions import home_endpoint, principal_of
    from fieldcheck.unit_of_work import writing

    app = _SERVERS[base_url].app
    agent = page.evaluate("navigator.userAgent")
    environ = {"REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": agent}
    with app.test_request_context("/login", method="POST", environ_base=environ):
        user = services.authenticate(username, password)
        assert user is not None, f"{username} cannot log in with that password"
        assert user.username == username
        with writing():
            key = _start_session(user)
        _begin_session(user, key)
        landing = url_for(home_endpoint(principal_of(user)))
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
        lifetime = app.permanent_session_lifetime.total_seconds()
        db.session.remove()
    page.context.add_cookies(
        [
            {
                "name": app.config["SESSION_COOKIE_NAME"],
                "value": cookie,
                "domain": "127.0.0.1",
                "path": "/",
                "httpOnly": True,
                "sameSite": "Lax",
                "expires": time.time() + lifetime,
            }
        ]
    )
    response = page.goto(f"{base_url}{landing}")
    assert response.url == f"{base_url}{landing}", f"the session made for {username} was refused"
    return response


def demo_point(app, community_code: str) -> tuple[float, float]:
    """(lat, lon) of a point surely inside the community in the boundary version in force."""
    from shapely.geometry import shape
    from sqlalchemy import select

    from fieldcheck.geography.models import Community, CommunityBoundary
    from fieldcheck.geography.services import current_boundary_version

    with app.app_context():
        try:
            version_id = current_boundary_version().id
            geometry = db.session.scalar(
                select(CommunityBoundary.geometry)
                .join(Community, CommunityBoundary.community_id == Community.id)
                .where(CommunityBoundary.version_id == version_id, Community.code == community_code)
            )
        finally:
            db.session.remove()
    if geometry is None:
        raise LookupError(f"no community {community_code!r} in the boundary version in force")
    point = shape(json.loads(geometry)).representative_point()
    return point.y, point.x  # shapely's x is the longitude


def community_of(app, username: str) -> str:
    """The community code of a community account (e.g. the demo's ``community`` and ``community2``)."""
    from sqlalchemy import select

    from fieldcheck.auth.models import User
    from fieldcheck.geography.models import Community

    with app.app_context():
        try:
            code = db.session.scalar(
                select(Community.code)
                .join(User, User.community_id == Community.id)
                .where(User.username == username)
            )
        finally:
            db.session.remove()
    if code is None:
        raise LookupError(f"{username!r} is not a community account")
    return code


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def assert_no_horizontal_scroll(page) -> None:
    width = page.viewport_size["width"]
    assert scroll_width(page) <= width, f"{page.url} scrolls sideways: {scroll_width(page)} > {width} CSS px"
