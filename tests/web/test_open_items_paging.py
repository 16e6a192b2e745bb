"""The sub-district's and the community's open items are paged by cursor (issue #14, speed at a city's
scale): the pages, walked by their "next page" links, list every open item once, in the order of the
whole list (overdue first, then by deadline, those without one last); a cursor the list did not give is a
400."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fieldcheck.workflow import queries

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


def test_open_items_pages_follow_the_whole_lists_order(browser_for, make_report, clock, monkeypatch):
    clock.set(NOW)
    late, soon, later = NOW - timedelta(days=2), NOW + timedelta(days=1), NOW + timedelta(days=3)
    overdue = [
        make_report("dispatched", due_at=late),
        make_report("dispatched", due_at=NOW - timedelta(hours=1)),
    ]
    pending = [make_report("dispatched", due_at=d) for d in (later, soon, soon)]  # same deadline: by id
    others = [make_report("rectified"), make_report("appealed"), make_report("dispatched", community="C002")]
    make_report("closed")
    for user, path, count in (("c1", "/community", 7), ("sd1", "/subdistrict", 8)):
        whole, pages = walk(browser_for(user), path)
        assert pages == 1 and len(whole) == count and whole[:2] == overdue
        assert whole.index(pending[1]) < whole.index(pending[2]) < whole.index(pending[0])
        monkeypatch.setattr(queries, "OPEN_PER_PAGE", 2)
        paged, pages = walk(browser_for(user), path)
        assert pages == (count + 1) // 2 and len(paged) == len(set(paged)) == count
        # The community's page groups each page's rows by state; the sub-district's lists them as they come.
        assert paged == whole if user == "sd1" else sorted(paged) == sorted(whole)
        monkeypatch.setattr(queries, "OPEN_PER_PAGE", 50)
    assert set(others[:2]) <= set(whole) and others[2] in whole  # sd1 sees C002 too

    assert browser_for("sd1").get("/subdistrict?cursor=WzEsMV0").status_code == 400
    assert browser_for("c1").get("/community?cursor=bad").status_code == 400
