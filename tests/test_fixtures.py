"""The shared fixtures keep their promises: a template database equals the real import, the clock is the
app's clock, and made reports look like reports that were filed and moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from fieldcheck import create_app
from fieldcheck.errors import Conflict
from fieldcheck.extensions import db
from fieldcheck.reports.models import Report
from fieldcheck.types import utcnow
from fieldcheck.workflow.rules import Action
from tests.conftest import app_config, import_district


def table_rows(app) -> dict[str, list[tuple]]:
    """Every row of every table but the timestamps of when it was made (sorted, comparable)."""
    out = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            # times of the import itself: when it ran, not what it made (the audit log's "at" and a boundary
            # version's activation included)
            columns = [
                c for c in table.columns if c.name not in ("created_at", "loaded_at", "activated_at", "at")
            ]
            rows = db.session.execute(select(*columns)).all()
            out[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return out


def test_the_district_template_holds_what_the_import_makes(app, db_templates, backend, tmp_path):
    """`app` here starts empty (this test does not use `district`); importing gives the template's rows."""
    assert all(not rows for rows in table_rows(app).values())
    version_id = import_district(app)
    imported = table_rows(app)

    if backend == "sqlite":
        copy = tmp_path / "copy.db"
        seeded = db_templates.sqlite_copy("district", copy)
        url = f"sqlite:///{copy}"
    else:
        seeded = db_templates.pg_reset(app, "district")
        url = app.config["DATABASE_URL"]
    copy_app = create_app(app_config(url, tmp_path / "blobs2"))
    try:
        assert seeded == {"district": version_id}
        assert table_rows(copy_app) == imported
    finally:
        with copy_app.app_context():
            db.engine.dispose()


def test_the_clock_is_the_apps_clock(app, clock, make_user):
    clock.set(datetime(2026, 3, 2, 1, 30, tzinfo=UTC))
    assert utcnow() == datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    assert utcnow() == utcnow()  # it does not move by itself
    clock.advance(hours=3)
    assert utcnow() == datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
    user = make_user("office")  # a column default reads it too
    with app.app_context():
        from fieldcheck.auth.models import User

        assert db.session.get(User, user.id).created_at == datetime(2026, 3, 2, 4, 30, tzinfo=UTC)
    with pytest.raises(ValueError):
        clock.set(datetime(2026, 3, 2))  # naive


def test_without_the_clock_fixture_time_is_real():
    before = datetime.now(UTC)
    assert before - timedelta(seconds=5) <= utcnow() <= datetime.now(UTC)


@pytest.mark.parametrize(
    "status", ["reported", "dispatched", "rectified", "closed", "voided", "appealed", "suspended"]
)
def test_made_reports_are_in_the_state_asked_with_its_history(app, make_report, clock, status):
    report_id = make_report(status)
    with app.app_context():
        report = db.session.get(Report, report_id)
        assert report.status == status
        assert report.received_at == clock.now()
        statuses = [e.to_status for e in report.events]
        assert statuses[0] == "reported" and statuses[-1] == status
        assert [e.seq for e in report.events] == list(range(1, len(report.events) + 1))
        assert report.version == 1 + len([e for e in report.events if e.action not in ("file", "dispatch")])
        assert (report.community is None) == (status == "reported")
        if status != "reported":
            assert report.community.code == "C001" and report.due_at is not None
            assert report.lat is not None  # a point inside C001
        kinds = sorted(p.kind for p in report.photos)
        assert kinds == (["after", "before"] if status in ("rectified", "closed") else ["before"])
        store = app.extensions["fieldcheck.storage"]
        for photo in report.photos:
            assert all(store.exists(k) for k in (photo.original_key, photo.display_key, photo.thumb_key))
        if status == "suspended":
            assert report.planned_date is not None and report.suspension_requested is None
        if status == "appealed":
            assert report.appeal_from == "dispatched"
        if status == "closed":
            assert report.closed_at == clock.now() and report.rectified_at == clock.now()


def test_made_reports_take_moves_and_columns(app, make_report):
    report_id = make_report(
        moves=[Action.RECTIFY, Action.REJECT],
        community="C003",
        inspector="someone",
        flags=["manual_location"],
    )
    with app.app_context():
        report = db.session.get(Report, report_id)
        assert report.status == "dispatched" and report.rework_count == 1
        assert report.community.code == "C003" and report.inspector.username == "someone"
        assert report.flags == ["manual_location"]
        assert db.session.scalar(select(func.count(Report.id))) == 1
    with pytest.raises(Conflict):
        make_report(moves=[Action.ACCEPT])  # the rules refuse a move the state does not allow


