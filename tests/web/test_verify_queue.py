"""The verify queue page: deadline and lateness on each card, filters, cursor paging, bulk accept."""

from __future__ import annotations

import re
from datetime import timedelta

from fieldcheck.extensions import db
from fieldcheck.reports.models import Report
from fieldcheck.workflow import rules, views
from tests.conftest import csrf_token_from


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="card queue-item" data-id="(\d+)"', page)]


def set_columns(app, report_id: int, **columns) -> None:
    with app.app_context():
        report = db.session.get(Report, report_id)
        for name, value in columns.items():
            setattr(report, name, value)
        db.session.commit()
        db.session.remove()


def version_of(app, report_id: int) -> int:
    with app.app_context():
        version = db.session.get(Report, report_id).version
        db.session.remove()
        return version


def test_days_late_counts_a_part_day_as_one():
    from datetime import UTC, datetime

    due = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert rules.days_late(due, due) == 0
    assert rules.days_late(due, due - timedelta(days=3)) == 0
    assert rules.days_late(due, due + timedelta(minutes=1)) == 1
    assert rules.days_late(due, due + timedelta(days=16)) == 16
    assert rules.days_late(due, due + timedelta(days=15, hours=2)) == 16
    assert rules.days_late(None, due) is None and rules.days_late(due, None) is None


def test_cards_show_the_deadline_and_lateness(app, browser_for, make_report):
    late = make_report("rectified")
    on_time = make_report("rectified")
    with app.app_context():
        rectified_at = db.session.get(Report, late).rectified_at
        db.session.remove()
    set_columns(app, late, due_at=rectified_at - timedelta(days=16))
    page = html(browser_for("office").get("/office/queue/verify"))
    cards = dict(zip(ids(page), page.split('<article class="card queue-item"')[1:], strict=True))
    assert "逾期 16 天后整改" in cards[late] and "截止" in cards[late]
    assert "按期整改" in cards[on_time] and "逾期" not in cards[on_time]


def test_filters_by_subdistrict_community_and_item(app, browser_for, make_report):
    a = make_report("rectified", community="C001", item="ENV-02")
    b = make_report("rectified", community="C002", item="ENV-02")
    c = make_report("rectified", community="C003", item="ENV-02")
    office = browser_for("office")
    assert ids(html(office.get("/office/queue/verify"))) == [a, b, c]
    assert ids(html(office.get("/office/queue/verify?subdistrict=SD01"))) == [a, b]
    assert ids(html(office.get("/office/queue/verify?community=C003"))) == [c]
    assert ids(html(office.get("/office/queue/verify?item=ENV-02&subdistrict=SD02"))) == [c]
    assert ids(html(office.get("/office/queue/verify?item=NOPE-1"))) == []


