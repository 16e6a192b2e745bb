"""The verify queue in Chromium on a phone: the office filters to a community, ticks three rectifications
and accepts them together; the flash counts them and they leave the queue. The queue's grouping, the
reject note checked on the card, and the after-photo picker's thumbnails."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import community_of, login
from tests.factories import ReportFactory
from tests.photo_factory import jpeg


def photo(seed: int) -> dict:
    return {"name": f"after-{seed}.jpg", "mimeType": "image/jpeg", "buffer": jpeg(seed=seed)}


def test_office_bulk_accepts_three_on_a_phone(live_server, phone):
    url, app = live_server.url, live_server.app
    make = ReportFactory(app)
    code = community_of(app, "community2")
    made = [make("rectified", community=code, inspector="inspector") for _ in range(3)]
    login(phone, url, "office")
    phone.goto(f"{url}/office/queue/verify")
    phone.locator("select[name=community]").select_option(code)
    with phone.expect_navigation():
        phone.locator("form.queue-filters button[type=submit]").click()
    assert f"community={code}" in phone.url
    for report_id in made:
        card = phone.locator(f"article.queue-item[data-id='{report_id}']")
        expect(card.locator(".deadline")).to_contain_text("截止")
        card.locator("input[name=report]").check()
    with phone.expect_navigation():
        phone.locator("#bulk-accept-button").click()
    assert f"community={code}" in phone.url
    expect(phone.locator(".flash").first).to_contain_text("已通过 3 条，未通过 0 条")
    for report_id in made:
        expect(phone.locator(f"article.queue-item[data-id='{report_id}']")).to_have_count(0)


def test_queue_groups_by_community_checks_a_reject_note_in_place_and_after_photos_show(live_server, phone):
    """Issue 14: the verify queue's cards under their communities (by code); rejecting with no note, or a
    note of blanks, is refused on the card without leaving the page; the community's after-photo picker
    shows thumbnails of the chosen photos before sending."""
    url, app = live_server.url, live_server.app
    make = ReportFactory(app)
    codes = sorted({community_of(app, "community"), community_of(app, "community2")})
    first = make("rectified", community=codes[1], inspector="inspector")
    second = make("rectified", community=codes[0], inspector="inspector")
    to_fix = make("dispatched", community=community_of(app, "community2"), inspector="inspector")
    login(phone, url, "office")
    phone.goto(f"{url}/office/queue/verify")
    groups = phone.locator("section.queue-group")
    order = groups.evaluate_all("(list) => list.map((g) => g.dataset.community)")
    assert order.index(codes[0]) < order.index(codes[1])
    for code, report_id in ((codes[0], second), (codes[1], first)):
        group = phone.locator(f"section.queue-group[data-community='{code}']")
        expect(group.locator("h2 .count")).to_have_text(str(group.locator("article.queue-item").count()))
        expect(group.locator(f"article.queue-item[data-id='{report_id}']")).to_have_count(1)

    card = phone.locator(f"article.queue-item[data-id='{first}']")
    note, reject = (
        card.locator("form.move-review textarea"),
        card.get_by_role("button", name="不通过：退回返工"),
    )
    before = phone.url
    reject.click()  # no note: the browser keeps the form
    assert note.evaluate("(el) => el.validity.valueMissing") and phone.url == before
    note.fill("   ")
    reject.click()
    expect(note).to_have_js_property("validationMessage", "请填写说明此决定的理由。")
    assert phone.url == before and card.locator("[data-move-error]").count() == 0
    note.fill("台阶仍有垃圾")
    with phone.expect_navigation():
        reject.click()
    expect(phone.locator(f"article.queue-item[data-id='{first}']")).to_have_count(0)

    phone.context.clear_cookies()
    login(phone, url, "community2")
    phone.goto(f"{url}/reports/{to_fix}")
    form = phone.locator("form.move-rectify")
    form.locator("input[name=photos]").set_input_files([photo(1), photo(2)])
    thumbs = form.locator(".thumbs figure img")
    expect(thumbs).to_have_count(2)
    assert thumbs.first.evaluate("(img) => img.complete && img.naturalWidth > 0")
    form.locator(".thumbs .rm").first.click()
    expect(thumbs).to_have_count(1)
    assert form.locator("input[name=photos]").evaluate("(el) => el.files.length") == 1
