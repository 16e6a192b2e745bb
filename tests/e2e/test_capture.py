"""Filing a report on a phone: photo, position and community, item, submit; and who sees it afterwards."""

from __future__ import annotations

import gzip
import hashlib
import re
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from sqlalchemy import select

from fieldcheck.calendar import local_text
from fieldcheck.extensions import db
from tests.e2e.conftest import assert_no_horizontal_scroll, community_of, demo_point, login

STAIRWELL_ITEM = "ENV-02"  # 楼道卫生不洁: a residential (RES) item
CLUTTER_ITEM = "ENV-03"  # 楼道及公共部位堆放杂物


# --------------------------------------------------------------------------------------------------
# Small helpers of this file


def zh(app, message: str, **variables) -> str:
    """A message as the Chinese page shows it (the English text until the catalogue translates it)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_CN"):
        return gettext(message, **variables)


def due_of(app, client_id: str):
    from fieldcheck.reports.models import Report

    with app.app_context():
        try:
            return db.session.scalar(select(Report.due_at).where(Report.client_id == client_id))
        finally:
            db.session.remove()


def zh_status(app, status: str) -> str:
    from flask_babel import force_locale

    from fieldcheck.web import status_label

    with app.test_request_context(), force_locale("zh_CN"):
        return status_label(status)


def make_jpeg(path, seed: int = 0):
    """A real 1200x900 JPEG with some drawing on it (no EXIF, so no GPS in the photo)."""
    image = Image.new("RGB", (1200, 900), (200 - seed, 210, 190))
    draw = ImageDraw.Draw(image)
    for i in range(0, 1200, 60):
        draw.line([(i, 0), (1200 - i, 900)], fill=(90, 60 + seed, 40), width=6)
    draw.rectangle([300, 200, 900, 700], outline=(160, 20, 20), width=14)
    draw.ellipse([480, 330, 720, 570], fill=(40, 90, 150))
    image.save(path, "JPEG", quality=85)
    return path


def item_of(app, code: str):
    from fieldcheck.checklist.models import ChecklistItem

    with app.app_context():
        try:
            item = db.session.scalar(
                select(ChecklistItem).where(ChecklistItem.code == code).order_by(ChecklistItem.id.desc())
            )
            return {"code": item.code, "name_zh": item.name_zh, "name_en": item.name_en}
        finally:
            db.session.remove()


def community_name(app, code: str) -> str:
    from fieldcheck.geography.models import Community

    with app.app_context():
        try:
            return db.session.scalar(select(Community.name).where(Community.code == code))
        finally:
            db.session.remove()


def all_reports(app) -> list[dict]:
    from fieldcheck.reports.models import Report

    with app.app_context():
        try:
            rows = db.session.scalars(select(Report).order_by(Report.id)).all()
            return [
                {
                    "id": r.id,
                    "client_id": r.client_id,
                    "item": r.item.code,
                    "community": r.community.code if r.community else None,
                    "lat": r.lat,
                    "lon": r.lon,
                    "accuracy_m": r.accuracy_m,
                    "location_source": r.location_source,
                    "observed_at": r.observed_at,
                    "received_at": r.received_at,
                    "instances": r.instances,
                    "status": r.status,
                    "flags": list(r.flags or []),
                    "photos": [p.sha256 for p in r.photos],
                }
                for r in rows
            ]
        finally:
            db.session.remove()


def log_out(page):
    with page.expect_navigation():
        page.locator("header").get_by_role("button").click()


def api_report_ids(page, base_url: str) -> list[int]:
    response = page.request.get(f"{base_url}/api/v1/reports?per_page=200")
    assert response.status == 200, response.text()
    return [r["id"] for r in response.json()["reports"]]


def tap_item(page, code: str):
    """Two taps: open the item's category, then the item."""
    radio = page.locator(f"input[name=item_code][value='{code}']").last
    category = page.locator("details.category", has=radio)
    if category.get_attribute("open") is None:
        category.locator("summary").tap()
    page.locator("label.item", has=radio).tap()
    expect(radio).to_be_checked()


SEND_TIMEOUT_MS = 30_000


def wait_until_sent(page):
    """The phone's queue (static/js/queue.js) is empty: everything filed has reached the server."""
    expect(page.locator("html")).to_have_attribute("data-queued", "0", timeout=SEND_TIMEOUT_MS)


