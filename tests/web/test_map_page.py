"""The /map page: who may open it, the links to it, and the tile settings (policy and datum)."""

from __future__ import annotations

import json
import re

import pytest

from fieldcheck.map.views import tile_origin
from tests.conftest import login


def config_of(html: str) -> dict:
    return json.loads(
        re.search(r'<script type="application/json" id="map-config">(.*?)</script>', html, re.S).group(1)
    )


@pytest.fixture
def users(district, make_user):
    make_user("office", username="office")
    make_user("community", username="c1", community="C001")
    make_user("subdistrict", username="sd1", subdistrict="SD01")
    make_user("inspector", username="insp")


@pytest.mark.parametrize(
    ("user", "home"), [("office", "/office"), ("sd1", "/subdistrict"), ("c1", "/community")]
)
def test_home_pages_link_the_map(app, users, user, home):
    client = app.test_client()
    login(client, user)
    assert 'id="map-link"' in client.get(home).get_data(as_text=True)
    page = client.get("/map")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "vendor/leaflet/leaflet.js" in html and "js/map.js" in html
    assert "img-src 'self' blob:;" in page.headers["Content-Security-Policy"]  # no tiles: no other host
    config = config_of(html)
    assert config["tiles"] is None and config["tiles_datum"] == "wgs84"
    assert {c["code"] for c in config["filters"]["categories"]} >= {"ENV", "ORD"}


def test_inspector_map_has_no_ranking_links(app, users):
    client = app.test_client()
    login(client, "insp")
    config = config_of(client.get("/map").get_data(as_text=True))
    assert config["ranking"] is False and config["breakdown_page"] is None


def test_map_page_needs_login_and_a_good_month(app, users):
    client = app.test_client()
    assert client.get("/map").status_code == 302
    login(client, "office")
    page = client.get("/map?month=2026-13")
    assert page.status_code == 400
    assert 'role="alert"' in page.get_data(as_text=True)


def test_tiles_by_configuration(app, users):
    app.config["MAP_TILES"] = "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}"
    app.config["MAP_TILES_DATUM"] = "gcj02"
    client = app.test_client()
    login(client, "office")
    page = client.get("/map")
    assert "img-src 'self' blob: https://*.tianditu.gov.cn;" in page.headers["Content-Security-Policy"]
    config = config_of(page.get_data(as_text=True))
    assert config["tiles_datum"] == "gcj02" and config["tiles"].startswith("https://t{s}.")


def test_tile_origin():
    assert tile_origin("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}") == "https://*.is.autonavi.com"
    assert tile_origin("http://tiles.example.org:8080/{z}/{x}/{y}.png") == "http://tiles.example.org:8080"


def test_bad_datum_is_refused():
    from fieldcheck.config import resolve

    with pytest.raises(ValueError, match="MAP_TILES_DATUM"):
        resolve({"MAP_TILES_DATUM": "bd09", "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"}, "/tmp")
