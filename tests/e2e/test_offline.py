"""Offline-first capture: reports filed without a connection arrive exactly once, photos intact.

The phone keeps each report in IndexedDB (static/js/queue.js) and a service worker (static/js/sw.js)
serves the capture page when there is no network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from datetime import UTC, datetime

import pytest
from flask import request
from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_horizontal_scroll, community_of, demo_point
from tests.e2e.conftest import login_form as login  # the service worker sees the login form too
from tests.e2e.test_capture import CLUTTER_ITEM, STAIRWELL_ITEM, all_reports, make_jpeg, tap_item, zh

SEND_TIMEOUT_MS = 30_000
OTHER_ITEM = "ENV-01"


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_capture(page, server):
    login(page, server.url, "inspector")
    expect(page).to_have_url(f"{server.url}/inspector")
    # The service worker is installed and holds the capture page.
    expect(page.locator("html")).to_have_attribute("data-offline", "ready", timeout=15_000)


def queued(page) -> list[dict]:
    return page.evaluate(
        "FCQ.all().then(items => items.map(i => ({client_id: i.client_id, state: i.state, error: i.error,"
        " names: i.photos.map(p => p.name), fields: i.fields})))"
    )


def file_report(page, photos, item):
    page.set_input_files("#photo-camera", [str(p) for p in photos])
    expect(page.locator("#thumbs figure")).to_have_count(len(photos))
    tap_item(page, item)
    page.locator("#report-form button.primary").tap()
    # Kept on the phone; the form is ready for the next report.
    expect(page.locator("#saved")).to_be_visible()
    expect(page.locator("#thumbs figure")).to_have_count(0)


def expect_queue(page, count: int):
    badge = page.locator("#qcount")
    if count:
        expect(badge).to_have_text(str(count))
        expect(badge).to_be_visible()
    else:
        expect(page.locator("html")).to_have_attribute("data-queued", "0", timeout=SEND_TIMEOUT_MS)
        expect(badge).to_be_hidden()


def test_three_reports_filed_offline_arrive_once_with_their_photos(live_server, phone_factory, tmp_path):
    app = live_server.app
    lat, lon = demo_point(app, community_of(app, "community"))
    page = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 9})
    posts = []
    page.on("requestfinished", lambda r: posts.append(r) if r.method == "POST" else None)
    open_capture(page, live_server)
    expect(page.locator("#loc")).to_have_attribute("data-state", "good")

    photos = [
        [make_jpeg(tmp_path / "a1.jpg", seed=1), make_jpeg(tmp_path / "a2.jpg", seed=2)],
        [make_jpeg(tmp_path / "b.jpg", seed=3)],
        [make_jpeg(tmp_path / "c.jpg", seed=4)],
    ]
    # Same file name for two shots, as iOS names every camera photo: the queue renames them.
    (tmp_path / "ios").mkdir()
    photos[2] = [photos[2][0].rename(tmp_path / "ios" / "image.jpg")]
    items = [STAIRWELL_ITEM, CLUTTER_ITEM, OTHER_ITEM]

    page.context.set_offline(True)
    filed_from = datetime.now(UTC)
    for number, (shots, item) in enumerate(zip(photos, items, strict=True), start=1):
        file_report(page, shots, item)
        expect_queue(page, number)
    filed_until = datetime.now(UTC)
    kept = queued(page)
    assert len({k["client_id"] for k in kept}) == 3
    names = [n for k in kept for n in k["names"]]
    assert len(set(names)) == len(names) and "image.jpg" not in names

    # Reload with no network: the page comes from the service worker, the queue from IndexedDB.
    page.reload()
    expect(page.locator("#report-form")).to_be_visible()
    expect_queue(page, 3)
    rows = page.locator("#queue li.qitem")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text(zh(app, "waiting"))
    for i in range(3):
        expect(rows.nth(i).locator("img")).to_have_js_property("complete", True)
        assert rows.nth(i).locator("img").evaluate("img => img.naturalWidth") == 1200
    assert_no_horizontal_scroll(page)
    page.screenshot(path=str(tmp_path / "offline-queue.png"), full_page=True)
    # The form opened offline has a client_id of its own, not one of the queued reports'.
    assert page.locator("input[name=client_id]").input_value() not in {k["client_id"] for k in kept}
    assert all_reports(app) == []

    page.context.set_offline(False)
    expect_queue(page, 0)
    reports = all_reports(app)
    assert [r["client_id"] for r in reports] == [k["client_id"] for k in kept]
    assert [r["item"] for r in reports] == items
    assert [r["photos"] for r in reports] == [[sha(p) for p in shots] for shots in photos]
    for report in reports:
        # observed_at is the phone's time of filing (it decides the month); the deadline runs from arrival.
        assert filed_from <= report["observed_at"] <= filed_until <= report["received_at"]
        assert report["location_source"] == "device" and report["status"] == "dispatched"
    # The service worker never touched a POST.
    uploads = [r for r in posts if r.url.endswith("/api/v1/reports")]
    assert len(uploads) == 3
    assert not any(r.service_worker or r.response().from_service_worker for r in uploads)


@pytest.mark.parametrize("moment", ["before_filing", "after_commit"])
def test_server_stopped_in_the_middle_of_an_upload(make_live_server, phone_factory, tmp_path, moment):
    server = make_live_server()
    reached, release = threading.Event(), threading.Event()

    def hold(response=None):
        if request.method == "POST" and request.path == "/api/v1/reports" and not reached.is_set():
            reached.set()
            release.wait(10)  # the test stops the server meanwhile; the answer goes nowhere
        return response

    if moment == "before_filing":
        server.app.before_request(hold)
    else:
        server.app.after_request(hold)  # the report is committed, its 201 never arrives

    app = server.app
    lat, lon = demo_point(app, community_of(app, "community"))
    page = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 9})
    open_capture(page, server)
    first = [make_jpeg(tmp_path / "one.jpg", seed=5)]
    second = [make_jpeg(tmp_path / "two.jpg", seed=6)]
    file_report(page, first, STAIRWELL_ITEM)
    assert reached.wait(10), "the upload did not reach the server"
    file_report(page, second, CLUTTER_ITEM)  # filed while the server is down
    kept = [k["client_id"] for k in queued(page)]

    threading.Timer(0.3, release.set).start()
    server.stop()
    server.start()  # same port, same database; the browser's session survives
    expect_queue(page, 0)

    reports = all_reports(server.app)
    assert sorted(r["client_id"] for r in reports) == sorted(kept)
    assert len(reports) == 2
    by_item = {r["item"]: r for r in reports}
    assert by_item[STAIRWELL_ITEM]["photos"] == [sha(p) for p in first]
    assert by_item[CLUTTER_ITEM]["photos"] == [sha(p) for p in second]


def test_an_expired_session_keeps_the_queue_until_the_inspector_logs_in(live_server, phone_factory, tmp_path):
    app = live_server.app
    page = phone_factory(permissions=[])
    code = community_of(app, "community2")
    open_capture(page, live_server)
    page.context.set_offline(True)
    page.locator("#community").select_option(code)
    file_report(page, [make_jpeg(tmp_path / "x.jpg", seed=7)], CLUTTER_ITEM)
    expect_queue(page, 1)

    # The session ends while the phone is offline (cookie gone, as after the 12-hour lifetime).
    page.context.clear_cookies()
    page.context.set_offline(False)
    prompt = page.locator("#queue .login")
    expect(prompt).to_be_visible(timeout=SEND_TIMEOUT_MS)
    expect_queue(page, 1)
    assert queued(page)[0]["state"] == "login"
    assert all_reports(app) == []

    with page.expect_navigation():
        prompt.locator("a").tap()
    form = page.locator("main form")
    form.locator("input[name=username]").fill("inspector")
    form.locator("input[name=password]").fill("demo-2026-wmb")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/inspector")
    expect_queue(page, 0)
    reports = all_reports(app)
    assert len(reports) == 1
    assert reports[0]["community"] == code and reports[0]["location_source"] == "manual"


def test_a_refused_report_stays_with_the_server_message_until_discarded(live_server, phone_factory, tmp_path):
    app = live_server.app
    lat, lon = demo_point(app, community_of(app, "community"))
    page = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 9})
    open_capture(page, live_server)
    file_report(page, [make_jpeg(tmp_path / "y.jpg", seed=8)], STAIRWELL_ITEM)
    expect_queue(page, 0)
    [report] = all_reports(app)

    # The same client_id again with other content (a phone restored from a backup, say): 409.
    photo = base64.b64encode((tmp_path / "y.jpg").read_bytes()).decode()
    page.evaluate(
        """([id, photo]) => FCQ.add({client_id: id, kind: 'report', url: '/api/v1/reports', user: FCQ.user,
             created: Date.now(), label: 'copy', fields: {client_id: id, item_code: 'ENV-02', note: 'copy'},
             photos: [{name: 'copy.jpg', type: 'image/jpeg',
                       blob: new Blob([Uint8Array.from(atob(photo), c => c.charCodeAt(0))], {type: 'image/jpeg'})}]})""",
        [report["client_id"], photo],
    )
    row = page.locator("#queue li.qitem")
    expect(row).to_have_class(re.compile(r"\bq-failed\b"), timeout=SEND_TIMEOUT_MS)
    message = zh(app, "This client_id was already used for different content.")
    expect(row.locator(".qerror")).to_have_text(message)
    expect_queue(page, 1)
    expect(page.locator("#qcount")).to_have_class(re.compile(r"\bbad\b"))
    # Still there after a reload, and sending again does not drop it.
    page.reload()
    page.locator("#queue .send").tap()
    expect(page.locator("#queue li.qitem .qerror")).to_have_text(message)
    page.once("dialog", lambda d: d.accept())
    page.locator("#queue li.qitem .discard").tap()
    expect_queue(page, 0)
    assert len(all_reports(app)) == 1


def test_the_queue_exports_to_a_file_and_survives_a_closed_database(live_server, phone_factory, tmp_path):
    app = live_server.app
    lat, lon = demo_point(app, community_of(app, "community"))
    page = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 9})
    open_capture(page, live_server)
    page.context.set_offline(True)
    photo = make_jpeg(tmp_path / "z.jpg", seed=9)
    file_report(page, [photo], STAIRWELL_ITEM)
    # The browser closes the IndexedDB connection (iOS does under memory pressure): the next use reopens it.
    page.evaluate("FCQ._close()")
    file_report(page, [make_jpeg(tmp_path / "z2.jpg", seed=10)], CLUTTER_ITEM)
    expect_queue(page, 2)

    with page.expect_download() as download:
        page.locator("#queue .export").tap()
    download.value.save_as(tmp_path / "queue.json")
    saved = json.loads((tmp_path / "queue.json").read_text())
    assert [i["fields"]["item_code"] for i in saved["items"]] == [STAIRWELL_ITEM, CLUTTER_ITEM]
    data = saved["items"][0]["photos"][0]["data"]
    assert data.startswith("data:image/jpeg;base64,")
    assert hashlib.sha256(base64.b64decode(data.split(",", 1)[1])).hexdigest() == sha(photo)

    page.context.set_offline(False)
    expect_queue(page, 0)
    assert len(all_reports(app)) == 2


def test_without_indexeddb_the_form_is_posted_directly(live_server, phone_factory, tmp_path):
    app = live_server.app
    lat, lon = demo_point(app, community_of(app, "community"))
    page = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 9})
    # A browser whose IndexedDB refuses to open (private windows of some browsers, a broken profile).
    page.add_init_script(
        "Object.defineProperty(window, 'indexedDB', {value: {open() {"
        " throw new DOMException('refused', 'InvalidStateError') }}})"
    )
    login(page, live_server.url, "inspector")
    expect(page.locator("#loc")).to_have_attribute("data-state", "good")
    photo = make_jpeg(tmp_path / "direct.jpg", seed=11)
    page.set_input_files("#photo-camera", str(photo))
    tap_item(page, STAIRWELL_ITEM)
    client_id = page.locator("#report-form input[name=client_id]").input_value()
    with page.expect_navigation():
        page.locator("#report-form button.primary").tap()
    expect(page).to_have_url(f"{live_server.url}/inspector/mine")
    [report] = all_reports(app)
    assert report["client_id"] == client_id and report["photos"] == [sha(photo)]


def test_logging_out_forgets_the_kept_pages_but_not_the_queue(live_server, phone_factory, tmp_path):
    app = live_server.app
    page = phone_factory(permissions=[])
    open_capture(page, live_server)
    page.route("**/api/v1/reports", lambda route: route.abort())  # the report cannot leave the phone
    page.locator("#community").select_option(community_of(app, "community"))
    file_report(page, [make_jpeg(tmp_path / "w.jpg", seed=12)], STAIRWELL_ITEM)
    expect_queue(page, 1)
    with page.expect_navigation():
        page.locator("header form button").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    kept = "Promise.all(['/inspector', '/static/js/queue.js'].map(u => caches.match(u).then(r => !!r)))"
    assert page.evaluate(kept) == [False, True]
    count = """new Promise(done => { const r = indexedDB.open('fieldcheck');
        r.onsuccess = () => { const q = r.result.transaction('queue').objectStore('queue').count();
                              q.onsuccess = () => done(q.result); }; })"""
    assert page.evaluate(count) == 1
    assert all_reports(app) == []


def test_background_sync_sends_the_queue_with_no_page_open(live_server, phone_factory, tmp_path):
    app = live_server.app
    lat, lon = demo_point(app, community_of(app, "community"))
    page = phone_factory(geolocation={"latitude": lat, "longitude": lon, "accuracy": 9})
    open_capture(page, live_server)
    page.context.set_offline(True)
    photo = make_jpeg(tmp_path / "bg.jpg", seed=14)
    file_report(page, [photo], STAIRWELL_ITEM)
    [kept] = queued(page)

    # The inspector closes the page; the browser fires the service worker's sync event later.
    blank = page.context.new_page()
    page.close()
    blank.context.set_offline(False)
    cdp = blank.context.new_cdp_session(blank)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not registrations and time.monotonic() < deadline:
        blank.wait_for_timeout(100)
    [registration] = [r for r in registrations if r["scopeURL"].endswith("/inspector") and not r["isDeleted"]]
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": live_server.url,
            "registrationId": registration["registrationId"],
            "tag": "fieldcheck-queue",
            "lastChance": False,
        },
    )
    deadline = time.monotonic() + 30
    while not all_reports(app) and time.monotonic() < deadline:
        blank.wait_for_timeout(200)
    [report] = all_reports(app)
    assert report["client_id"] == kept["client_id"] and report["photos"] == [sha(photo)]


def test_a_changed_page_replaces_the_kept_one_at_once(live_server, phone_factory):
    """The kept page is shown first; when the server's differs (here: another language), it is reloaded."""
    page = phone_factory(permissions=[])
    open_capture(page, live_server)
    expect(page.locator("#report-form h1")).to_have_text("上报问题")
    shell = f"{live_server.url}/inspector"
    with page.expect_response(lambda r: r.url == shell and r.from_service_worker):  # the kept (Chinese) page
        page.locator("header a[lang=en]").tap()
    expect(page).to_have_url(shell)
    # The worker's revalidation runs in the background, then reloads the page: no tap in between. The wait
    # is a tolerance for a busy machine (two browser tests per core in CI), not a speed check.
    expect(page.locator("#report-form h1")).to_have_text("File a report", timeout=15_000)
    page.reload()
    expect(page.locator("#report-form h1")).to_have_text("File a report")