def submit(page, button="#report-form button.primary"):
    """Submit: the report is kept on the phone (the form resets for the next one), then sent."""
    client_id = page.locator("#report-form input[name=client_id]").input_value()
    page.locator(button).tap()
    expect(page.locator("#saved")).to_be_visible()
    expect(page.locator("#report-form input[name=client_id]")).not_to_have_value(client_id)
    return client_id


# --------------------------------------------------------------------------------------------------
# The tests


def test_inspector_files_a_report_with_the_phone_position(live_server, phone_factory, tmp_path):
    app = live_server.app
    code = community_of(app, "community")
    lat, lon = demo_point(app, code)
    name = community_name(app, code)
    item = item_of(app, STAIRWELL_ITEM)
    page = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 8})

    login(page, live_server.url, "inspector")
    expect(page).to_have_url(f"{live_server.url}/inspector")
    # The position, its accuracy and the community it falls in, found by the script.
    location = page.locator("#loc")
    expected = zh(app, "±{m} m").replace("{m}", "8") + " · " + name
    expect(location).to_have_text(expected)
    expect(location).to_have_attribute("data-state", "good")
    expect(page.locator("#report-form input[name=location_source]")).to_have_value("device")
    expect(page.locator("#item-search")).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.screenshot(path=str(tmp_path / "capture-top.png"))
    page.screenshot(path=str(tmp_path / "capture-full.png"), full_page=True)

    photo = make_jpeg(tmp_path / "stairwell.jpg")
    page.set_input_files("#photo-camera", str(photo))
    expect(page.locator("#thumbs figure")).to_have_count(1)
    expect(page.locator("#thumbs img")).to_have_js_property("complete", True)
    assert page.locator("#thumbs img").evaluate("img => img.naturalWidth") == 1200

    tap_item(page, STAIRWELL_ITEM)
    expect(page.locator("#chosen")).to_have_text(item["name_zh"])
    page.locator(f"label.item:has(input[value='{STAIRWELL_ITEM}'])").scroll_into_view_if_needed()
    assert_no_horizontal_scroll(page)
    page.screenshot(path=str(tmp_path / "capture-scrolled.png"))

    before = all_reports(app)
    assert before == []
    client_id = submit(page)
    expect(page.locator("#thumbs figure")).to_have_count(0)
    expect(page.locator("#chosen")).to_be_hidden()
    wait_until_sent(page)
    # Its queue card now says where it went and by when, from the 201 answer (the phone's local time).
    sent = page.locator(f"#queue li.q-sent[data-id='{client_id}'] .qstate")
    due = local_text(due_of(app, client_id), ZoneInfo("Asia/Shanghai"), year=False)  # the phone's zone
    expect(sent).to_have_text(
        zh(app, "Dispatched to {community} · due {due}").replace("{community}", name).replace("{due}", due)
    )
    expect(page.locator("#queue .qbuttons")).to_be_hidden()
    assert_no_horizontal_scroll(page)
    page.locator("#report-form .head a").tap()
    expect(page).to_have_url(f"{live_server.url}/inspector/mine")
    row = page.locator("li.report").first
    expect(row).to_contain_text(item["name_zh"])
    expect(row).to_contain_text(name)
    status = row.locator(".status")
    expect(status).to_have_text(zh_status(app, "dispatched"))
    expect(status).to_have_class(re.compile(r"\bstatus-dispatched\b"))
    expect(row.locator("img")).to_have_js_property("complete", True)
    assert row.locator("img").evaluate("img => img.naturalWidth") > 0
    assert_no_horizontal_scroll(page)
    page.screenshot(path=str(tmp_path / "mine.png"), full_page=True)

    # On the server: exactly one report, placed by the device, in the community of the point.
    reports = all_reports(app)
    assert len(reports) == 1
    report = reports[0]
    assert report["client_id"] == client_id
    assert report["item"] == STAIRWELL_ITEM
    assert report["location_source"] == "device"
    assert report["community"] == code
    assert report["lat"] == pytest.approx(lat, abs=1e-6)
    assert report["lon"] == pytest.approx(lon, abs=1e-6)
    assert report["accuracy_m"] == pytest.approx(8)
    assert report["instances"] == 1
    assert report["status"] == "dispatched"
    assert "manual_location" not in report["flags"]
    assert report["photos"] == [hashlib.sha256(photo.read_bytes()).hexdigest()]
    # observed_at is the phone's time at submit, just before the server received it.
    assert abs((report["received_at"] - report["observed_at"]).total_seconds()) < 60

    # The community's own staff see it; the staff of another community do not.
    log_out(page)
    login(page, live_server.url, "community")
    assert report["id"] in api_report_ids(page, live_server.url)
    log_out(page)
    login(page, live_server.url, "community2")
    assert community_of(app, "community2") != code
    assert report["id"] not in api_report_ids(page, live_server.url)


