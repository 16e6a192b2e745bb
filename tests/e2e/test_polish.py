"""Issue 18, as people see it on a phone (390x844) and a desktop: tap targets, the ranking table, the
offline header and My reports offline, and one wording for units.

Each test is one journey on the seeded demo district; reports are filed through the API (no capture UI)
where filing is not the subject.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from fieldcheck.months import Month
from tests.e2e.conftest import DEMO_PASSWORD, assert_no_horizontal_scroll, community_of, demo_point, login
from tests.e2e.test_capture import community_name, make_jpeg
from tests.e2e.test_offline import file_report as file_offline
from tests.e2e.test_offline import open_capture
from tests.e2e.test_ranking import file_report, zh
from tests.photo_factory import jpeg

DESKTOP = {
    "viewport": {"width": 1366, "height": 900},
    "screen": {"width": 1366, "height": 900},
    "is_mobile": False,
    "has_touch": False,
    "device_scale_factor": 1,
}

# Every visible link and button in the page's main content shorter than 44 CSS px.
SMALL_TARGETS = """() => Array.from(document.querySelectorAll('main a, main button')).map(e => {
  const r = e.getBoundingClientRect();
  const s = getComputedStyle(e);
  return {visible: r.width > 0 && r.height > 0 && s.visibility !== 'hidden', height: r.height,
          what: e.tagName + ' ' + (e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 40)};
}).filter(t => t.visible)"""


def small_targets(page) -> tuple[int, list[str]]:
    """(how many targets were measured, those under 44 px as 'A title: 19.5px')."""
    targets = page.evaluate(SMALL_TARGETS)
    return len(targets), [f"{t['what']}: {t['height']:.1f}px" for t in targets if t["height"] < 44 - 0.01]


def assert_tap_targets(page, at_least: int = 1) -> None:
    measured, small = small_targets(page)
    assert measured >= at_least, f"{page.url}: only {measured} targets measured"
    assert small == [], f"{page.url}: targets under 44 px: {small}"


def test_every_link_and_button_on_the_inspector_community_and_report_pages_is_44_px_tall(
    live_server, phone_factory, tmp_path
):
    app, url = live_server.app, live_server.url
    mine = community_of(app, "community")
    lat, lon = demo_point(app, mine)
    inspector = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 9})
    login(inspector, url, "inspector")
    report = file_report(inspector, url, lat, lon, instances=1, seed=31)
    month = report["observed_at"][:7]
    # The capture page says the accuracy in 米 (one unit formatter with the report page below).
    expect(inspector.locator("#loc")).to_contain_text("±9 米")
    assert_tap_targets(inspector, at_least=2)
    inspector.set_input_files("#photo-camera", [str(make_jpeg(tmp_path / "p.jpg", seed=3))])
    expect(inspector.locator("#thumbs figure button")).to_have_count(1)  # remove the photo: a button too
    assert_tap_targets(inspector, at_least=3)
    inspector.goto(f"{url}/inspector/mine")
    expect(inspector.locator(f"li.report[data-id='{report['id']}']").first).to_be_visible()
    assert_tap_targets(inspector, at_least=3)

    community = phone_factory()
    login(community, url, "community")
    expect(community).to_have_url(f"{url}/community")
    assert_tap_targets(community, at_least=4)  # the item titles, the map, the score's breakdown, ...
    with community.expect_navigation():
        community.locator(f"li.report[data-id='{report['id']}'] a.title").tap()
    expect(community.locator("dd.location")).to_contain_text("±6 米")
    assert_tap_targets(community, at_least=2)  # 返回列表, the photos, the forms' buttons
    with community.expect_navigation():
        community.locator("#back").tap()
    expect(community).to_have_url(f"{url}/community")  # 返回列表: back where the report was opened
    for path in (f"/ranking/{month}", f"/ranking/{month}/{mine}"):
        community.goto(url + path)
        assert_tap_targets(community, at_least=3)
        assert_no_horizontal_scroll(community)

    # The same report page in English: the unit reads "m" there, as on the English capture page.
    community.goto(f"{url}/reports/{report['id']}")
    with community.expect_navigation():
        community.locator("header a[lang=en]").tap()
    expect(community.locator("dd.location")).to_contain_text("±6 m")
    assert "米" not in community.locator("dd.location").inner_text()
    assert_tap_targets(community, at_least=2)


def file_in_month(page, base_url: str, lat: float, lon: float, *, month: str, instances: int, seed: int):
    """File a report observed in `month` (the current or the previous one) with the page's session."""
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(
        f"{base_url}/api/v1/reports",
        multipart={
            "csrf_token": token,
            "client_id": f"6f1d2c3b-0000-4000-8000-{seed:012d}",
            "item_code": "ENV-02",
            "lat": str(lat),
            "lon": str(lon),
            "observed_at": f"{month}-15T10:00:00+08:00",
            "instances": str(instances),
            "photos": {"name": "image.jpg", "mimeType": "image/jpeg", "buffer": jpeg(seed=seed)},
        },
    )
    assert response.status == 201, response.text()
    return response.json()


