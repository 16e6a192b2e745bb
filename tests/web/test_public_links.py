"""Links that work where they are read (issue #19): FIELDCHECK_PUBLIC_URL, trusted proxies, a path prefix.

- With FIELDCHECK_PUBLIC_URL set, the XLSX, CSV and JSON exports (API and CLI) and the bulletin link with it,
  whatever address the request came to; without it, the request's own address, and the CLI's links are
  relative with a note saying why.
- FIELDCHECK_PROXY_HOPS=1 honours X-Forwarded-Proto/-Host/-Prefix (redirects, url_for, export links);
  without it those headers are ignored, so a client cannot spoof them.
- Mounted under /wmb (SCRIPT_NAME), the capture page, its service worker and manifest, the API and the
  redirects all stay under /wmb.
"""

from __future__ import annotations

import io
import json
import re
from unittest import mock

import pytest
from openpyxl import load_workbook
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from fieldcheck import create_app, links
from fieldcheck.cli import main
from fieldcheck.extensions import db
from fieldcheck.ranking import exports
from fieldcheck.workflow import reminders
from tests.conftest import csrf_token_from, login
from tests.ranking_district import AFTER, build, token_for

PUBLIC = "https://wmb.example.gov.cn/wmb"
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "wmb.example.gov.cn"}


@pytest.fixture
def people(app, client, make_user):
    inspector = make_user("inspector", username="insp", level="district")
    ids = build(app, inspector_id=inspector.id)
    make_user("office", username="office")
    return {"office": token_for(client, "office"), "insp": token_for(client, "insp"), "ids": ids}


@pytest.fixture
def second_app(app, database_url, tmp_path):
    """Another app on the same database, built with config overrides (as another process would be)."""
    made = []

    def make(**overrides):
        config = {
            key: app.config[key]
            for key in ("TESTING", "DATABASE_URL", "BLOB_DIR", "SECRET_KEY", "PASSWORD_HASH_METHOD")
        }
        other = create_app({**config, **overrides})
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def ranking(client, path, headers, **kw):
    with mock.patch("fieldcheck.ranking.api.utcnow", return_value=AFTER):
        return client.get(path, headers=headers, **kw)


def xlsx_links(data: bytes) -> list[str]:
    wb = load_workbook(io.BytesIO(data))
    deductions = [v for r in wb["扣分明细"].iter_rows(min_row=2, values_only=True) for v in r[14:16]]
    communities = [r[-1] for r in wb["社区排名"].iter_rows(min_row=2, max_row=5, values_only=True)]
    about = [r[0] for r in wb["说明"].iter_rows(values_only=True) if r[0] and r[0].startswith("在线查看")]
    return deductions + communities + [about[0].removeprefix("在线查看：")]


def csv_links(data: bytes) -> list[str]:
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].endswith(",社区页面链接")
    return [line.rsplit(",", 1)[1] for line in lines[1:]]


def json_links(body: dict) -> list[str]:
    found = body["links"]
    return [
        found["ranking"],
        found["bulletin"],
        found["report"],
        found["report_api"],
        *found["communities"].values(),
    ]


def test_the_paths_the_exports_write_are_the_apps_routes(app):
    values = {"month": "2026-03", "code": "C001", "id": 317}
    with app.app_context():
        routes = {
            "ranking": links.path_of("ranking.month_page", month="2026-03"),
            "bulletin": links.path_of("ranking.bulletin", month="2026-03"),
            "community": links.path_of("ranking.community_page", month="2026-03", code="C001"),
            "report": links.path_of("workflow.item", report_id=317),
            "report_api": links.path_of("api.get_report", report_id=317),
        }
    assert {name: path.format(**values) for name, path in exports.PATHS.items()} == routes
    assert reminders.REPORT_PATH.format(id=317) == routes["report"]  # the overdue CSV's links


