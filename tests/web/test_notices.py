"""The 整改通知单 (issue #15): a printable A4 notice per community, GET /notices/CODE, listing its open
items with number, photo, item, place, deadline and state, under the issuing body, with a number, the
local date and signature lines. The office and admin, the community's own staff and its sub-district's
staff may print it; inspectors may not (403), and another community's notice is not found (404)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from fieldcheck import settings
from fieldcheck.extensions import db
from fieldcheck.unit_of_work import writing

ISSUER = "涧西区创建全国文明城市工作领导小组办公室"


@pytest.fixture
def items(app, people, make_report, clock):
    """C001: one dispatched item, one overdue, one awaiting verification, one closed; C002: one dispatched."""
    clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))  # 10:00 on Friday 20 November in the city
    ids = {
        "open": make_report("dispatched", community="C001", item="ENV-01"),
        "overdue": make_report(
            "dispatched", community="C001", item="ENV-01", due_at=datetime(2026, 11, 19, 1, tzinfo=UTC)
        ),
        "rectified": make_report("rectified", community="C001"),
        "closed": make_report("closed", community="C001"),
        "other": make_report("dispatched", community="C002"),
    }
    with app.app_context():
        with writing():
            settings.set_values({settings.ISSUER: ISSUER}, user_id=None)
        db.session.remove()
    return ids


def notice_rows(page: str) -> list[int]:
    table = page.split('id="notice-items"', 1)[1].split("</table>", 1)[0]
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', table)]


# (who, community, answer): every role, own and other communities, an unknown code.
ACCESS = [
    ("office", "C001", 200),
    ("admin", "C002", 200),
    ("c1", "C001", 200),
    ("c1", "C002", 404),
    ("c2", "C002", 200),
    ("sd1", "C001", 200),
    ("sd1", "C002", 200),
    ("sd2", "C001", 404),
    ("insp", "C001", 403),
    ("office", "NOPE", 404),
]


def test_who_may_print_a_communitys_notice(browser_for, items):
    """One setup for the whole table (five reports with photos): each case is a GET."""
    answers = {(who, code): browser_for(who).get(f"/notices/{code}") for who, code, _status in ACCESS}
    assert [(who, code, answers[who, code].status_code) for who, code, _s in ACCESS] == ACCESS
    for (who, code), response in answers.items():
        if response.status_code != 200:
            assert "notice-items" not in response.get_data(as_text=True), (who, code)


def test_not_logged_in_goes_to_the_login_page(client, items):
    response = client.get("/notices/C001")
    assert response.status_code == 302 and "/login" in response.location


def test_the_notice_lists_the_open_items_overdue_first_with_number_photo_item_place_deadline_state(
    browser_for, items
):
    page = browser_for("c1").get("/notices/C001").get_data(as_text=True)
    assert notice_rows(page) == [items["overdue"], items["open"], items["rectified"]]  # not closed, not C002
    row = page.split(f'<tr data-id="{items["overdue"]}"', 1)[1].split("</tr>", 1)[0]
    assert f"#{items['overdue']}" in row and "暴露垃圾" in row
    assert re.search(r'<img src="/api/v1/photos/\d+/thumb"', row)
    assert "2026-11-19 09:00" in row  # the deadline in the city's time, not UTC
    assert "待整改" in row and '<strong class="overdue">超期</strong>' in row and 'class="is-overdue"' in page
    assert re.search(r"\d+\.\d{5}, \d+\.\d{5}", row)  # the place: where it was found
    # The formal parts: issuing body, number (community and local date), addressee, date, signatures.
    assert f'<p class="issuer" id="issuer">{ISSUER}</p>' in page
    assert "C001-20261120" in page.split('id="doc-number"', 1)[1].split("</p>", 1)[0]
    assert "王城社区" in page.split('id="addressee"', 1)[1].split("</p>", 1)[0]
    assert '<p class="line" id="dated">2026年11月20日</p>' in page
    assert page.count('class="line"') == 4 and 'href="/static/css/print.css"' in page
    assert "<script>" not in page and "style=" not in page  # the CSP allows neither


def test_the_notice_is_linked_from_the_community_office_and_breakdown_pages(browser_for, items):
    assert 'href="/notices/C001"' in browser_for("c1").get("/community").get_data(as_text=True)
    assert 'href="/notices/C001"' in browser_for("office").get("/office").get_data(as_text=True)
    subdistrict = browser_for("sd1").get("/subdistrict?community=C001").get_data(as_text=True)
    assert 'href="/notices/C001"' in subdistrict
    breakdown = browser_for("office").get("/ranking/2026-11/C001")
    assert breakdown.status_code == 200 and 'href="/notices/C001"' in breakdown.get_data(as_text=True)


def test_a_community_with_nothing_open_gets_a_notice_saying_so(browser_for, items):
    page = browser_for("office").get("/notices/C003").get_data(as_text=True)
    assert notice_rows(page) == [] and '<td colspan="6" class="muted">' in page
    assert 'id="more"' not in page


def test_the_notice_reads_in_english_too(browser_for, items):
    client = browser_for("office")
    assert "<h1>整改通知单</h1>" in client.get("/notices/C001").get_data(as_text=True)
    client.set_cookie("lang", "en")
    page = client.get("/notices/C001").get_data(as_text=True)
    assert "<h1>Rectification notice</h1>" in page and "Issued by (seal):" in page
    assert '<p class="line" id="dated">2026-11-20</p>' in page


def test_the_notice_is_numbered_and_dated_the_local_day_it_is_printed(browser_for, items, clock):
    clock.set(
        datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    )  # 00:30 on the 21st in the city, still the 20th in UTC
    page = browser_for("office").get("/notices/C001").get_data(as_text=True)
    assert "C001-20261121" in page and '<p class="line" id="dated">2026年11月21日</p>' in page
