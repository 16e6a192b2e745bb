"""The photo viewer in Chromium on a phone: tap a photo, pinch and wheel to zoom, swipe and arrow keys
between photos, before/after side by side, and Back or Escape returns to the page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import community_of, login
from tests.factories import ReportFactory


def touch(cdp, kind: str, *points: tuple[float, float]) -> None:
    cdp.send(
        "Input.dispatchTouchEvent",
        {"type": kind, "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]},
    )


def test_the_viewer_opens_zooms_swipes_and_closes_on_a_phone(live_server, phone):
    url, app = live_server.url, live_server.app
    report_id = ReportFactory(app)(
        "rectified", community=community_of(app, "community"), inspector="inspector", photos=2
    )
    login(phone, url, "office")
    phone.goto(f"{url}/reports/{report_id}")
    links = phone.locator(".before-after .photo-grid a")
    expect(links).to_have_count(3)  # two before, one after

    links.first.tap()
    viewer = phone.locator(".viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator(".viewer-count")).to_have_text("1 / 3")
    expect(viewer.locator("img.viewer-img")).to_have_count(1)
    viewer.locator("img.viewer-img").evaluate(
        "img => img.decode()"
    )  # the display-size photo loads from the app

    # Wheel zoom, then back to the whole photo by a double tap.
    box = viewer.locator(".viewer-stage").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    phone.mouse.move(cx, cy)
    phone.mouse.wheel(0, -300)
    expect(viewer).not_to_have_attribute("data-scale", "1.00")
    viewer.locator(".viewer-stage").dblclick()
    expect(viewer).to_have_attribute("data-scale", "1.00")

    # Pinch out with two fingers zooms in.
    cdp = phone.context.new_cdp_session(phone)
    touch(cdp, "touchStart", (cx - 20, cy), (cx + 20, cy))
    for step in range(1, 6):
        touch(cdp, "touchMove", (cx - 20 - 20 * step, cy), (cx + 20 + 20 * step, cy))
    touch(cdp, "touchEnd")
    scale = float(viewer.get_attribute("data-scale"))
    assert scale > 2, scale
    viewer.locator(".viewer-stage").dblclick()
    expect(viewer).to_have_attribute("data-scale", "1.00")

    # Swipe left: the next photo; arrow keys move on and back.
    touch(cdp, "touchStart", (cx + 120, cy))
    for step in range(1, 6):
        touch(cdp, "touchMove", (cx + 120 - 50 * step, cy))
    touch(cdp, "touchEnd")
    expect(viewer.locator(".viewer-count")).to_have_text("2 / 3")
    phone.keyboard.press("ArrowRight")
    expect(viewer.locator(".viewer-count")).to_have_text("3 / 3")
    phone.keyboard.press("ArrowLeft")
    expect(viewer.locator(".viewer-count")).to_have_text("2 / 3")

    # Before and after side by side.
    viewer.locator(".viewer-compare").tap()
    expect(viewer.locator(".viewer-stage.comparing img.viewer-img")).to_have_count(2)

    # The browser's Back closes the viewer and stays on the report; a photo opens again, Escape closes.
    phone.go_back()
    expect(viewer).to_be_hidden()
    assert phone.url.endswith(f"/reports/{report_id}")
    links.last.tap()
    expect(viewer.locator(".viewer-count")).to_have_text("3 / 3")
    phone.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    assert phone.url.endswith(f"/reports/{report_id}")
