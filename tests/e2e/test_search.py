"""The search page in Chromium on a phone: the office finds a report by its number and opens it; the
filters narrow the list and the pager continues it."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import func, select

from fieldcheck.extensions import db
from fieldcheck.reports.models import Report
from tests.e2e.conftest import community_of, login
from tests.factories import ReportFactory


def _reports(app) -> tuple[int, int]:
    with app.app_context():
        try:
            return db.session.scalar(select(func.max(Report.id))), db.session.scalar(
                select(func.count(Report.id))
            )
        finally:
            db.session.remove()


def test_office_searches_by_report_number_on_a_phone(live_server, phone):
    url = live_server.url
    make = ReportFactory(live_server.app)
    for username in ("community", "community", "community2"):
        make(community=community_of(live_server.app, username), inspector="inspector")
    last, count = _reports(live_server.app)
    login(phone, url, "office")
    phone.locator("nav .nav-search").click()
    phone.wait_for_url(f"{url}/search")
    expect(phone.locator(".results h2 small")).to_have_text(f"({count})")

    phone.locator("#f-q").fill(f"#{last}")
    with phone.expect_navigation():
        phone.locator("form.filters button[type=submit]").click()
    results = phone.locator(".results li.report")
    expect(results).to_have_count(1)
    assert results.get_attribute("data-id") == str(last)
    assert f"q=%23{last}" in phone.locator("#csv-link").get_attribute("href")
    with phone.expect_navigation():
        results.locator("a.title").click()
    assert phone.url.endswith(f"/reports/{last}")
