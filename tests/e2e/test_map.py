"""The map page in Chromium on a phone: polygons drawn, report points clustered, a community's card and a
report's card open; a community user's map holds only its own polygon and points. No request leaves the
app's host, and the Content-Security-Policy blocks nothing (the conftest fails the test on a violation)."""

from __future__ import annotations

import json
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


def outside_point(app) -> tuple[float, float]:
    """(lat, lon) about 300 m south of the district's middle: outside every community."""
    from shapely.geometry import shape
    from sqlalchemy import select

    from fieldcheck.extensions import db
    from fieldcheck.geography.models import CommunityBoundary
    from fieldcheck.geography.services import current_boundary_version

    with app.app_context():
        try:
            version_id = current_boundary_version().id
            shapes = [
                shape(json.loads(g))
                for g in db.session.scalars(
                    select(CommunityBoundary.geometry).where(CommunityBoundary.version_id == version_id)
                )
            ]
        finally:
            db.session.remove()
    min_lat = min(s.bounds[1] for s in shapes)
    lon = (min(s.bounds[0] for s in shapes) + max(s.bounds[2] for s in shapes)) / 2
    return min_lat - 0.003, lon


def test_report_map_and_one_tap_assign_on_a_phone(live_server, phone_factory):
    """The report page's small map (polygon, point, accuracy circle) and the unassigned queue's nearest
    communities: one tap assigns. No request leaves the app's host."""
    app, url = live_server.app, live_server.url
    inspector = phone_factory()
    login(inspector, url, "inspector")
    placed = file_report(
        inspector, url, *demo_point(app, community_of(app, "community")), instances=1, seed=21
    )
    outside = file_report(inspector, url, *outside_point(app), instances=1, seed=22)
    assert outside["status"] == "reported"

    page = phone_factory()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).netloc))
    login(page, url, "office")
    page.goto(f"{url}/reports/{placed['id']}")
    box = page.locator(f"#report-map-{placed['id']}")
    expect(box).to_have_attribute("data-drawn", "1")
    assert box.get_attribute("data-polygons") == "1" and box.get_attribute("data-point") == "1"
    expect(box.locator("path.outline")).to_have_count(1)
    expect(box.locator("path.report-pt")).to_have_count(1)
    expect(box.locator("path.accuracy")).to_have_count(1)

    page.goto(f"{url}/office/queue/unassigned")
    card = page.locator(f"article.queue-item[data-id='{outside['id']}']")
    card.scroll_into_view_if_needed()
    mini = card.locator(".mini-map")
    expect(mini).to_have_attribute("data-drawn", "1")
    assert int(mini.get_attribute("data-polygons")) >= 3
    expect(mini.locator("path.report-pt")).to_have_count(1)
    buttons = card.locator(".near-list button.near")
    assert 3 <= buttons.count() <= 5
    code = buttons.first.get_attribute("value")
    with page.expect_navigation():
        buttons.first.tap()
    assert page.url.startswith(f"{url}/office/queue/unassigned")
    expect(page.locator(f"article.queue-item[data-id='{outside['id']}']")).to_have_count(0)
    with app.app_context():
        from fieldcheck.extensions import db
        from fieldcheck.reports.models import Report

        try:
            report = db.session.get(Report, outside["id"])
            assert (report.status, report.community.code) == ("dispatched", code)
        finally:
            db.session.remove()

    assert hosts == {urlparse(url).netloc}, hosts