def test_without_geolocation_the_community_is_picked_by_hand(live_server, phone_factory, tmp_path):
    app = live_server.app
    code = community_of(app, "community2")
    item = item_of(app, CLUTTER_ITEM)
    page = phone_factory(permissions=[])  # the phone does not share its position

    login(page, live_server.url, "inspector")
    expect(page).to_have_url(f"{live_server.url}/inspector")
    location = page.locator("#loc")
    expect(location).to_have_attribute("data-state", "none")
    refused = zh(app, "Location is not allowed: choose the community below.")
    unavailable = zh(app, "No position found: choose the community below.")
    expect(location).to_have_text(re.compile(f"^({re.escape(refused)}|{re.escape(unavailable)})$"))
    page.screenshot(path=str(tmp_path / "capture-no-position.png"))

    page.locator("#community").select_option(code)
    expect(location).to_have_attribute("data-state", "manual")
    expect(location).to_have_text(zh(app, "Community chosen by hand"))
    expect(page.locator("#report-form input[name=location_source]")).to_have_value("manual")

    page.set_input_files("#photo-camera", str(make_jpeg(tmp_path / "clutter.jpg", seed=30)))
    # Find the item by searching (Chinese), then one tap.
    search = page.locator("#item-search")
    search.fill("杂物")
    target = page.locator(f"label.item:has(input[value='{CLUTTER_ITEM}'])")
    expect(target).to_be_visible()
    expect(page.locator(f"label.item:has(input[value='{STAIRWELL_ITEM}'])")).to_be_hidden()
    search.press("Enter")  # must not send the form
    expect(page).to_have_url(f"{live_server.url}/inspector")
    target.tap()
    expect(page.locator("#chosen")).to_have_text(item["name_zh"])
    page.locator("input[name=instances]").fill("3")
    page.locator("textarea[name=note]").fill("3号楼2单元")

    submit(page)
    wait_until_sent(page)
    page.goto(f"{live_server.url}/inspector/mine")
    expect(page.locator("li.report").first).to_contain_text(item["name_zh"])

    reports = all_reports(app)
    assert len(reports) == 1
    report = reports[0]
    assert report["location_source"] == "manual"
    assert "manual_location" in report["flags"]
    assert report["community"] == code
    assert report["lat"] is None and report["accuracy_m"] is None
    assert report["instances"] == 3
    assert report["item"] == CLUTTER_ITEM


def test_a_report_without_a_photo_gets_the_server_error(live_server, phone_factory, tmp_path):
    app = live_server.app
    lat, lon = demo_point(app, community_of(app, "community"))
    page = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 12})

    login(page, live_server.url, "inspector")
    expect(page.locator("#loc")).to_have_attribute("data-state", "good")
    # A browser that does not check `required` (old or buggy): the server must answer readably.
    page.evaluate("document.querySelectorAll('[required]').forEach(el => el.removeAttribute('required'))")
    tap_item(page, STAIRWELL_ITEM)
    client_id = page.locator("#report-form input[name=client_id]").input_value()

    assert submit(page) == client_id
    # The server refuses it: the phone keeps it, marked with the server's message, to fix or discard.
    message = zh(app, "Add at least one photo.")
    row = page.locator(f"#queue li.qitem[data-id='{client_id}']")
    expect(row.locator(".qerror")).to_have_text(message, timeout=SEND_TIMEOUT_MS)
    expect(page.locator("#qcount")).to_have_text("1")
    assert_no_horizontal_scroll(page)
    assert all_reports(app) == []

    # Fix: back in the form as it was (same client_id and item, so a retry is the same report).
    row.locator("a.button").tap()
    expect(page.get_by_role("alert")).to_contain_text(message)
    expect(page.locator("#report-form input[name=client_id]")).to_have_value(client_id)
    expect(page.locator(f"input[name=item_code][value='{STAIRWELL_ITEM}']").last).to_be_checked()
    photo = make_jpeg(tmp_path / "fixed.jpg")
    page.set_input_files("#photo-camera", str(photo))
    assert submit(page) == client_id
    wait_until_sent(page)
    [report] = all_reports(app)
    assert report["client_id"] == client_id
    assert report["photos"] == [hashlib.sha256(photo.read_bytes()).hexdigest()]


