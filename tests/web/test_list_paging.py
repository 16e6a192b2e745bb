"""Lists paged by cursor (fieldcheck/paging.py): the office's other queues and the sub-district's open items.
Every page is walked by its next-page link; rows made or moved meanwhile neither repeat nor skip."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from fieldcheck.home import views as home_views
from fieldcheck.workflow import views as workflow_views
from fieldcheck.workflow.rules import Action


def walk(client, url: str, row_id: str, between=None, texts=None) -> list[list[int]]:
    """The row ids of every page (``row_id``: a regex with the id as group 1); ``between(n)`` after page n;
    each page's HTML appended to ``texts`` if given."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        page = response.get_data(as_text=True)
        pages.append([int(i) for i in re.findall(row_id, page)])
        if texts is not None:
            texts.append(page)
        if between:
            between(len(pages))
        found = re.search(r'id="next-page" href="([^"]+)"', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    return pages


CARD = r'<article class="card queue-item" data-id="(\d+)"'
ITEM = r'<li class="report[^"]*" data-id="(\d+)"'


@pytest.mark.parametrize(
    ("queue", "make"),
    [
        ("appeals", {"status": "appealed"}),
        ("unassigned", {"status": "reported"}),
        ("suspensions", {"moves": (Action.REQUEST_SUSPENSION,)}),
    ],
)
def test_the_other_queues_page_by_cursor(app, browser_for, make_report, monkeypatch, queue, make):
    monkeypatch.setattr(workflow_views, "QUEUE_PAGE", 2)
    made = [make_report(**make) for _ in range(3)]
    pages = walk(browser_for("office"), f"/office/queue/{queue}", CARD)
    assert pages == [made[0:2], made[2:]]


def test_the_subdistricts_open_items_page_by_cursor_in_their_order(
    app, browser_for, make_report, clock, monkeypatch
):
    monkeypatch.setattr(home_views, "OPEN_PAGE", 2)
    now = clock.now()
    hour = timedelta(hours=1)
    overdue = make_report(community="C002", due_at=now - 2 * hour)
    soon = make_report(due_at=now + hour)
    falls_due = make_report(due_at=now + 1.5 * hour)  # overdue by the second page, after the cursor
    later = [make_report(due_at=now + 3 * hour), make_report(community="C002", due_at=now + 5 * hour)]
    no_deadline = make_report("appealed", due_at=None)
    elsewhere = make_report(community="C003", due_at=now - hour)
    sd1 = browser_for("sd1")
    added = []

    def meanwhile(n: int) -> None:
        if n == 1:
            clock.advance(hours=2)
            added.append(make_report(due_at=now + 4 * hour))  # lands ahead of the cursor: shown
            added.append(make_report(due_at=now - 3 * hour))  # behind it: on the next first page

    texts: list[str] = []
    pages = walk(sd1, "/subdistrict", ITEM, meanwhile, texts)
    assert pages == [[overdue, soon], [falls_due, later[0]], [added[0], later[1]], [no_deadline]]
    assert elsewhere not in pages[0]
    # The sort keeps the first page's moment; the row tells the truth of now.
    assert f'data-id="{falls_due}" data-overdue="yes"' in texts[1]
    # The next page of one community keeps the community; a made-up cursor is a 400.
    monkeypatch.setattr(home_views, "OPEN_PAGE", 1)
    assert walk(sd1, "/subdistrict?community=C002", ITEM) == [[overdue], [later[1]]]
    assert sd1.get("/subdistrict?cursor=WzEsMl0").status_code == 400


def test_my_reports_page_this_month_by_cursor(app, browser_for, make_report, clock, monkeypatch):
    from fieldcheck.reports import views as report_views

    monkeypatch.setattr(report_views, "MINE_PAGE", 2)
    made = [make_report(inspector="insp", at=clock.now() - timedelta(minutes=10 - i)) for i in range(5)]
    other = make_report(inspector="someone-else")
    added = []

    def meanwhile(n: int) -> None:
        if n == 1:  # filed while the inspector reads: newest, so before the cursor (the next first page)
            added.append(make_report(inspector="insp"))

    texts: list[str] = []
    insp = browser_for("insp")
    pages = walk(insp, "/inspector/mine", r'<li class="report" data-id="(\d+)"', meanwhile, texts)
    assert other not in sum(pages, [])
    last_section = [t.rsplit("<section", 1)[1] for t in texts]
    ids = [[int(i) for i in re.findall(r'data-id="(\d+)"', s)] for s in last_section]
    assert ids == [made[4:2:-1], made[2:0:-1], made[:1]]
    assert "(5)" in last_section[0] and added[0] not in sum(ids, [])


def test_forged_cursors_are_a_400_or_a_page_never_a_crash(app, browser_for, make_report):
    from fieldcheck import paging

    make_report("rectified")
    office, sd1 = browser_for("office"), browser_for("sd1")
    for key, status in ((["C\x00", 1], 400), (["Z" * 40, 1], 200)):
        assert office.get(f"/office/queue/verify?cursor={paging.encode(key)}").status_code == status, key
    for key, status in (([2**62, 0, 0, 1], 400), ([0, 1, -(2**62), 1], 400), ([0, 7, 0, 1], 200)):
        assert sd1.get(f"/subdistrict?cursor={paging.encode(key)}").status_code == status, key
