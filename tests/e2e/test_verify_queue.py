"""The verify queue in Chromium on a phone: the office filters to a community, ticks three rectifications
and accepts them together; the flash counts them and they leave the queue."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import community_of, login
from tests.factories import ReportFactory


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