def test_a_double_tap_files_one_report(live_server, phone_factory, tmp_path):
    app = live_server.app
    lat, lon = demo_point(app, community_of(app, "community"))
    page = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 8})
    login(page, live_server.url, "inspector")
    expect(page.locator("#loc")).to_have_attribute("data-state", "good")
    page.set_input_files("#photo-camera", str(make_jpeg(tmp_path / "a.jpg")))
    tap_item(page, STAIRWELL_ITEM)
    page.locator("#report-form button.primary").dblclick()
    expect(page.locator("#saved")).to_be_visible()
    wait_until_sent(page)
    assert len(all_reports(app)) == 1


def test_photos_from_camera_and_album_add_up_and_can_be_removed(live_server, phone_factory, tmp_path):
    app = live_server.app
    lat, lon = demo_point(app, community_of(app, "community"))
    page = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 8})
    login(page, live_server.url, "inspector")
    first, second, third = (make_jpeg(tmp_path / f"p{i}.jpg", seed=10 * i) for i in range(3))
    page.set_input_files("#photo-camera", str(first))
    page.set_input_files("#photo-camera", str(second))  # a second shot adds, it does not replace
    page.set_input_files("#photo-album", str(third))
    expect(page.locator("#thumbs figure")).to_have_count(3)
    page.locator("#thumbs figure").nth(1).locator("button").tap()  # drop the second photo
    expect(page.locator("#thumbs figure")).to_have_count(2)
    tap_item(page, STAIRWELL_ITEM)
    submit(page)
    wait_until_sent(page)
    reports = all_reports(app)
    assert len(reports) == 1
    assert reports[0]["photos"] == [hashlib.sha256(p.read_bytes()).hexdigest() for p in (first, third)]


def test_the_capture_page_is_light(live_server, phone):
    """Page-weight goal: everything the capture page loads under 60 KB compressed (bench/pageweight.py
    measures it in the browser, first and repeat visit)."""
    login(phone, live_server.url, "inspector")
    request = phone.request
    page = request.get(live_server.url + "/inspector").text()
    spots = (
        re.search(r'<select name="spot" id="spot" data-url="([^"]+)"', page).group(1).replace("&amp;", "&")
    )
    paths = [
        "/inspector",
        spots,  # the registry's spots, kept offline with the page
        "/static/css/app.css",
        "/static/js/capture.js",
        "/static/js/queue.js",
        "/inspector/sw.js",
        "/inspector/manifest.webmanifest",
        "/static/icons/icon.svg",
    ]
    parts = [request.get(live_server.url + path).body() for path in paths]
    scripts = sum(
        len(gzip.compress(part, 9)) for path, part in zip(paths, parts, strict=True) if path.endswith(".js")
    )
    assert scripts < 16_000, f"the capture page's scripts weigh {scripts} bytes compressed"
    total = sum(len(gzip.compress(part, 9)) for part in parts)
    assert total < 60_000, f"the capture page weighs {total} bytes compressed"


def test_inspected_no_problem_records_a_visit_where_the_phone_is(live_server, phone_factory):
    from fieldcheck.reports.models import Visit

    app = live_server.app
    code = community_of(app, "community")
    lat, lon = demo_point(app, code)
    page = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 15})
    login(page, live_server.url, "inspector")
    expect(page.locator("#loc")).to_contain_text(community_name(app, code))
    page.locator("#visit").tap()  # no photo, no item: the form does not ask for them
    expect(page.locator("#saved")).to_contain_text(zh(app, "Inspected, no problem"))
    wait_until_sent(page)
    with app.app_context():
        try:
            visits = db.session.scalars(select(Visit)).all()
            assert [(v.location_source, v.community.code, v.accuracy_m) for v in visits] == [
                ("device", code, 15)
            ]
            assert visits[0].lat == pytest.approx(lat, abs=1e-6)
        finally:
            db.session.remove()
    assert all_reports(app) == []
    # My reports' Visits tab lists it (issue #14), on a phone's width.
    page.goto(f"{live_server.url}/inspector/mine")
    page.locator("#tab-visits").tap()
    expect(page).to_have_url(f"{live_server.url}/inspector/mine/visits")
    expect(page.locator("#tab-visits")).to_have_attribute("aria-current", "page")
    expect(page.locator("li.visit")).to_have_count(1)
    expect(page.locator("li.visit")).to_contain_text(community_name(app, code))
    assert_no_horizontal_scroll(page)