def test_with_the_public_url_every_export_links_with_it(app, client, people):
    app.config["PUBLIC_URL"] = PUBLIC
    office = people["office"]
    found = xlsx_links(ranking(client, "/api/v1/rankings/2026-03.xlsx", office).data)
    found += csv_links(ranking(client, "/api/v1/rankings/2026-03.csv", office).data)
    body = ranking(client, "/api/v1/rankings/2026-03", office).get_json()
    found += json_links(body)
    assert len(found) > 20 and all(link.startswith(PUBLIC + "/") for link in found), found
    r3 = people["ids"]["r3"]
    assert f"{PUBLIC}/reports/{r3}" in found and f"{PUBLIC}/api/v1/reports/{r3}" in found
    assert body["links"]["communities"]["C001"] == f"{PUBLIC}/ranking/2026-03/C001"


def test_without_it_the_requests_own_address(app, client, people):
    body = ranking(
        client, "/api/v1/rankings/2026-03", people["office"], base_url="http://10.0.0.7:8000"
    ).get_json()
    assert body["links"]["ranking"] == "http://10.0.0.7:8000/ranking/2026-03"


def test_the_bulletin_prints_the_public_address(app, client, people):
    app.config["PUBLIC_URL"] = PUBLIC
    browser = app.test_client()
    assert login(browser, "office").status_code == 302
    with mock.patch("fieldcheck.ranking.views.utcnow", return_value=AFTER):
        page = browser.get("/ranking/2026-03/bulletin").get_data(as_text=True)
    assert f"{PUBLIC}/ranking/2026-03" in re.search(r'<span id="online">([^<]*)</span>', page).group(1)


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_the_ranking_command_links_with_the_public_url(app, people, tmp_path, fmt):
    app.config["PUBLIC_URL"] = PUBLIC
    out = tmp_path / f"march.{fmt}"
    result = app.test_cli_runner().invoke(main, ["ranking", "2026-03", "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "FIELDCHECK_PUBLIC_URL" not in result.output
    data = out.read_bytes()
    found = {"xlsx": xlsx_links, "csv": csv_links, "json": lambda d: json_links(json.loads(d))}[fmt](data)
    assert found and all(link.startswith(PUBLIC + "/") for link in found), found


def test_without_it_the_command_says_once_that_links_are_relative(app, people, tmp_path):
    out = tmp_path / "march.xlsx"
    result = app.test_cli_runner().invoke(main, ["ranking", "2026-03", "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.count("relative") == 1 and "FIELDCHECK_PUBLIC_URL is not set" in result.output
    found = xlsx_links(out.read_bytes())
    assert all(link.startswith("/") for link in found), found


def test_a_public_url_that_is_not_an_address_is_refused_at_start(app):
    for bad in ("wmb.example.gov.cn", "ftp://x", "https://x/?a=1", "https://"):
        with pytest.raises(ValueError, match="FIELDCHECK_PUBLIC_URL"):
            create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "PUBLIC_URL": bad})
    for bad in (-1, "two", True):
        with pytest.raises(ValueError, match="FIELDCHECK_PROXY_HOPS"):
            create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "PROXY_HOPS": bad})


# --- trusted proxies ---------------------------------------------------------------------------------


def _probe(app) -> dict:
    """A route that reports what the app believes about the request (registered before any request)."""
    seen = {}

    @app.get("/__probe")
    def probe():
        from flask import request, url_for

        seen.update(
            secure=request.is_secure,
            remote=request.remote_addr,
            url=url_for("reports.capture", _external=True),
        )
        return ""

    return seen


def test_behind_one_trusted_proxy_redirects_and_links_use_the_forwarded_address(second_app, people):
    proxied = second_app(PROXY_HOPS=1)
    seen = _probe(proxied)
    client = proxied.test_client()
    forwarded = {**FORWARDED, "X-Forwarded-Prefix": "/wmb", "X-Forwarded-For": "203.0.113.9"}
    client.get("/__probe", headers=forwarded)
    assert seen == {
        "secure": True,
        "remote": "203.0.113.9",
        "url": "https://wmb.example.gov.cn/wmb/inspector",
    }
    assert client.get("/", headers=forwarded).location == "/wmb/login"
    headers = {**people["office"], **FORWARDED}
    body = ranking(client, "/api/v1/rankings/2026-03", headers).get_json()
    assert body["links"]["ranking"] == "https://wmb.example.gov.cn/ranking/2026-03"
    found = xlsx_links(ranking(client, "/api/v1/rankings/2026-03.xlsx", headers).data)
    assert all(link.startswith("https://wmb.example.gov.cn/") for link in found)