def test_url_builders_reused_across_apps_are_the_ones_werkzeug_would_make(tmp_path):
    """tests/conftest.py reuses werkzeug's compiled URL builders between the tests' apps: each route's
    builder is the code werkzeug compiles for that route (its constants and argument names included)."""
    from werkzeug.routing import Rule

    def made_of(function) -> tuple:
        code = function.__code__
        return (code.co_code, code.co_consts, code.co_names, code.co_varnames, function.__defaults__)

    app = create_app(app_config(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "blobs"))
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100
    for rule in rules:
        for append_unknown, bound in ((False, rule._build), (True, rule._build_unknown)):
            fresh = Rule._compile_builder.uncached(rule, append_unknown)
            assert bound.__self__ is rule
            assert made_of(bound.__func__) == made_of(fresh), rule.rule
    with app.test_request_context():
        from flask import url_for

        assert url_for("static", filename="app.css", v="1") == "/static/app.css?v=1"


def test_rules_parsed_once_across_apps_are_parsed_as_werkzeug_would(tmp_path):
    """tests/conftest.py reuses werkzeug's parse of each rule's text between the tests' apps: the parts,
    trace, arguments and converters each route gets are those werkzeug's own parse gives, and the
    converters are the app's own (bound to its map)."""
    import copy

    from werkzeug.routing import Rule

    def converter_state(converter) -> tuple:
        return type(converter), {k: v for k, v in vars(converter).items() if k != "map"}

    for name in ("a.db", "b.db"):  # the second app is built from the first one's parses
        app = create_app(app_config(f"sqlite:///{tmp_path / name}", tmp_path / "blobs"))
        for rule in app.url_map.iter_rules():
            scratch = copy.copy(rule)
            scratch._trace, scratch._converters, scratch.arguments = [], {}, set()
            fresh = list(Rule._parse_rule.uncached(scratch, rule.rule))
            assert rule._parts[1:] == fresh, rule.rule
            assert rule._trace[1:] == scratch._trace, rule.rule
            assert rule.arguments == scratch.arguments | set(rule.defaults or ()), rule.rule
            assert {n: converter_state(c) for n, c in rule._converters.items()} == {
                n: converter_state(c) for n, c in scratch._converters.items()
            }, rule.rule
            assert all(c.map is app.url_map for c in rule._converters.values()), rule.rule
        with app.test_request_context():
            from flask import url_for

            assert url_for("api.get_report", report_id=7) == "/api/v1/reports/7"


def test_an_xdist_groups_tests_carry_its_name_in_their_node_ids():
    """--dist loadgroup reads the group from the "@name" at the end of each node id (tests/conftest.py adds
    it where pytest-xdist's own suffix is lost)."""
    from _pytest.nodeid import NodeId

    from tests.conftest import _name_xdist_groups

    class Item:
        def __init__(self, nodeid, *groups):
            self._id = NodeId.parse(nodeid)
            self.marks = [pytest.mark.xdist_group(g).mark for g in groups]

        @property
        def nodeid(self):
            return str(self._id)

        def iter_markers(self, name):
            return iter(m for m in self.marks if m.name == name)

    grouped = Item("tests/web/test_cli.py::test_x[sqlite-admin]", "seed-demo")
    already = Item("tests/web/test_cli.py::test_y[sqlite]@seed-demo", "seed-demo")
    alone = Item("tests/web/test_cli.py::test_z[sqlite]")
    _name_xdist_groups([grouped, already, alone])
    assert grouped.nodeid == "tests/web/test_cli.py::test_x[sqlite-admin]@seed-demo"
    assert already.nodeid == "tests/web/test_cli.py::test_y[sqlite]@seed-demo"
    assert alone.nodeid == "tests/web/test_cli.py::test_z[sqlite]"


def test_the_test_apps_limiter_storage_starts_no_thread_and_still_limits(tmp_path, monkeypatch):
    """tests/limiter_storage.py: the test apps' limiter storages (memory:// and the fallback) start no
    timer thread, yet a moving window still refuses the hit over its limit and allows it once expired."""
    import threading

    from limits import RateLimitItemPerSecond
    from limits.strategies import MovingWindowRateLimiter

    from fieldcheck.extensions import limiter
    from tests.limiter_storage import TimerlessMemoryStorage

    started = []
    monkeypatch.setattr(threading.Timer, "start", lambda self: started.append(self))
    app = create_app(app_config(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "blobs"))
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert type(limiter._storage) is TimerlessMemoryStorage
    assert type(limiter._fallback_storage) is TimerlessMemoryStorage
    window = MovingWindowRateLimiter(limiter._storage)
    one_per_second = RateLimitItemPerSecond(1, 1)
    now = [1000.0]
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: now[0])  # the time module's
    assert window.hit(one_per_second, "k") and not window.hit(one_per_second, "k")
    now[0] += 1.5
    assert window.hit(one_per_second, "k")
    assert started == []


