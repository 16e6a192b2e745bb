"""My reports' Visits tab (issue #14): the inspector's own visits ("inspected, no problem") of the city's
month, newest first, paged by cursor like the reports; nobody else's, no other month's."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from fieldcheck.auth.models import User
from fieldcheck.extensions import db
from fieldcheck.geography.models import Community, Spot
from fieldcheck.reports import views as report_views
from fieldcheck.reports.models import Visit
from tests.web.test_list_paging import walk

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 on 20 November in the city
ROW = r'<li class="visit" data-id="(\d+)"'


def add_visit(app, inspector: str, at: datetime, community: str | None = "C001", spot: bool = False) -> int:
    with app.app_context():
        community_id = db.session.scalar(select(Community.id).where(Community.code == community))
        spot_row = None
        if spot:
            spot_row = Spot(code=f"S-{uuid.uuid4().hex[:8]}", name="3号院", spot_type="RES")
            spot_row.community_id = community_id
        visit = Visit(
            client_id=str(uuid.uuid4()),
            content_hash="0" * 64,
            inspector_id=db.session.scalar(select(User.id).where(User.username == inspector)),
            community_id=community_id,
            spot=spot_row,
            location_source="manual",
            observed_at=at,
        )
        db.session.add(visit)
        db.session.commit()
        return visit.id


def test_my_visits_this_month_newest_first_by_cursor(app, browser_for, district, clock, monkeypatch):
    clock.set(NOW)
    monkeypatch.setattr(report_views, "VISITS_PAGE", 2)
    hour = timedelta(hours=1)
    tie = NOW - 5 * hour
    # 00:30 on 1 November in the city (still October in UTC): this month; 23:00 on 31 October: last month.
    first_of_month = add_visit(app, "insp", datetime(2026, 10, 31, 16, 30, tzinfo=UTC), community=None)
    add_visit(app, "insp", datetime(2026, 10, 31, 15, 0, tzinfo=UTC))
    made = [add_visit(app, "insp", tie), add_visit(app, "insp", tie, spot=True)]  # same moment: id decides
    made += [add_visit(app, "insp", NOW - 2 * hour, community="C002"), add_visit(app, "insp", NOW - hour)]
    other = add_visit(app, "insp2", NOW - hour)
    added = []

    def meanwhile(n: int) -> None:
        if n == 1:  # recorded while the inspector reads: newest, so before the cursor (the next first page)
            added.append(add_visit(app, "insp", NOW))

    texts: list[str] = []
    pages = walk(browser_for("insp"), "/inspector/mine/visits", ROW, meanwhile, texts)
    assert pages == [[made[3], made[2]], [made[1], made[0]], [first_of_month]]
    assert other not in sum(pages, []) and added[0] not in sum(pages, [])
    assert "巡查记录" in texts[0] and "(5)" in texts[0]  # the month's count, as of the first page
    assert "3号院" in texts[1] and "不在任何社区范围内" in texts[2]
    assert 'id="next-page"' not in texts[2]


def test_no_visits_yet_and_the_tab_on_my_reports(app, browser_for, district, clock):
    clock.set(NOW)
    add_visit(app, "insp2", NOW - timedelta(hours=1))
    insp = browser_for("insp")
    page = insp.get("/inspector/mine/visits").get_data(as_text=True)
    assert re.findall(ROW, page) == [] and 'id="no-visits"' in page and "本月暂无巡查记录" in page
    assert 'class="pager"' not in page
    mine = insp.get("/inspector/mine").get_data(as_text=True)
    assert re.search(r'id="tab-visits"[^>]*>巡查记录 <span class="count">0</span>', mine)
    mine2 = browser_for("insp2").get("/inspector/mine").get_data(as_text=True)
    assert '<span class="count">1</span>' in mine2
    assert insp.get("/inspector/mine/visits?cursor=WzEsMl0x").status_code == 400
    assert browser_for("office").get("/inspector/mine/visits").status_code == 403


def test_api_lists_my_visits_by_cursor(app, client, people, district, clock):
    clock.set(NOW)
    made = [add_visit(app, "insp", NOW - timedelta(hours=h), spot=h == 2) for h in (3, 2, 1)]
    october = add_visit(app, "insp", datetime(2026, 10, 31, 15, 0, tzinfo=UTC))
    add_visit(app, "insp2", NOW)
    seen, url, first = [], "/api/v1/visits?per_page=2", None
    while url:
        body = client.get(url, headers=people["insp"]).get_json()
        first = first or body
        seen.append([v["id"] for v in body["visits"]])
        url = body["next_cursor"] and f"/api/v1/visits?per_page=2&cursor={body['next_cursor']}"
    assert seen == [[made[2], made[1]], [made[0]]] and first["total"] == 3
    assert first["visits"][1]["spot"].startswith("S-") and first["visits"][0]["community"]["code"] == "C001"
    october_page = client.get("/api/v1/visits?month=2026-10", headers=people["insp"]).get_json()
    assert [v["id"] for v in october_page["visits"]] == [october]
    bad = client.get("/api/v1/visits?month=2026-13", headers=people["insp"])
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_month"
    assert client.get("/api/v1/visits?cursor=x", headers=people["insp"]).status_code == 400
    assert client.get("/api/v1/visits", headers=people["office"]).status_code == 403