def test_the_queue_pages_by_cursor_without_repeats(app, browser_for, make_report, monkeypatch):
    monkeypatch.setattr(views, "QUEUE_PAGE", 2)
    made = [make_report("rectified") for _ in range(5)]
    office = browser_for("office")
    seen, url = [], "/office/queue/verify"
    while url:
        page = html(office.get(url))
        seen += ids(page)
        found = re.search(r'id="next-page" href="([^"]+)"', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == made
    assert office.get("/office/queue/verify?cursor=bad!").status_code == 400


def test_bulk_accept_from_the_page_closes_the_ticked_and_tells_what_failed(app, browser_for, make_report):
    a, b, stale = (make_report("rectified") for _ in range(3))
    office = browser_for("office")
    page = html(office.get("/office/queue/verify?community=C001"))
    token = csrf_token_from(page)
    picks = [
        f"{a}:{version_of(app, a)}",
        f"{b}:{version_of(app, b)}",
        f"{stale}:{version_of(app, stale) - 1}",
    ]
    response = office.post(
        "/office/queue/verify/accept",
        data={"csrf_token": token, "report": picks, "next": "/office/queue/verify?community=C001"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/office/queue/verify?community=C001"
    page = html(office.get(response.headers["Location"]))
    assert "已通过 2 条，未通过 1 条" in page and f"#{stale}" in page
    assert ids(page) == [stale]


def test_bulk_accept_refuses_other_roles_garbage_and_a_missing_token(app, browser_for, make_report):
    report = make_report("rectified")
    c1 = browser_for("c1")
    token = csrf_token_from(html(c1.get(f"/reports/{report}")))
    pick = f"{report}:{version_of(app, report)}"
    assert (
        c1.post("/office/queue/verify/accept", data={"csrf_token": token, "report": pick}).status_code == 403
    )
    office = browser_for("office")
    token = csrf_token_from(html(office.get("/office/queue/verify")))
    for bad in ([], ["x:1"], ["1"], [f"{2**40}:1"], ["１:1"]):
        assert (
            office.post("/office/queue/verify/accept", data={"csrf_token": token, "report": bad}).status_code
            == 400
        )
    assert office.post("/office/queue/verify/accept", data={"report": pick}).status_code == 400
    with app.app_context():
        assert db.session.get(Report, report).status == "rectified"
        db.session.remove()


def walk(client, url: str, between=None) -> list[list[int]]:
    """Every page of a queue by its next-page links (``between(n)`` runs after the n-th page)."""
    pages = []
    while url:
        page = html(client.get(url))
        pages.append(ids(page))
        if between:
            between(len(pages))
        found = re.search(r'id="next-page" href="([^"]+)"', page)
        url = found.group(1).replace("&amp;", "&") if found else None
    return pages


def test_the_queue_groups_by_community_and_its_cursor_neither_repeats_nor_skips(
    app, browser_for, make_report, monkeypatch
):
    monkeypatch.setattr(views, "QUEUE_PAGE", 2)
    a1 = make_report("rectified", community="C002")
    b1 = make_report("rectified", community="C001")
    c1 = make_report("rectified", community="C003")
    a2 = make_report("rectified", community="C002")
    b2 = make_report("rectified", community="C001")
    office = browser_for("office")
    page = html(office.get("/office/queue/verify"))
    # Under each community's heading (its name, its sub-district, its cards on this page), by code.
    assert re.findall(r'<section class="queue-group" data-community="(\w+)"', page) == ["C001"]
    head = page.split('data-community="C001"')[1].split("</h2>")[0]
    assert "王城社区" in head and "西工街道" in head and '<small class="count"' in head and ">2<" in head
    late = {}

    def file_more(n: int) -> None:
        if n == 2:  # the cursor now names (C002, a2): one report lands behind it, two ahead
            late["behind"] = make_report("rectified", community="C001")
            late["ahead"] = [
                make_report("rectified", community="C002"),
                make_report("rectified", community="C003"),
            ]

    pages = walk(office, "/office/queue/verify", file_more)
    seen = [i for p in pages for i in p]
    assert pages[:2] == [[b1, b2], [a1, a2]]
    assert seen == [b1, b2, a1, a2, late["ahead"][0], c1, late["ahead"][1]]
    assert late["behind"] not in seen
    # A cursor naming a community stays a cursor of this list: a forged one of the old shape is refused.
    assert office.get("/office/queue/verify?cursor=WzVd").status_code == 400


def test_the_reject_note_is_checked_on_the_card_and_a_refusal_keeps_what_was_typed(
    app, browser_for, make_report
):
    report = make_report("rectified")
    office = browser_for("office")
    page = html(office.get("/office/queue/verify"))
    card = page.split(f'data-id="{report}"', 1)[1].split("</article>", 1)[0]
    review = re.search(r'<form class="move move-review".*?</form>', card, re.S)[0]
    # The browser refuses an empty note (required) and static/js/moves.js one of blanks, with the
    # server's message (workflow/rules.py strips the note); accepting skips the check.
    area = re.search(r"<textarea[^>]*>", review)[0]
    assert " required" in area and 'data-blank="请填写说明此决定的理由。"' in area
    accept = re.search(r'<button[^>]*/accept"[^>]*>', review)[0]
    assert "formnovalidate" in accept
    reject = re.search(r'<button[^>]*/reject"[^>]*>', review)[0]
    assert "formnovalidate" not in reject
    assert "js/moves.js" in page
    # Without the script, the server refuses blanks and shows the queue again with the note as typed.
    response = office.post(
        f"/reports/{report}/reject",
        data={
            "csrf_token": csrf_token_from(page),
            "version": version_of(app, report),
            "note": " \u3000 ",
            "next": "/office/queue/verify",
        },
    )
    assert response.status_code == 400
    card = response.get_data(as_text=True).split(f'data-id="{report}"', 1)[1].split("</article>", 1)[0]
    assert "data-move-error" in card and "> \u3000 </textarea>" in card
