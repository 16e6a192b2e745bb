"""The life of a problem in Chromium: filed, rectified on a phone, rejected, rectified again, accepted;
and the other community of the same sub-district never sees it."""

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
    """A message as the Chinese pages show it."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_CN"):
        return gettext(message, **variables)


def photo(seed: int) -> dict:
    return {"name": "image.jpg", "mimeType": "image/jpeg", "buffer": jpeg(seed=seed)}


def file_through_the_api(page, base_url: str, lat: float, lon: float) -> int:
    """File a report with the inspector's browser session (the capture page's CSRF token)."""
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(
        f"{base_url}/api/v1/reports",
        multipart={
            "csrf_token": token,
            "client_id": "6f1d2c3b-0000-4000-8000-000000000001",
            "item_code": "ENV-02",
            "lat": str(lat),
            "lon": str(lon),
            "accuracy_m": "6",
            "location_source": "device",
            "instances": "1",
            "note": "3号楼楼道堆物",
            "photos": photo(1),
        },
    )
    assert response.status == 201, response.text()
    return response.json()["id"]


def rectify_on_the_phone(page, app, base_url: str, report_id: int, seed: int, note: str):
    page.goto(f"{base_url}/community")
    item = page.locator(f"li.report[data-id='{report_id}']")
    expect(item).to_be_visible()
    assert_no_horizontal_scroll(page)
    with page.expect_navigation():
        item.locator("a.title").tap()
    expect(page).to_have_url(f"{base_url}/reports/{report_id}?back=/community")
    assert_no_horizontal_scroll(page)
    form = page.locator("form.move-rectify")
    form.locator("input[name=photos]").set_input_files(photo(seed))
    form.locator("textarea[name=note]").fill(note)
    with page.expect_navigation():
        form.locator("button[type=submit]").tap()
    expect(page.locator(".flash")).to_have_text(zh(app, "Marked as rectified; the office will verify it."))
    expect(page.locator("#status")).to_have_text(zh(app, "Awaiting verification"))
    expect(page.locator(".photo-set", has_text=zh(app, "After (latest)")).locator("img")).to_have_count(1)
    assert_no_horizontal_scroll(page)


def review_in_the_queue(page, app, base_url: str, report_id: int, decision: str, note: str = ""):
    page.goto(f"{base_url}/office")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(zh(app, "To verify"))).click()
    entry = page.locator(f"article.queue-item[data-id='{report_id}']")
    # Before and after side by side.
    expect(entry.locator(".before-after .photo-set")).to_have_count(2)
    expect(entry.locator(".before-after img")).to_have_count(2)
    entry.locator("textarea[name=note]").fill(note)
    button = "Reject: rework" if decision == "reject" else "Accept and close"
    with page.expect_navigation():
        entry.get_by_role("button", name=zh(app, button)).click()
    expect(page).to_have_url(f"{base_url}/office/queue/verify")
    expect(page.locator(f"article.queue-item[data-id='{report_id}']")).to_have_count(0)


def assert_not_seen_by(page, base_url: str, report_id: int):
    """community2, in the same sub-district: not in its list, and the report's URL answers 404."""
    page.goto(f"{base_url}/community")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator(f"li.report[data-id='{report_id}']")).to_have_count(0)
    assert_no_horizontal_scroll(page)
    assert page.goto(f"{base_url}/reports/{report_id}").status == 404
    assert page.request.get(f"{base_url}/api/v1/reports/{report_id}").status == 404


def test_file_rectify_reject_rectify_accept_and_the_other_community_never_sees_it(live_server, phone_factory):
    app, url = live_server.app, live_server.url
    code = community_of(app, "community")
    lat, lon = demo_point(app, code)

    inspector = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 6})
    login(inspector, url, "inspector")
    report_id = file_through_the_api(inspector, url, lat, lon)

    other = phone_factory()
    login(other, url, "community2")
    assert_not_seen_by(other, url, report_id)

    community = phone_factory()
    login(community, url, "community")
    expect(community).to_have_url(f"{url}/community")
    rectify_on_the_phone(community, app, url, report_id, seed=2, note="已清理楼道杂物")

    office = phone_factory(**DESKTOP)
    login(office, url, "office")
    review_in_the_queue(office, app, url, report_id, "reject", note="二楼拐角仍有纸箱")
    expect(office.locator(".flash")).to_have_text(
        zh(app, "Rejected: the report is back with the community for rework.")
    )

    # Back on the community's list, with a fresh deadline and the rework counted.
    community.goto(f"{url}/reports/{report_id}")
    expect(community.locator("#status")).to_have_text(zh(app, "To rectify"))
    expect(community.locator(".summary")).to_contain_text(zh(app, "Rework ×%(n)s", n=1))
    expect(community.locator("#timeline")).to_contain_text("二楼拐角仍有纸箱")
    rectify_on_the_phone(community, app, url, report_id, seed=3, note="纸箱已清走")

    review_in_the_queue(office, app, url, report_id, "accept")
    expect(office.locator(".flash")).to_have_text(zh(app, "Accepted: the report is closed."))

    office.goto(f"{url}/reports/{report_id}")
    expect(office.locator("#status")).to_have_text(zh(app, "Closed"))
    events = office.locator("#timeline > li")
    expected = ["file", "dispatch", "rectify", "reject", "rectify", "accept"]
    assert [events.nth(i).get_attribute("data-action") for i in range(events.count())] == expected
    labels = [
        zh(app, text)
        for text in (
            "Filed",
            "Dispatched to the community",
            "Rectified",
            "Rejected: back for rework",
            "Rectified",
            "Accepted: closed",
        )
    ]
    expect(events.locator("strong")).to_have_text(labels)
    expect(events.nth(3)).to_contain_text("二楼拐角仍有纸箱")
    expect(events.nth(2).locator("img")).to_have_count(1)
    expect(events.nth(4).locator("img")).to_have_count(1)
    expect(office.locator("form[action*='/reports/']")).to_have_count(0)  # nothing left to do

    # The community sees it closed, and no longer in its open list.
    community.goto(f"{url}/reports/{report_id}")
    expect(community.locator("#status")).to_have_text(zh(app, "Closed"))
    expect(community.locator("#timeline > li")).to_have_count(6)
    assert_no_horizontal_scroll(community)
    community.goto(f"{url}/community")
    expect(community.locator(f"li.report[data-id='{report_id}']")).to_have_count(0)

    assert_not_seen_by(other, url, report_id)
