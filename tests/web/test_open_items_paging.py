"""The community's open items are paged by cursor like the sub-district's (issue #14, speed at a city's
scale; tests/web/test_list_paging.py covers the sub-district's order): the pages, walked by their "next
page" links, list every open item once; a cursor the list did not give is a 400."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fieldcheck.home import views

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def walk(browser, path: str) -> tuple[list[int], int]:
    """The report ids listed on a page and the pages after it by their "next page" links, and how many."""
    seen, pages = [], 0
    while path:
        text = browser.get(path).get_data(as_text=True)
        seen += [int(i) for i in re.findall(r'<li class="report[^"]*" data-id="(\d+)"', text)]
        found = re.search(r'rel="next" id="next-page" href="([^"]+)"', text)
        path = found.group(1).replace("&amp;", "&") if found else None
        pages += 1
    return seen, pages


def test_the_communitys_open_items_page_by_cursor(browser_for, make_report, clock, monkeypatch):
    clock.set(NOW)
    late, soon = NOW - timedelta(days=2), NOW + timedelta(days=1)
    mine = [make_report("dispatched", due_at=d) for d in (late, soon, soon)]
    mine += [make_report("rectified"), make_report("appealed")]
    make_report("dispatched", community="C002")
    make_report("closed")
    browser = browser_for("c1")
    whole, pages = walk(browser, "/community")
    assert pages == 1 and sorted(whole) == sorted(mine)
    monkeypatch.setattr(views, "OPEN_PAGE", 2)
    paged, pages = walk(browser, "/community")
    assert pages == 3 and len(paged) == len(set(paged)) and sorted(paged) == sorted(mine)
    assert paged[0] == mine[0]  # overdue first
    assert browser.get("/community?cursor=bad").status_code == 400
