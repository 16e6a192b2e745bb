"""The ranking pages in Chromium: the office opens the month's ranking on a desktop, opens a community's
breakdown and sees the report's photo and link; a community user on a phone sees only its own row, with
its rank, and no page scrolls sideways."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_horizontal_scroll, community_of, demo_point, login
from tests.photo_factory import jpeg

DESKTOP = {
    "viewport": {"width": 1280, "height": 900},
    "screen": {"width": 1280, "height": 900},
    "is_mobile": False,
    "has_touch": False,
    "device_scale_factor": 1,
}


def zh(app, message: str, **variables) -> str:
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_CN"):
        return gettext(message, **variables)


def file_report(page, base_url: str, lat: float, lon: float, *, instances: int, seed: int) -> dict:
    """File a report with the inspector's browser session (the capture page's CSRF token)."""
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(
        f"{base_url}/api/v1/reports",
        multipart={
            "csrf_token": token,
            "client_id": f"6f1d2c3b-0000-4000-8000-{seed:012d}",
            "item_code": "ENV-02",
            "lat": str(lat),
            "lon": str(lon),
            "accuracy_m": "6",
            "location_source": "device",
            "instances": str(instances),
            "note": "楼道堆物",
            "photos": {"name": "image.jpg", "mimeType": "image/jpeg", "buffer": jpeg(seed=seed)},
        },
    )
    assert response.status == 201, response.text()
    return response.json()


def loaded(image) -> bool:
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


def test_office_opens_a_breakdown_and_a_community_on_a_phone_sees_only_its_own_rank(
    live_server, phone_factory
):
    app, url = live_server.app, live_server.url
    mine, other = community_of(app, "community"), community_of(app, "community2")
    inspector = phone_factory()
    login(inspector, url, "inspector")
    # One stairwell for "community", three for "community2": community ranks first, community2 second.
    report = file_report(inspector, url, *demo_point(app, mine), instances=1, seed=11)
    file_report(inspector, url, *demo_point(app, other), instances=3, seed=12)
    month = report["observed_at"][:7]

    office = phone_factory(**DESKTOP)
    login(office, url, "office")
    with office.expect_navigation():
        office.locator("#ranking-link").click()
    expect(office).to_have_url(f"{url}/ranking/{month}")
    rows = office.locator("#communities tbody tr[data-community]")
    expect(rows.first).to_have_attribute("data-community", mine)
    expect(rows.nth(1)).to_have_attribute("data-community", other)
    expect(rows.first.locator("td.rank")).to_have_text("1")
    expect(office.locator("#coverage")).to_contain_text(zh(app, "Not inspected (not ranked):"))
    expect(office.locator("a[href$='.xlsx']")).to_have_count(1)

    with office.expect_navigation():
        rows.first.locator("td.score a").click()
    expect(office).to_have_url(f"{url}/ranking/{month}/{mine}")
    entry = office.locator(f"li.deduction[data-report='{report['id']}']")
    thumb = entry.locator("img")
    expect(thumb).to_have_attribute("src", f"/api/v1/photos/{report['photos'][0]['id']}/thumb")
    thumb.scroll_into_view_if_needed()
    office.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert loaded(thumb)
    expect(entry.locator(".calc")).to_contain_text("1 × ")
    with office.expect_navigation():
        entry.locator("a.report-link").click()
    expect(office).to_have_url(re.compile(rf"{url}/reports/{report['id']}\?back=/ranking/{month}/{mine}$"))

    phone = phone_factory()
    login(phone, url, "community")
    expect(phone).to_have_url(f"{url}/community")
    card = phone.locator("#standing")
    expect(card).to_contain_text(zh(app, "This month's score and rank"))
    expect(card.locator(".tally li").first).to_contain_text(re.compile(r"^\s*1\s*/\s*2"))
    assert_no_horizontal_scroll(phone)
    with phone.expect_navigation():
        card.get_by_role("link", name=re.compile(zh(app, "Ranking of the month"))).click()
    expect(phone).to_have_url(f"{url}/ranking/{month}")
    only = phone.locator("#communities tbody tr[data-community]")
    expect(only).to_have_count(1)
    expect(only.first).to_have_attribute("data-community", mine)
    expect(only.first.locator("td.rank")).to_have_text("1")
    expect(phone.locator(f"tr[data-community='{other}']")).to_have_count(0)
    expect(phone.locator("form[action$='/publish']")).to_have_count(0)
    assert_no_horizontal_scroll(phone)

    with phone.expect_navigation():
        only.first.locator("td.score a").click()
    expect(phone).to_have_url(f"{url}/ranking/{month}/{mine}")
    expect(phone.locator(f"li.deduction[data-report='{report['id']}'] img")).to_have_count(1)
    assert_no_horizontal_scroll(phone)
    assert phone.goto(f"{url}/ranking/{month}/{other}").status == 404

    phone.goto(f"{url}/ranking/{month}/bulletin")
    expect(phone.locator("h1")).to_be_visible()
    assert_no_horizontal_scroll(phone)
