"""The README's first command as a new user runs it: `fieldcheck demo` migrates, seeds once and serves."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import csrf_token_from

FIELDCHECK = Path(sys.executable).parent / "fieldcheck"
# A guard against a hung start, not a speed check: the first start seeds a month and a half of reports
# (about 15 s on a quiet machine, over 60 s on a slow one with the suite running beside it).
STARTUP_SECONDS = 300
DEMO_USERS = 6  # the accounts one can log in as; the demo's history adds locked (inactive) ones
ACTIVE_USERS = 'SELECT count(*) FROM "user" WHERE active'


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_user_environment(instance: Path, database_url: str | None) -> dict[str, str]:
    """This environment without any FIELDCHECK_ or FLASK_ setting, as on a new user's machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIELDCHECK_", "FLASK_"))}
    env["FIELDCHECK_INSTANCE_DIR"] = str(instance)
    env["PYTHONUNBUFFERED"] = "1"
    if database_url:
        env["FIELDCHECK_DATABASE_URL"] = database_url
    return env


@contextlib.contextmanager
def running_demo(instance: Path, log: Path, database_url: str | None = None):
    """Start `fieldcheck demo` on a free port, wait until it answers, yield its base URL; stop it after."""
    assert FIELDCHECK.exists(), f"no console script at {FIELDCHECK}; install the project (pip install -e .)"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(FIELDCHECK), "demo", "--port", str(port)],
            env=new_user_environment(instance, database_url),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"fieldcheck demo exited with status {process.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/login", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"fieldcheck demo did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")
            time.sleep(0.25)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def browser() -> urllib.request.OpenerDirector:
    """A client that keeps cookies and follows redirects, like a phone browser."""
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def log_in(base: str, username: str, password: str = "demo-2026-wmb"):
    """GET the login page, post the form with its CSRF token; returns (login page HTML, final response)."""
    client = browser()
    with client.open(f"{base}/login", timeout=10) as page:
        html = page.read().decode("utf-8")
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrf_token": csrf_token_from(html)}
    ).encode()
    response = client.open(f"{base}/login", data=form, timeout=10)
    return html, response


@dataclass(frozen=True)
class Visit:
    """What a new user sees logging in as the demo inspector: the login page, then where it lands."""

    login_html: str
    status: int
    path: str
    html: str


def visit_demo(base: str) -> Visit:
    html, response = log_in(base, "inspector")
    with response:
        return Visit(
            html,
            response.status,
            urllib.parse.urlsplit(response.geturl()).path,
            response.read().decode("utf-8"),
        )


def assert_demo_works(visit: Visit) -> None:
    assert 'lang="zh-CN"' in visit.login_html
    assert "登录" in visit.login_html
    assert visit.status == 200
    assert visit.path == "/inspector"
    assert 'lang="zh-CN"' in visit.html


def sqlite_count(db_file: Path, table: str) -> int:
    return sqlite_scalar(db_file, f'SELECT count(*) FROM "{table}"')


def sqlite_scalar(db_file: Path, query: str):
    with contextlib.closing(sqlite3.connect(db_file)) as conn:
        return conn.execute(query).fetchone()[0]


@dataclass(frozen=True)
class FirstStart:
    instance: Path
    log: Path
    visit: Visit


# With pytest-xdist, the tests that share the first start run on one worker (--dist loadgroup).
SHARES_FIRST_START = pytest.mark.xdist_group("demo-first-start")


@pytest.fixture(scope="module")
def first_start(tmp_path_factory) -> FirstStart:
    """`fieldcheck demo` started once in a new instance folder (the start that seeds, about half a
    minute), visited while it runs, then stopped. Both SQLite tests read it; the second starts the
    demo again in a copy of the folder, so neither sees what the other did."""
    folder = tmp_path_factory.mktemp("demo-first-start")
    instance, log = folder / "instance", folder / "first.log"
    with running_demo(instance, log) as base:
        visit = visit_demo(base)
    return FirstStart(instance, log, visit)


@SHARES_FIRST_START
def test_demo_serves_the_seeded_district_in_chinese(first_start):
    instance = first_start.instance
    assert_demo_works(first_start.visit)
    db_file = instance / "fieldcheck.db"
    assert db_file.exists()  # the embedded SQLite default, in the instance folder
    assert (instance / "secret_key").exists()
    assert sqlite_scalar(db_file, ACTIVE_USERS) == DEMO_USERS
    assert sqlite_count(db_file, "community") >= 84
    assert sqlite_count(db_file, "report") > 100  # the demo's history, filed through the services
    assert "seeded the demo district" in first_start.log.read_text()


@SHARES_FIRST_START
def test_demo_on_the_same_instance_folder_does_not_seed_again(first_start, tmp_path):
    instance = tmp_path / "instance"
    shutil.copytree(first_start.instance, instance)
    db_file = instance / "fieldcheck.db"
    counts = {
        table: sqlite_count(db_file, table)
        for table in ("user", "community", "boundary_version", "spot", "report")
    }
    assert sqlite_scalar(db_file, ACTIVE_USERS) == DEMO_USERS

    with running_demo(instance, tmp_path / "second.log") as base:
        # the same accounts, and the kept secret key signs the new session
        assert_demo_works(visit_demo(base))
    assert {table: sqlite_count(db_file, table) for table in counts} == counts
    assert "seeded the demo district" not in (tmp_path / "second.log").read_text()


@pytest.mark.postgres
def test_demo_on_postgresql(tmp_path, pg_empty_database):
    instance = tmp_path / "instance"
    with running_demo(instance, tmp_path / "demo.log", database_url=pg_empty_database) as base:
        assert_demo_works(visit_demo(base))
    assert not (instance / "fieldcheck.db").exists()
    engine = create_engine(pg_empty_database)
    try:
        with engine.connect() as conn:
            assert conn.execute(text(ACTIVE_USERS)).scalar_one() == DEMO_USERS
            assert conn.execute(text("SELECT count(*) FROM subdistrict")).scalar_one() == 15
    finally:
        engine.dispose()