def test_the_ranking_table_on_a_phone_shows_the_own_row_and_on_a_desktop_every_column(
    live_server, phone_factory
):
    """The table on a phone and a 1366 px desktop; publishing asks first; then the red and black lists
    are public to community staff too, by name."""
    app, url = live_server.app, live_server.url
    mine, other = community_of(app, "community"), community_of(app, "community2")
    # Last month: it is over, so the office can publish it at the end.
    month = str(Month.parse(datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")).previous())
    inspector = phone_factory()
    login(inspector, url, "inspector")
    file_in_month(inspector, url, *demo_point(app, mine), month=month, instances=1, seed=41)
    file_in_month(inspector, url, *demo_point(app, other), month=month, instances=2, seed=42)

    phones = {}
    for language, label in (("zh", zh(app, "Show all columns")), ("en", "Show all columns")):
        phone = phones[language] = phone_factory()
        if language == "en":
            phone.context.add_cookies([{"name": "lang", "value": "en", "url": url}])
        login(phone, url, "community")
        phone.goto(f"{url}/ranking/{month}")
        own = phone.locator(f"#communities tr[data-community='{mine}']")
        expect(own).to_have_attribute("aria-current", "true")
        # Rank, community, score and change in view, no sideways scrolling, not even inside the table.
        for cell in ("td.rank", "td.name", "td.score", "td.change"):
            box = own.locator(cell).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (cell, box)
        wrap = phone.locator("#communities .table-wrap")
        assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth"), (
            language,
            wrap.evaluate("w => [w.scrollWidth, w.clientWidth]"),
        )
        assert_no_horizontal_scroll(phone)
        more = phone.locator("#communities th.more").first
        expect(more).to_be_hidden()
        # The other columns: one tap away.
        toggle = phone.locator("label[for=all-columns]")
        expect(toggle).to_have_text(re.compile(label))
        assert toggle.bounding_box()["height"] >= 44
        toggle.tap()
        expect(more).to_be_visible()
        expect(phone.locator(f"#communities tr[data-community='{mine}'] td.more").first).to_be_visible()
        assert_no_horizontal_scroll(phone)
        # Not published yet: the lists are not the community's to see, and not shown as empty.
        expect(phone.locator("#lists-pending")).to_be_visible()
        expect(phone.locator("#lists ol")).to_have_count(0)

    office = phone_factory(**DESKTOP)
    login(office, url, "office")
    for path in (f"/ranking/{month}", f"/ranking/{month}/{mine}"):
        office.goto(url + path)
        assert_no_horizontal_scroll(office)
        wide = office.evaluate(
            "Array.from(document.querySelectorAll('.table-wrap')).filter(w => w.scrollWidth > w.clientWidth)"
            ".map(w => w.closest('section').id)"
        )
        assert wide == [], f"{path}: tables that scroll sideways at 1366 px: {wide}"
        if path.endswith(month):  # every column, no toggle
            expect(office.locator("#communities th.more").first).to_be_visible()
            expect(office.locator("label[for=all-columns]")).to_be_hidden()

    # Publishing asks first, on a page of its own; cancelling publishes nothing.
    office.goto(f"{url}/ranking/{month}")
    for answer in ("#cancel", "#confirm"):
        with office.expect_navigation():
            office.locator("form.publish-form button[type=submit]").click()
        expect(office.locator("#confirm-publish h1")).to_have_text(zh(app, "Publish %(month)s?", month=month))
        with office.expect_navigation():
            office.locator(answer).click()
        expect(office).to_have_url(f"{url}/ranking/{month}")
        expect(office.locator("#published")).to_have_count(0 if answer == "#cancel" else 1)

    # Published: community staff see the red list by name, the other community included (a public notice).
    phone = phones["zh"]
    phone.reload()
    red = phone.locator("#lists .red-list")
    expect(red.locator(f"li[data-listed='{other}']")).to_contain_text(community_name(app, other))
    expect(red.locator(f"li[data-listed='{mine}'] a")).to_have_count(1)  # its own breakdown: a link
    expect(red.locator(f"li[data-listed='{other}'] a")).to_have_count(0)  # another's: named only
    assert_no_horizontal_scroll(phone)


def test_offline_the_header_says_so_and_my_reports_shows_kept_and_queued_reports(
    live_server, phone_factory, tmp_path
):
    app, url = live_server.app, live_server.url
    lat, lon = demo_point(app, community_of(app, "community"))
    page = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 9})
    # A report that reached the server before the phone went offline (filed with an API token).
    token = page.request.post(
        f"{url}/api/v1/auth/token", data={"username": "inspector", "password": DEMO_PASSWORD}
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    filed = page.request.post(
        f"{url}/api/v1/reports",
        headers=headers,
        multipart={
            "client_id": "6f1d2c3b-0000-4000-8000-000000000051",
            "item_code": "ENV-02",
            "lat": str(lat),
            "lon": str(lon),
            "photos": {
                "name": "a.jpg",
                "mimeType": "image/jpeg",
                "buffer": make_jpeg(tmp_path / "a.jpg").read_bytes(),
            },
        },
    )
    assert filed.status == 201, filed.text()
    sent = filed.json()["id"]

    open_capture(page, live_server)  # My reports is never opened online: the service worker kept it
    page.wait_for_function("() => caches.match('/inspector/mine').then(r => !!r)")
    net = page.locator("header #net")
    expect(net).to_be_hidden()
    page.context.set_offline(True)
    expect(net).to_be_visible()
    expect(net).to_have_text(zh(app, "Offline"))
    file_offline(page, [make_jpeg(tmp_path / "b.jpg", seed=2)], "ENV-03")

    with page.expect_navigation():
        page.locator("main .head a").tap()  # 我的上报
    expect(page).to_have_url(f"{url}/inspector/mine")
    expect(page.locator("#report-form")).to_have_count(0)  # not the capture page
    expect(page.locator("#queue li.qitem")).to_have_count(1)  # waiting on this phone
    expect(page.locator(f"li.report[data-id='{sent}']").first).to_be_visible()  # as last loaded
    expect(page.locator("#offline-note")).to_be_visible()
    expect(page.locator("header #net")).to_be_visible()
    assert page.locator(".flash").count() == 0
    assert_no_horizontal_scroll(page)
    page.context.set_offline(False)
    expect(page.locator("header #net")).to_be_hidden()
    expect(page.locator("#offline-note")).to_be_hidden()

    # In English, the header says it in English.
    english = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 9})
    english.context.add_cookies([{"name": "lang", "value": "en", "url": url}])
    open_capture(english, live_server)
    english.context.set_offline(True)
    expect(english.locator("header #net")).to_have_text("Offline")
