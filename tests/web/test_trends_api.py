"""GET /api/v1/trends: score by month per scope, published figures for a published month, bad input 400."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from fieldcheck.auth.models import User
from fieldcheck.extensions import db
from fieldcheck.ranking import services
from fieldcheck.reports.models import Report
from tests.conftest import login
from tests.ranking_district import AFTER, MONTH, build, token_for

TZ_NAME = "Asia/Shanghai"


@pytest.fixture
def people(app, client, make_user, db_snapshot):
    """The worked-example March (tests/ranking_district.py) and its users with tokens."""

    def setup():
        inspector = make_user("inspector", username="insp", level="district")
        ids = build(app, inspector_id=inspector.id)
        make_user("office", username="office")
        make_user("community", username="c1", community="C001")
        make_user("subdistrict", username="sd1", subdistrict="SD01")
        tokens = {name: token_for(client, name) for name in ("insp", "office", "c1", "sd1")}
        return tokens, ids

    tokens, ids = db_snapshot("trends-api-people", setup)
    return {name: dict(headers) for name, headers in tokens.items()}, dict(ids)


@pytest.fixture
def at_april(clock):
    clock.set(AFTER)  # 2026-04-10: March is over, April is the current month
    return clock


def trends(client, headers, query=""):
    return client.get(f"/api/v1/trends?from=2026-03&to=2026-04{query}", headers=headers)


ALLOWED = {
    ("office", "&community=C003"),
    ("office", "&subdistrict=SD02"),
    ("office", ""),
    ("c1", "&community=C001"),
    ("c1", "&subdistrict=SD01"),  # the ranking shows community staff their sub-district's row too
    ("c1", ""),
    ("sd1", "&community=C002"),
    ("sd1", "&subdistrict=SD01"),
    ("sd1", ""),
}
REFUSED = {
    ("c1", "&community=C002"),
    ("c1", "&subdistrict=SD02"),
    ("sd1", "&community=C003"),
    ("sd1", "&subdistrict=SD02"),
    ("insp", ""),
    ("insp", "&community=C001"),
}


def test_scope_follows_the_ranking(client, people, at_april):
    tokens, _ = people
    assert client.get("/api/v1/trends").status_code == 401
    for who, query in sorted(ALLOWED):
        response = trends(client, tokens[who], query)
        assert response.status_code == 200, (who, query, response.get_json())
        assert [m["month"] for m in response.get_json()["months"]] == ["2026-03", "2026-04"]
    for who, query in sorted(REFUSED):
        response = trends(client, tokens[who], query)
        assert response.status_code == 403, (who, query)
        assert response.get_json()["error"]["code"] == "forbidden"


def publish_march_then_void_r3(ids) -> int:
    """In an app context: the office publishes March, then voids r3 (a change after publishing).
    Returns the office's user id."""
    office_id = db.session.scalar(select(User.id).where(User.username == "office"))
    services.publish_and_commit(MONTH, office_id, now=AFTER, tz_name=TZ_NAME)
    db.session.execute(update(Report).where(Report.id == ids["r3"]).values(status="voided"))
    db.session.commit()
    return office_id


def test_a_published_month_keeps_its_published_figures_after_a_later_change(
    app, client, people, at_april, make_report
):
    tokens, ids = people
    with app.app_context():
        publish_march_then_void_r3(ids)  # March now computes to 89.875 for C001 (was 77.041667)
        live = services.compute(MONTH, now=AFTER, tz_name=TZ_NAME).document
        assert next(c for c in live["communities"] if c["code"] == "C001")["score"] == "89.875"
        published = services.standing(MONTH, now=AFTER, tz_name=TZ_NAME)
    make_report("dispatched", community="C001", at=datetime(2026, 4, 8, 2, tzinfo=UTC))

    body = trends(client, tokens["c1"], "&community=C001").get_json()
    assert body["scope"] == "community" and body["code"] == "C001"
    march, april = body["months"]
    row = next(c for c in published["communities"] if c["code"] == "C001")
    assert march == {
        "month": "2026-03",
        "score": 77.04,
        "rank": row["rank"],
        "reports": row["reports"],
        "overdue": row["overdue_open"],
        "on_time_rate": round(float(row["on_time_rate"]), 4),
        "source": "published",
    }
    assert april["source"] == "computed" and april["reports"] == 1 and april["score"] is not None

    sd = trends(client, tokens["sd1"], "&subdistrict=SD01").get_json()["months"][0]
    sd_row = next(s for s in published["subdistricts"] if s["code"] == "SD01")
    assert sd["score"] == round(float(sd_row["score"]), 2) and sd["source"] == "published"
    district = trends(client, tokens["office"]).get_json()["months"][0]
    assert district["score"] is None and district["reports"] == published["indicators"]["reports"]


