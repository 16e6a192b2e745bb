"""The map page in Chromium on a phone: polygons drawn, report points clustered, a community's card and a
report's card open; a community user's map holds only its own polygon and points. No request leaves the
app's host, and the Content-Security-Policy blocks nothing (the conftest fails the test on a violation)."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from fieldcheck.map.datum import wgs84_to_gcj02
from tests.e2e.conftest import community_of, demo_point, login
from tests.e2e.test_ranking import file_report
from tests.unit.test_map_datum import KNOWN

# The map has drawn its points and no request for them is in flight.
LOADED = "() => { const m = document.getElementById('map'); return m.dataset.reports !== undefined && !m.dataset.loading; }"


def test_office_map_on_a_phone(live_server, phone_factory):
    url = live_server.url
    inspector = phone_factory()
    login(inspector, url, "inspector")
    own = community_of(live_server.app, "community")
    lat, lon = demo_point(live_server.app, own)
    filed = [file_report(inspector, url, lat, lon, instances=1, seed=s) for s in (1, 2)]
    other = community_of(live_server.app, "community2")
    lat2, lon2 = demo_point(live_server.app, other)
    filed.append(file_report(inspector, url, lat2, lon2, instances=1, seed=3))

    page = phone_factory()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    login(page, url, "office")
    page.goto(f"{url}/office")
    page.locator("#map-link").click()
    page.wait_for_url(f"{url}/map")
    page.wait_for_function("() => Number(document.getElementById('map').dataset.communities) > 2")
    assert page.locator("#map path.leaflet-interactive").count() > 2  # the polygons (SVG)
    page.wait_for_function(LOADED)
    assert page.locator("#map").get_attribute("data-reports") == "3"
    assert page.locator("#map .marker-cluster, #map .pt").count() >= 1

    # A community's card: tap the middle of its polygon (its label's place).
    page.evaluate("""() => document.querySelectorAll('#map path.leaflet-interactive')[0]
                         .dispatchEvent(new MouseEvent('click', {bubbles: true}))""")
    card = page.locator("#map-card")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("data-kind", "community")
    assert "/ranking/" in card.locator("#card-breakdown").get_attribute("href")

    # Only overdue: none of these is overdue yet.
    page.locator("details summary").click()
    page.locator("input[name=overdue]").check()
    page.wait_for_function("() => Number(document.getElementById('map').dataset.reports) === 0")
    page.locator("input[name=overdue]").uncheck()
    page.wait_for_function("() => Number(document.getElementById('map').dataset.reports) === 3")

    # A report's card: zoom to a single point, tap it (a real tap: Playwright waits until the point is
    # still and is what the finger would hit, not a marker the filter's redraw is replacing).
    page.wait_for_function(LOADED)
    if page.locator("#map .pt").count() == 0:
        page.locator("#map .marker-cluster").first.click()
        page.wait_for_selector("#map .pt")
    page.locator("#map .pt").first.click()
    expect(card).to_have_attribute("data-kind", "report")
    link = card.locator("#card-report")
    expect(link).to_be_visible()
    report_path, _query = link.get_attribute("href").split("?back=", 1)  # 返回列表 leads back to the map
    assert int(report_path.rsplit("/", 1)[1]) in {r["id"] for r in filed}
    assert card.locator("img").count() == 1  # the before-photo's thumbnail

    assert hosts == {urlparse(url).netloc}, hosts


def test_community_map_holds_only_its_own(live_server, phone_factory):
    url = live_server.url
    inspector = phone_factory()
    login(inspector, url, "inspector")
    own, other = community_of(live_server.app, "community"), community_of(live_server.app, "community2")
    lat, lon = demo_point(live_server.app, own)
    mine = file_report(inspector, url, lat, lon, instances=1, seed=11)
    lat2, lon2 = demo_point(live_server.app, other)
    file_report(inspector, url, lat2, lon2, instances=1, seed=12)

    page = phone_factory()
    login(page, url, "community")
    page.goto(f"{url}/map")
    page.wait_for_function(LOADED)
    assert page.locator("#map").get_attribute("data-communities") == "1"
    assert page.locator("#map path.leaflet-interactive").count() == 1
    assert page.locator("#map").get_attribute("data-reports") == "1"
    page.locator("#map .marker-cluster, #map .pt").first.click()
    # The report page's 返回列表 leads back to the map as it is filtered now.
    expect(page.locator("#card-report")).to_have_attribute(
        "href", re.compile(rf"^/reports/{mine['id']}\?back=%2Fmap(%3F.*)?$")
    )

    # The browser's GCJ-02 (for 高德/腾讯 tiles) gives the Python function's known values.
    for (lat, lon), (g_lat, g_lon) in KNOWN:
        got = page.evaluate(f"window.fieldcheckDatum.wgs84ToGcj02({lon}, {lat})")
        assert got == pytest.approx([g_lon, g_lat], abs=1e-6)
        assert got == pytest.approx(list(wgs84_to_gcj02(lon, lat)), abs=1e-12)