def test_without_trusted_proxies_forwarded_headers_are_ignored(second_app, people):
    plain = second_app()
    seen = _probe(plain)
    client = plain.test_client()
    forwarded = {**FORWARDED, "X-Forwarded-Prefix": "/evil", "X-Forwarded-For": "203.0.113.9"}
    client.get("/__probe", headers=forwarded)
    assert seen == {"secure": False, "remote": "127.0.0.1", "url": "http://localhost/inspector"}
    assert client.get("/", headers=forwarded).location == "/login"
    body = ranking(client, "/api/v1/rankings/2026-03", {**people["office"], **forwarded}).get_json()
    assert body["links"]["ranking"] == "http://localhost/ranking/2026-03"


# --- mounted under a path prefix ---------------------------------------------------------------------


@pytest.fixture
def mounted(app, people):
    """The app served under /wmb (SCRIPT_NAME), as a WSGI mount or a proxy's sub-path would."""
    inner = app.wsgi_app
    app.wsgi_app = DispatcherMiddleware(Response("not under /wmb", status=404), {"/wmb": inner})
    yield app
    app.wsgi_app = inner


def test_under_a_path_prefix_the_capture_page_service_worker_and_api_work(mounted, people):
    client = mounted.test_client()
    # Not logged in: the redirect stays under the prefix, and logging in comes back there.
    response = client.get("/wmb/inspector")
    assert response.status_code == 302 and response.location.startswith("/wmb/login")
    page = client.get(response.location)
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post(
        response.location, data={"username": "insp", "password": "pw-12345678", "csrf_token": token}
    )
    assert response.status_code == 302 and response.location == "/wmb/inspector"
    page = client.get("/wmb/inspector")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-sw="/wmb/inspector/sw.js" data-scope="/wmb/inspector"' in html
    assert (
        'href="/wmb/inspector/manifest.webmanifest"' in html
        and 'data-report-url="/wmb/api/v1/reports"' in html
    )
    assert not re.search(r'(?:href|src|action|data-[a-z-]+)="/(?!wmb/)', html), "a link outside the prefix"

    sw = client.get("/wmb/inspector/sw.js")
    assert sw.status_code == 200 and sw.headers["Service-Worker-Allowed"] == "/wmb/inspector"
    config = json.loads(sw.get_data(as_text=True).split("\n", 1)[0].removeprefix("self.FC = ").rstrip(";"))
    assert config["scope"] == config["shell"] == "/wmb/inspector"
    assert config["session"] == "/wmb/inspector/session.json" and config["queue"].startswith("/wmb/static/")
    assert all(path.startswith("/wmb/static/") for path in config["static"])
    for path in config["static"]:
        assert client.get(path).status_code == 200
    manifest = client.get("/wmb/inspector/manifest.webmanifest").get_json()
    assert manifest["start_url"] == manifest["scope"] == "/wmb/inspector"
    assert all(icon["src"].startswith("/wmb/static/") for icon in manifest["icons"])
    assert client.get("/wmb/inspector/session.json").get_json()["user"]

    # The API, by token; the language switch returns to the page under the prefix.
    me = client.get("/wmb/api/v1/me", headers=people["insp"])
    assert me.status_code == 200 and me.get_json()["username"] == "insp"
    assert client.get("/wmb/api/v1/nothing").get_json()["error"]["code"] == "not_found"
    assert client.get("/wmb/api/v1/openapi.json").get_json()["servers"] == [{"url": "/wmb/api/v1"}]
    switch = re.search(r'href="(/wmb/lang/[^"]+)"', html).group(1).replace("&amp;", "&")
    assert client.get(switch).location == "/wmb/inspector"
    assert client.get("/inspector").status_code == 404  # nothing outside the mount