@pytest.mark.parametrize(
    "path, query",
    [
        ("/", ""),
        ("/reports/1", "next=%2F&month=2026-0%C2%B2"),
        ("/a b/%3F?/x#y", "q=" + "x" * 5000 + "&r=%23"),
        ("/api/v1/rankings/\u0662\u0660", "a=%00&b=\u0662"),
        ("/x%2Fy/", "?&#"),
    ],
)
@pytest.mark.parametrize(
    "root, host", [("", "localhost"), ("/app", "example.org:8443"), ("/\u00e9/", "[::1]:80")]
)
def test_the_test_clients_cookie_url_is_the_host_and_path_werkzeug_matches(path, query, root, host):
    from urllib.parse import urlsplit

    from werkzeug.test import EnvironBuilder
    from werkzeug.wsgi import get_current_url

    from tests.client import cookie_url

    environ = EnvironBuilder(base_url=f"http://{host}{root}", query_string=query).get_environ()
    environ["PATH_INFO"] = path  # as a server passes it: decoded, any character
    url = urlsplit(get_current_url(environ))  # what werkzeug's own client reads
    assert cookie_url(environ) == (url.hostname or "localhost", url.path)


def test_the_test_client_sends_and_files_cookies_as_werkzeugs(app):
    from flask.testing import FlaskClient

    from tests.client import CookieClient

    assert isinstance(app.test_client(), CookieClient)
    clients = [CookieClient(app, app.response_class, use_cookies=True), FlaskClient(app, app.response_class)]
    for client in clients:
        client.set_cookie("lang", "en", path="/login")
        client.set_cookie("other", "1", domain="example.org")
        client.get("/login?next=" + "x" * 3000)
    # The session cookie's value holds a random CSRF secret: compared by name, domain and path.
    kept = [sorted((c.key, c.domain, c.path) for c in client._cookies.values()) for client in clients]
    assert kept[0] == kept[1] and ("session", "localhost", "/") in kept[0]
    for path, names in (("/login?x=" + "y" * 3000, ["lang", "session"]), ("/", ["session"])):
        sent = [client.get(path).request.headers.get("Cookie", "") for client in clients]
        assert [sorted(pair.split("=")[0] for pair in cookies.split("; ")) for cookies in sent] == [names] * 2


HOSTILE_FIELDS = {
    "month": "\u0662\u0660\u0662\u0666-11",
    "note": "a\x00b",
    "next": "/?a=b&c=%2F",
    "x": "x" * 5000,
    "e": "",
}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "GET", "query_string": HOSTILE_FIELDS},
        {"method": "POST", "data": HOSTILE_FIELDS},
        {"method": "POST", "data": HOSTILE_FIELDS, "headers": {"Authorization": "Bearer t"}},
        {"method": "POST", "data": HOSTILE_FIELDS, "headers": {"Content-Type": "text/plain"}},
        {"method": "POST", "data": HOSTILE_FIELDS, "content_type": "application/json"},
        {"method": "POST", "data": {}, "query_string": {}},
        {"method": "POST", "data": '{"a": 1}', "content_type": "application/json"},
    ],
)
def test_the_test_clients_pre_encoded_fields_make_the_environ_werkzeug_makes(kwargs):
    import copy

    from werkzeug.test import EnvironBuilder

    from tests.client import pre_encoded

    def environ(arguments) -> dict:
        built = EnvironBuilder("/reports/1", **arguments).get_environ()
        built["wsgi.input"] = built["wsgi.input"].read()
        return built

    assert environ(pre_encoded(copy.deepcopy(kwargs))) == environ(copy.deepcopy(kwargs))


def test_the_test_client_pre_encodes_plain_queries_and_forms():
    from tests.client import pre_encoded

    assert isinstance(pre_encoded({"query_string": dict(HOSTILE_FIELDS)})["query_string"], str)
    assert isinstance(pre_encoded({"method": "POST", "data": dict(HOSTILE_FIELDS)})["data"], bytes)
    assert isinstance(pre_encoded({"data": dict(HOSTILE_FIELDS), "content_type": "text/plain"})["data"], dict)
