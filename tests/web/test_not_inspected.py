"""My reports (issue #14): "communities not yet inspected this month" -- the district's communities with
neither a report nor a visit observed in the city's current month, by any inspector; the same list for
inspectors of every level. Month edges are local (Asia/Shanghai) midnight."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fieldcheck.auth.models import User
from fieldcheck.extensions import db
from fieldcheck.geography.models import Community
from fieldcheck.reports.models import Visit
from tests.web.reporting import recorded_statements

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 on 20 November in the city


def add_visit(app, community: str, inspector: str, at: datetime) -> None:
    with app.app_context():
        db.session.add(
            Visit(
                client_id=str(uuid.uuid4()),
                content_hash="0" * 64,
                inspector_id=db.session.scalar(select(User.id).where(User.username == inspector)),
                community_id=db.session.scalar(select(Community.id).where(Community.code == community)),
                location_source="manual",
                observed_at=at,
            )
        )
        db.session.commit()


def not_inspected(page: str) -> list[str]:
    section = re.search(r'<details class="card not-inspected" id="not-inspected">(.*?)</details>', page, re.S)
    assert section, "no not-inspected list"
    return re.findall(r'<li data-community="(\w+)"', section.group(1))


@pytest.mark.parametrize("inspector", ["insp", "insp2"])  # a city-level and a sub-district-level inspector
def test_communities_with_neither_report_nor_visit_this_month(
    app, browser_for, make_report, clock, inspector
):
    clock.set(NOW)
    make_report("dispatched", community="C001", inspector="insp")
    add_visit(app, "C002", "insp2", datetime(2026, 11, 3, 1, 0, tzinfo=UTC))
    # 23:00 on 31 October in the city: last month, however close.
    make_report("closed", community="C003", at=datetime(2026, 10, 31, 15, 0, tzinfo=UTC))
    # 00:30 on 1 November in the city (still October in UTC): this month.
    add_visit(app, "C004", "insp", datetime(2026, 10, 31, 16, 30, tzinfo=UTC))

    response = browser_for(inspector).get("/inspector/mine")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert not_inspected(page) == ["C003"]
    assert "本月尚未检查的社区" in page


def test_every_community_inspected_says_so(app, browser_for, make_report, clock):
    clock.set(NOW)
    for code in ("C001", "C002", "C003", "C004"):
        make_report("dispatched", community=code)
    page = browser_for("insp").get("/inspector/mine").get_data(as_text=True)
    assert not_inspected(page) == []
    assert "本月所有社区均已检查" in page


def test_nothing_filed_lists_the_whole_district_in_one_query(app, browser_for, clock):
    clock.set(NOW)
    browser = browser_for("insp")
    with recorded_statements(app) as seen:
        page = browser.get("/inspector/mine").get_data(as_text=True)
    statements = [s for s in seen if "FROM community" in s and "EXISTS" in s.upper()]
    assert not_inspected(page) == ["C001", "C002", "C003", "C004"]
    assert len(statements) == 1
