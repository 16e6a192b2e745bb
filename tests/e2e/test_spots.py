"""Issue 15: the capture page offers the spots of the registry (点位), the nearest first, also offline."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from fieldcheck.extensions import db
from tests.e2e.conftest import community_of, demo_point, login
from tests.e2e.test_capture import make_jpeg, tap_item, wait_until_sent, zh
from tests.e2e.test_offline import open_capture

MARKET_ITEM = "MKT-01"  # a market (MKT) item
STAIRWELL_ITEM = "ENV-02"  # a residential (RES) item


def test_a_spot_the_admin_registers_is_offered_first_where_the_inspector_stands(
    live_server, phone_factory, tmp_path
):
    app, url = live_server.app, live_server.url
    code = community_of(app, "community")
    lat, lon = demo_point(app, code)

    # The administrator registers a market where the inspector will stand.
    admin = phone_factory()
    login(admin, url, "admin")
    admin.goto(f"{url}/admin/spots/new")
    form = admin.locator("form.spot-form")
    form.locator("input[name=code]").fill("E2E-MKT-1")
    form.locator("input[name=name]").fill("测试农贸市场")
    form.locator("select[name=type]").select_option("MKT")
    form.locator("select[name=community]").select_option(code)
    form.locator("input[name=lat]").fill(f"{lat:.6f}")
    form.locator("input[name=lon]").fill(f"{lon:.6f}")
    form.locator("button[type=submit]").click()
    expect(admin.locator("tr[data-code='E2E-MKT-1']")).to_be_visible()
    # ... and sees it on the registry's map, among the community's other spots.
    from fieldcheck.geography.models import Community, Spot

    with app.app_context():
        try:
            placed = db.session.scalar(
                select(func.count(Spot.id))
                .join(Community, Spot.community_id == Community.id)
                .where(Community.code == code, Spot.lat.is_not(None))
            )
        finally:
            db.session.remove()
    admin.goto(f"{url}/admin/spots/map?community={code}")
    expect(admin.locator("#map")).to_have_attribute("data-spots", str(placed))
    assert placed >= 2

    page = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 8})
    open_capture(page, live_server)
    nearest = page.locator("#spot optgroup option").first
    expect(page.locator("#spot optgroup")).to_have_attribute("label", zh(app, "Nearby"))
    expect(nearest).to_have_attribute("value", "E2E-MKT-1")
    expect(nearest).to_have_text(re.compile(r"^测试农贸市场 · [0-9] m$"))
    page.screenshot(path=str(tmp_path / "capture-spots.png"))

    # Chosen, it says what kind of place this is: items of other spot types are dimmed.
    page.locator("#spot").select_option("E2E-MKT-1")
    market = page.locator("label.item", has=page.locator(f"input[value='{MARKET_ITEM}']")).last
    stairwell = page.locator("label.item", has=page.locator(f"input[value='{STAIRWELL_ITEM}']")).last
    expect(stairwell).to_have_class(re.compile(r"\boff\b"))
    expect(market).not_to_have_class(re.compile(r"\boff\b"))

    # Offline, the page and its spot list come from the service worker; the report names the spot.
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#spot optgroup option").first).to_have_attribute("value", "E2E-MKT-1")
    page.locator("#spot").select_option("E2E-MKT-1")
    page.set_input_files("#photo-camera", str(make_jpeg(tmp_path / "market.jpg", seed=7)))
    tap_item(page, MARKET_ITEM)
    page.locator("#report-form button.primary").tap()
    expect(page.locator("#saved")).to_be_visible()
    page.context.set_offline(False)
    wait_until_sent(page)

    from fieldcheck.reports.models import Report

    with app.app_context():
        try:
            [report] = db.session.scalars(select(Report)).all()
            assert (report.spot.code, report.item.code, report.community.code) == (
                "E2E-MKT-1",
                MARKET_ITEM,
                code,
            )
        finally:
            db.session.remove()
