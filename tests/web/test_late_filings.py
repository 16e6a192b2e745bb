"""Late and back-dated filings: flagged for the office, refused before the previous month, and never a
change to a published ranking (the filing shows as a difference to the snapshot)."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest
from sqlalchemy import select

from fieldcheck.extensions import db
from fieldcheck.ranking.models import RankingSnapshot
from tests.photo_factory import jpeg
from tests.ranking_district import AFTER, build
from tests.ranking_district import token_for as ranking_token_for
from tests.web.reporting import INSIDE_C003, counts, post_report

NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 09:00 on 27 November in the city


def filed_at(now, client, headers, **fields):
    with mock.patch("fieldcheck.reports.filing.utcnow", return_value=now):
        return post_report(client, headers, **fields)


def test_a_report_observed_over_48_hours_before_it_arrives_is_flagged_late(client, people):
    on_time = filed_at(NOW, client, people["insp"], observed_at="2026-11-25T09:00:00+08:00").get_json()
    late = filed_at(NOW, client, people["insp"], observed_at="2026-11-25T08:59:00+08:00").get_json()
    assert "late_filing" not in on_time["flags"]
    assert "late_filing" in late["flags"]


def test_the_delay_is_configurable(app, client, people):
    app.config["LATE_FILING_HOURS"] = 2
    body = filed_at(NOW, client, people["insp"], observed_at="2026-11-27T06:30:00+08:00").get_json()
    assert body["flags"] == ["late_filing"]


def test_the_office_sees_the_late_filing_flag_beside_the_others(app, client, people, browser_for):
    body = filed_at(NOW, client, people["insp"], observed_at="2026-11-20T09:00:00+08:00").get_json()
    page = browser_for("office").get(f"/reports/{body['id']}").get_data(as_text=True)
    assert 'class="flag flag-late_filing"' in page


@pytest.mark.parametrize("kind", ["reports", "visits"])
def test_a_filing_observed_before_the_previous_month_is_refused_clearly_and_stores_nothing(
    app, client, people, kind
):
    before = counts(app)
    with mock.patch("fieldcheck.reports.filing.utcnow", return_value=NOW):
        form_fields = {"observed_at": "2026-09-30T23:59:00+08:00"}
        if kind == "reports":
            response = post_report(client, people["insp"], **form_fields)
        else:
            from tests.web.reporting import report_form

            form = report_form(item_code=None, **form_fields)
            response = client.post("/api/v1/visits", data=form, headers=people["insp"])
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_observed_at" and "2026-10-01" in error["message"]
    assert counts(app) == before


def test_the_previous_month_is_still_open_to_queued_reports(client, people):
    response = filed_at(NOW, client, people["insp"], observed_at="2026-10-01T00:00:00+08:00")
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("observed_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_an_observed_at_at_the_ends_of_time_is_a_400(app, client, people, observed_at):
    before = counts(app)
    response = filed_at(NOW, client, people["insp"], observed_at=observed_at)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_observed_at"
    assert counts(app) == before


def test_a_late_filing_into_a_published_month_changes_nothing_published_and_shows_as_a_difference(
    app, client, make_user
):
    inspector = make_user("inspector", username="insp", level="district")
    build(app, inspector_id=inspector.id)
    make_user("office", username="office")
    office = ranking_token_for(client, "office")
    insp = ranking_token_for(client, "insp")
    with mock.patch("fieldcheck.ranking.api.utcnow", return_value=AFTER):
        assert client.post("/api/v1/rankings/2026-03/publish", headers=office).status_code == 201
        published = client.get("/api/v1/rankings/2026-03", headers=office).get_json()
    with app.app_context():
        snapshot = db.session.scalar(select(RankingSnapshot))
        frozen = (snapshot.sha256, snapshot.document)

    # On 10 April, March is the previous month: a queued report observed on 30 March is accepted, and late.
    filed = filed_at(
        AFTER,
        client,
        insp,
        photos=[jpeg(seed=7)],
        observed_at="2026-03-30T10:00:00+08:00",
        item_code="ENV-01",
        lat=str(INSIDE_C003[0]),
        lon=str(INSIDE_C003[1]),
    )
    assert filed.status_code == 201, filed.get_json()
    assert "late_filing" in filed.get_json()["flags"]

    with mock.patch("fieldcheck.ranking.api.utcnow", return_value=AFTER):
        shown = client.get("/api/v1/rankings/2026-03", headers=office).get_json()
        live = client.get("/api/v1/rankings/2026-03?live=1", headers=office).get_json()
    with app.app_context():
        snapshots = db.session.scalars(select(RankingSnapshot)).all()
        assert [(s.sha256, s.document) for s in snapshots] == [frozen]
    assert shown["source"] == "published"
    assert shown["communities"] == published["communities"]
    assert shown["published"]["differs"] is True
    assert [d["code"] for d in shown["published"]["differences"]] == ["C003"]
    assert next(c["score"] for c in live["communities"] if c["code"] == "C003") != "100.00"
