"""The community's page (issue #14, the office's daily work): its open items grouped by state (待整改,
挂账申请中, 申诉中, 待核查, 挂账), overdue first within a group, and a history tab of its closed and voided
items, newest first, paged by cursor; another community's items appear on neither."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from fieldcheck import paging
from fieldcheck.home import community as page
from fieldcheck.workflow.rules import Action

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 on Friday 20 November in the city


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def groups(text: str) -> dict[str, list[int]]:
    """state key -> the ids listed under it, in page order."""
    found = {}
    for key, body in re.findall(
        r'<section class="state-group" id="state-(\w+)"[^>]*>(.*?)</section>', text, re.S
    ):
        found[key] = [int(i) for i in re.findall(r'<li class="report[^"]*" data-id="(\d+)"', body)]
    return found


def headings(text: str) -> list[str]:
    return re.findall(r'<section class="state-group"[^>]*>\s*<h3>([^<]+?) <small', text)


def listed(text: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="report[^"]*" data-id="(\d+)"', text)]


def test_open_items_are_grouped_by_state_overdue_first(browser_for, make_report, clock):
    clock.set(NOW)
    later = make_report("dispatched", due_at=NOW + timedelta(days=3))
    overdue = make_report("dispatched", due_at=NOW - timedelta(days=1))
    pending = make_report("dispatched", moves=(Action.REQUEST_SUSPENSION,))
    appealed = make_report("appealed")
    rectified = make_report("rectified")
    suspended = make_report("suspended")
    make_report("closed")
    make_report("dispatched", community="C002")

    text = html(browser_for("c1").get("/community"))

    assert groups(text) == {
        "dispatched": [overdue, later],
        "suspension_pending": [pending],
        "appealed": [appealed],
        "rectified": [rectified],
        "suspended": [suspended],
    }
    assert headings(text) == ["待整改", "挂账申请中", "申诉中", "待核查", "挂账"]
    assert 'id="tab-open" aria-current="page"' in text


def test_history_pages_closed_and_voided_items_by_cursor(browser_for, make_report, clock, monkeypatch):
    monkeypatch.setattr(page, "HISTORY_PER_PAGE", 2)
    ended = []
    for day, status in enumerate(("closed", "voided", "closed", "closed", "voided")):
        clock.set(NOW - timedelta(days=10 - day))
        ended.append(make_report(status))
    clock.set(NOW)
    still_open = make_report("dispatched")
    elsewhere = make_report("closed", community="C002")
    browser = browser_for("c1")

    first = html(browser.get("/community?tab=history"))
    assert 'id="tab-history" aria-current="page"' in first
    assert "历史问题" in first and "已作废" in first and "已销号" in first
    seen = listed(first)
    assert len(seen) == 2
    while (link := re.search(r'id="next-page" href="([^"]+)"', first)) is not None:
        first = html(browser.get(link.group(1).replace("&amp;", "&")))
        seen += listed(first)
    assert seen == ended[::-1]  # newest first, each once, then no next link
    assert still_open not in seen and elsewhere not in seen


def test_history_with_nothing_closed(browser_for, make_report, clock):
    clock.set(NOW)
    make_report("dispatched")
    text = html(browser_for("c1").get("/community?tab=history"))
    assert listed(text) == [] and "next-page" not in text
    assert "暂无已销号或已作废的问题。" in text


FORGED = [
    "1",
    paging.encode([]),
    paging.encode(["x", 1]),
    paging.encode([2**70, 1]),
    paging.encode([-(2**62), 1]),
]


@pytest.mark.parametrize("cursor", FORGED)
def test_a_forged_cursor_is_a_readable_400(browser_for, cursor):
    bad = browser_for("c1").get("/community", query_string={"tab": "history", "cursor": cursor})
    assert bad.status_code == 400
    assert 'role="alert"' in bad.get_data(as_text=True)


@pytest.mark.parametrize("user", ["sd1", "office", "insp"])
def test_only_community_staff_have_the_page(browser_for, user):
    assert browser_for(user).get("/community?tab=history").status_code == 403
