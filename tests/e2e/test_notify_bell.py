"""The bell in Chromium on a phone: a community user sees its count rise when a report is dispatched to
their community, and opens the report from the inbox."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import assert_no_horizontal_scroll, community_of, login
from tests.factories import ReportFactory


def test_the_bell_count_rises_on_a_dispatch_and_the_inbox_opens_the_report(live_server, phone):
    app, url = live_server.app, live_server.url
    code = community_of(app, "community")
    phone.clock.install()  # the bell refreshes itself every minute: the test moves the page's clock
    login(phone, url, "community")
    badge = phone.locator("a.bell .bell-count")
    before = int(badge.text_content() or "0")
    expect(phone.locator("a.bell")).to_be_visible()

    report_id = ReportFactory(app)("dispatched", community=code, inspector="inspector", item="ENV-02")

    expect(badge).to_have_text(str(before))  # nothing moves before the bell asks again
    phone.clock.run_for(61_000)
    expect(badge).to_have_text(str(before + 1))
    expect(badge).to_be_visible()

    with phone.expect_navigation():
        phone.locator("a.bell").tap()
    expect(phone).to_have_url(f"{url}/notifications")
    entry = phone.locator("ul.inbox-list li.unread").first
    link = entry.locator(f"a[href='/reports/{report_id}']")
    expect(link).to_be_visible()
    assert_no_horizontal_scroll(phone)
    with phone.expect_navigation():
        link.tap()
    expect(phone).to_have_url(f"{url}/reports/{report_id}")
    expect(phone.locator("main h1")).to_be_visible()
