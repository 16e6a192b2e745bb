"""One month parser behind every route that takes a month: a bad one is a 400 with the usual error shape
(a readable page for pages), and nothing is stored, even when publishing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fieldcheck.extensions import db
from fieldcheck.ranking.models import RankingSnapshot

BAD_MONTHS = ["9999-12", "0000-01", "2026-0²", "٢٠٢٦-١١", "２０２６-11", "2101-01", "1999-12"]


def snapshots(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(RankingSnapshot))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/rankings/{m}"),
        ("GET", "/api/v1/rankings/{m}.xlsx"),
        ("GET", "/api/v1/rankings/{m}.csv"),
        ("GET", "/api/v1/rankings/{m}?breakdowns=1"),
        ("POST", "/api/v1/rankings/{m}/publish"),
        ("GET", "/api/v1/checklist?month={m}"),
        ("GET", "/api/v1/reports?month={m}"),
    ],
)
def test_a_bad_month_is_a_400_bad_month_in_the_api_and_stores_nothing(app, client, people, method, path):
    for month in BAD_MONTHS:
        response = client.open(path.format(m=month), method=method, headers=people["office"])
        assert response.status_code == 400, (month, response.data[:200])
        assert response.get_json()["error"]["code"] == "bad_month"
    assert snapshots(app) == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/ranking/{m}"),
        ("GET", "/ranking/{m}/C001"),
        ("GET", "/ranking/{m}/bulletin"),
        ("GET", "/ranking?month={m}"),
        ("POST", "/ranking/{m}/publish"),
    ],
)
def test_a_bad_month_is_a_readable_400_page_and_stores_nothing(app, browser_for, method, path):
    client = browser_for("office")
    app.config["WTF_CSRF_ENABLED"] = False
    for month in BAD_MONTHS:
        response = client.open(path.format(m=month), method=method)
        assert response.status_code == 400, month
        assert "2026-03" in response.get_data(as_text=True)
    assert snapshots(app) == 0