def test_months_without_a_checklist_are_empty_and_the_default_is_twelve_months(client, people, at_april):
    tokens, _ = people
    body = client.get("/api/v1/trends?community=C001", headers=tokens["office"]).get_json()
    months = body["months"]
    assert [m["month"] for m in months][:1] == ["2025-05"] and months[-1]["month"] == "2026-04"
    assert len(months) == 12 and months[0]["score"] is None and months[0]["source"] is None
    assert months[-2]["source"] == "computed" and months[-2]["score"] == 77.04


@pytest.mark.parametrize(
    "query, status, code",
    [
        ("from=2026-13", 400, "bad_month"),
        ("to=april", 400, "bad_month"),
        ("from=2026-05&to=2026-03", 400, "bad_range"),
        ("from=2024-01&to=2026-01", 400, "bad_range"),  # 25 months
        ("community=C001&subdistrict=SD01", 400, "bad_scope"),
        ("community=C999", 404, "unknown_community"),
        ("subdistrict=SD99", 404, "unknown_subdistrict"),
    ],
)
def test_bad_parameters_are_refused_with_a_message(client, people, at_april, query, status, code):
    tokens, _ = people
    response = client.get(f"/api/v1/trends?{query}", headers=tokens["office"])
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]


def test_the_home_pages_draw_their_own_score_by_month(app, client, people, at_april, make_report):
    """Published March (as published, after a later change) and the current April, as the SVG chart."""
    tokens, ids = people
    with app.app_context():
        publish_march_then_void_r3(ids)
        sd01 = next(
            s
            for s in services.standing(MONTH, now=AFTER, tz_name=TZ_NAME)["subdistricts"]
            if s["code"] == "SD01"
        )
    make_report("dispatched", community="C001", at=datetime(2026, 4, 8, 2, tzinfo=UTC))  # inspected in April
    login(client, "c1")
    page = client.get("/community").get_data(as_text=True)
    chart = page[page.index('<svg class="trend-chart"') : page.index("</svg>", page.index("trend-chart"))]
    assert "<title>2026-03: 77.04</title>" in chart and "<title>2026-04: " in chart
    assert "style=" not in chart and chart.count("<circle") == 2  # no figures before the checklist
    other = app.test_client()
    login(other, "sd1")
    page = other.get("/subdistrict").get_data(as_text=True)
    assert f"<title>2026-03: {float(sd01['score']):.2f}</title>" in page and 'id="trend"' in page


def test_the_chart_reads_each_months_latest_publication_in_one_query(app, people, at_april):
    """``latest_snapshots`` (the charts' months in one query) gives what ``latest_snapshot`` gives month by
    month: March's second publication after a change, nothing for unpublished April."""
    from tests.web.reporting import recorded_statements

    _tokens, ids = people
    with app.app_context():
        office_id = publish_march_then_void_r3(ids)
        services.publish_and_commit(MONTH, office_id, now=AFTER, tz_name=TZ_NAME)
        db.session.remove()
    with app.app_context(), recorded_statements(app) as seen:
        latest = services.latest_snapshots(["2026-02", MONTH, "2026-04"])
        assert len([s for s in seen if "ranking_snapshot" in s]) == 1
        assert list(latest) == [MONTH] and latest[MONTH].sequence == 2
        assert latest[MONTH].id == services.latest_snapshot(MONTH, document=False).id
        assert services.latest_snapshots([]) == {}
