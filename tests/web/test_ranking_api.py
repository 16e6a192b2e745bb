"""The ranking API: who sees what, bad months, publishing, corrections and the differences they show."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from fieldcheck.extensions import db
from fieldcheck.ranking.models import RankingSnapshot
from fieldcheck.reports.models import Report
from tests.ranking_district import AFTER, build, token_for

IN_MARCH = datetime(2026, 3, 20, tzinfo=UTC)


@pytest.fixture
def people(app, client, make_user, db_snapshot):
    """The worked-example month and its users with tokens (built once per backend, then copied)."""

    def setup():
        inspector = make_user("inspector", username="insp", level="district")
        ids = build(app, inspector_id=inspector.id)
        make_user("office", username="office")
        make_user("admin", username="admin")
        make_user("community", username="c1", community="C001")
        make_user("subdistrict", username="sd1", subdistrict="SD01")
        tokens = {name: token_for(client, name) for name in ("insp", "office", "admin", "c1", "sd1")}
        return tokens, ids

    tokens, ids = db_snapshot("ranking-api-people", setup)
    return {name: dict(headers) for name, headers in tokens.items()}, dict(ids)


def call(client, method, path, headers, now=AFTER):
    with mock.patch("fieldcheck.ranking.api.utcnow", return_value=now):
        return client.open(path, method=method, headers=headers)


def get(client, path, headers, now=AFTER):
    return call(client, "GET", path, headers, now)


def publish(client, headers, month="2026-03", now=AFTER):
    return call(client, "POST", f"/api/v1/rankings/{month}/publish", headers, now)


def codes(body):
    return [c["code"] for c in body["communities"]]


def test_not_logged_in_gets_401_and_inspectors_get_403(client, people):
    tokens, _ = people
    assert client.get("/api/v1/rankings/2026-03").status_code == 401
    response = get(client, "/api/v1/rankings/2026-03", tokens["insp"])
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
    assert get(client, "/api/v1/rankings/2026-03.xlsx", tokens["insp"]).status_code == 403


@pytest.mark.parametrize("who", ["office", "admin"])
def test_the_office_sees_every_community(client, people, who):
    tokens, _ = people
    body = get(client, "/api/v1/rankings/2026-03", tokens[who]).get_json()
    assert codes(body) == ["C003", "C002", "C001", "C004"]
    assert body["breakdowns"] == {}  # only on request
    assert [s["code"] for s in body["subdistricts"]] == ["SD02", "SD01"]


def test_sub_district_staff_see_their_communities_and_sub_district(client, people):
    tokens, _ = people
    body = get(client, "/api/v1/rankings/2026-03?breakdowns=1", tokens["sd1"]).get_json()
    assert codes(body) == ["C002", "C001"]
    assert [c["rank"] for c in body["communities"]] == [2, 3]
    assert [s["code"] for s in body["subdistricts"]] == ["SD01"]
    assert set(body["breakdowns"]) == {"C001", "C002"}
    assert body["red_list"] == ["C002"] and body["black_list"] == ["C001"]
    assert body["coverage"]["communities"] == 4


def test_community_staff_see_their_own_row_with_its_rank(client, people):
    tokens, _ = people
    body = get(client, "/api/v1/rankings/2026-03?community=C001", tokens["c1"]).get_json()
    assert codes(body) == ["C001"]
    assert body["communities"][0]["rank"] == 3 and body["communities"][0]["score"] == "77.041667"
    assert list(body["breakdowns"]) == ["C001"]
    assert [s["code"] for s in body["subdistricts"]] == ["SD01"]
    assert body["red_list"] == [] and body["black_list"] == ["C001"]
    other = get(client, "/api/v1/rankings/2026-03?community=C002", tokens["c1"]).get_json()
    assert other["breakdowns"] == {} and codes(other) == ["C001"]


def test_community_staff_exports_hold_only_their_own_community(client, people):
    tokens, _ = people
    wb = load_workbook(io.BytesIO(get(client, "/api/v1/rankings/2026-03.xlsx", tokens["c1"]).data))
    rows = [
        r for r in wb["社区排名"].iter_rows(min_row=2, values_only=True) if r[1] and str(r[1]).startswith("C")
    ]
    assert [(r[0], r[1]) for r in rows] == [(3, "C001")]
    deduction_codes = {r[0] for r in wb["扣分明细"].iter_rows(min_row=2, values_only=True)}
    assert deduction_codes == {"C001"}
    text = get(client, "/api/v1/rankings/2026-03.csv", tokens["c1"]).data.decode("utf-8-sig")
    assert len(text.strip().splitlines()) == 2 and ",C001," in text


@pytest.mark.parametrize(
    "spec", ["2026-13", "2026-3", "march", "2026-03-01", "0000-01", "2026-03.pdf", "2026_03"]
)
def test_a_malformed_month_or_format_is_400_with_a_message(client, people, spec):
    tokens, _ = people
    response = get(client, f"/api/v1/rankings/{spec}", tokens["office"])
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] in ("bad_month", "bad_format") and error["message"]


def test_a_month_before_any_checklist_is_404_with_a_message(client, people):
    tokens, _ = people
    response = get(client, "/api/v1/rankings/2026-02", tokens["office"])
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "no_checklist"
    assert "2026-02" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("who", ["c1", "sd1", "insp"])
def test_only_the_office_publishes(client, people, who):
    tokens, _ = people
    assert publish(client, tokens[who]).status_code == 403


def test_a_month_is_published_only_once_it_is_over(client, people):
    tokens, _ = people
    response = publish(client, tokens["office"], now=IN_MARCH)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "month_not_over"


def test_publish_then_a_late_void_shows_the_difference_and_a_correction_keeps_the_history(
    app, client, people
):
    tokens, ids = people
    office = tokens["office"]
    first = publish(client, office)
    assert first.status_code == 201
    assert first.get_json()["sequence"] == 1 and first.get_json()["correction"] is False
    again = publish(client, office)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "unchanged"

    body = get(client, "/api/v1/rankings/2026-03", office).get_json()
    assert body["source"] == "published" and body["published"]["sequence"] == 1
    assert body["published"]["differs"] is False and body["published"]["differences"] == []

    # The office voids r3 (the overdue repeat) after publishing. C001 loses neither ORD points nor its
    # overdue item any more: field 70 × (37 + 40)/80 = 67.375; due r1, r2: 15 × 1/2 + 10 × 2/2 + 5 = 22.5;
    # score 89.875, up by 89.875 − 77.041667 = 12.833333; still third (C002 has 90.625).
    with app.app_context():
        db.session.execute(update(Report).where(Report.id == ids["r3"]).values(status="voided"))
        db.session.commit()
    body = get(client, "/api/v1/rankings/2026-03", office).get_json()
    c001 = next(c for c in body["communities"] if c["code"] == "C001")
    assert c001["score"] == "77.041667"  # the published figure does not change silently
    assert body["published"]["differs"] is True
    assert body["published"]["differences"] == [
        {
            "code": "C001",
            "name": "王城社区",
            "published_score": "77.041667",
            "score": "89.875",
            "delta": "12.833333",
            "published_rank": 3,
            "rank": 3,
            "published_inspected": True,
            "inspected": True,
        }
    ]
    live = get(client, "/api/v1/rankings/2026-03?live=1", office).get_json()
    assert (
        live["source"] == "live"
        and next(c for c in live["communities"] if c["code"] == "C001")["score"] == "89.875"
    )
    # Community staff of C001 see the difference for their community too.
    mine = get(client, "/api/v1/rankings/2026-03", tokens["c1"]).get_json()
    assert [d["code"] for d in mine["published"]["differences"]] == ["C001"]

    correction = publish(client, office)
    assert correction.status_code == 201
    assert correction.get_json()["sequence"] == 2 and correction.get_json()["correction"] is True
    body = get(client, "/api/v1/rankings/2026-03", office).get_json()
    assert body["published"]["sequence"] == 2 and body["published"]["differs"] is False
    assert [h["sequence"] for h in body["published"]["history"]] == [1, 2]
    assert next(c for c in body["communities"] if c["code"] == "C001")["score"] == "89.875"
    with app.app_context():
        snapshots = db.session.scalars(select(RankingSnapshot).order_by(RankingSnapshot.sequence)).all()
        assert [s.sequence for s in snapshots] == [1, 2]
        assert '"score":"77.041667"' in snapshots[0].document  # the first publication is kept as it was
        assert all(len(s.sha256) == 64 for s in snapshots)


def test_a_published_month_keeps_its_checklist_version(app, client, people):
    from fieldcheck.checklist import services as checklist_services
    from tests.ranking_district import CHECKLIST

    tokens, _ = people
    assert publish(client, tokens["office"]).status_code == 201
    with app.app_context():
        # A new version for March with ENV-01 capped at 1 would change C001's score if it were used.
        checklist_services.import_checklist(
            CHECKLIST.replace("label: worked-2026", "label: later").replace("cap: 3", "cap: 1")
        )
        db.session.commit()
    body = get(client, "/api/v1/rankings/2026-03?live=1", tokens["office"]).get_json()
    assert body["checklist"]["label"] == "worked-2026" and body["published"]["differs"] is False


# --- the `fieldcheck ranking` command ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
def test_the_ranking_command_writes_the_month(app, people, tmp_path, fmt):
    import json as json_module

    from fieldcheck.cli import main

    out = tmp_path / f"march.{fmt}"
    result = app.test_cli_runner().invoke(main, ["ranking", "2026-03", "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "ranking 2026-03 (not published, live): 4 communities" in result.output
    data = out.read_bytes()
    if fmt == "xlsx":
        rows = list(
            load_workbook(io.BytesIO(data))["社区排名"].iter_rows(min_row=2, max_row=5, values_only=True)
        )
        assert [r[1] for r in rows] == ["C003", "C002", "C001", "C004"]
    elif fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf") and data.decode("utf-8-sig").splitlines()[3].startswith(
            "3,C001,"
        )
    else:
        body = json_module.loads(data)
        assert body["communities"][2]["score"] == "77.041667" and "C001" in body["breakdowns"]


@pytest.mark.parametrize(
    ("month", "message"), [("2026-3", "must look like 2026-03"), ("2025-01", "No checklist")]
)
def test_the_ranking_command_refuses_a_bad_month_clearly(app, people, tmp_path, month, message):
    from fieldcheck.cli import main

    out = tmp_path / "x.json"
    result = app.test_cli_runner().invoke(main, ["ranking", month, "--format", "json", "-o", str(out)])
    assert result.exit_code == 1 and message in result.output and not out.exists()


@pytest.mark.parametrize(
    ("month", "status", "code"), [("2026-13", 400, "bad_month"), ("2025-12", 404, "no_checklist")]
)
def test_publishing_a_bad_month_is_refused_clearly_and_stores_nothing(
    app, client, people, month, status, code
):
    tokens, _ = people
    response = publish(client, tokens["office"], month=month)
    assert response.status_code == status and response.get_json()["error"]["code"] == code
    with app.app_context():
        assert db.session.scalar(select(RankingSnapshot.id)) is None


def test_breakdowns_are_built_only_when_read_and_equal_the_ones_built_all_at_once(app, people):
    import json

    from fieldcheck.auth.models import User
    from fieldcheck.permissions import principal_of
    from fieldcheck.ranking import document as rdoc
    from fieldcheck.ranking import exports, services

    with app.app_context():

        def fresh():
            return services.compute("2026-03", now=AFTER, tz_name="Asia/Shanghai")

        computed = fresh()
        breakdowns = computed.document["breakdowns"]
        assert isinstance(breakdowns, rdoc.Breakdowns) and breakdowns.built() == 0
        # What most requests do (the ranking, the CSV, the API without breakdowns=1) builds none.
        c1 = principal_of(db.session.scalar(select(User).where(User.username == "c1")))
        office = principal_of(db.session.scalar(select(User).where(User.username == "office")))
        exports.to_csv(services.visible_to(computed.document, office))
        assert breakdowns.built() == 0
        # Community staff reading their breakdown build theirs alone.
        shown = services.visible_to(computed.document, c1, breakdowns=True)
        assert list(shown["breakdowns"]) == ["C001"] and breakdowns.built() == 0
        assert shown["breakdowns"]["C001"]["deductions"] and breakdowns.built() == 1

        # Read one by one in reverse order, or all at once by the encoder: the same document, the same
        # digest, and the same as a plain dict of them.
        one_by_one = fresh()
        for code in reversed(list(one_by_one.document["breakdowns"])):
            one_by_one.document["breakdowns"][code]
        at_once = fresh()
        plain = {**at_once.document, "breakdowns": dict(fresh().document["breakdowns"])}
        assert type(plain["breakdowns"]) is dict and len(plain["breakdowns"]) == 4
        assert (
            rdoc.canonical(one_by_one.document) == rdoc.canonical(at_once.document) == rdoc.canonical(plain)
        )
        assert one_by_one.sha256 == at_once.sha256 == rdoc.digest(plain)
        assert json.loads(exports.to_json(at_once.document)) == json.loads(rdoc.canonical(plain))
        assert at_once.document["breakdowns"] == plain["breakdowns"]
        db.session.remove()


def test_the_xlsx_keeps_any_text_numbers_and_formats(app, people):
    from fieldcheck.ranking import exports, services

    with app.app_context():
        document = services.compute("2026-03", now=AFTER, tz_name="Asia/Shanghai").document
        db.session.remove()
    document = {**document, "breakdowns": dict(document["breakdowns"])}
    odd = ' A&B <社区> "1" \x01'
    document["communities"] = [
        {**c, "name": odd} if c["code"] == "C001" else c for c in document["communities"]
    ]
    wb = load_workbook(io.BytesIO(exports.to_xlsx(document, base_url="http://h?x=1&y=<2>")))
    ws = wb["社区排名"]
    header = [c for c in next(ws.iter_rows(max_row=1))]
    assert all(c.font.b for c in header) and ws.freeze_panes == "A2"
    c001 = next(r for r in ws.iter_rows(min_row=2) if r[1].value == "C001")
    assert c001[2].value == ' A&B <社区> "1" '  # kept as text, spaces too; the control character dropped
    assert c001[4].number_format == "0.00" and c001[4].value == pytest.approx(77.041667, abs=1e-9)
    assert c001[14].number_format == "0.00%" and c001[0].value == 3 and c001[0].number_format == "General"
    rows = list(wb["扣分明细"].iter_rows(min_row=2, values_only=True))
    r3 = next(r for r in rows if r[0] == "C001" and r[10] is not None)
    assert r3[1] == ' A&B <社区> "1" ' and r3[14].startswith("http://h?x=1&y=<2>/api/v1/reports/")
    assert isinstance(r3[2], int) and isinstance(r3[6], int) and r3[12] == 12
    assert wb["扣分明细"].column_dimensions["O"].width >= len(r3[14])


def test_the_loader_reads_the_month_through_the_three_report_indexes(app, people):
    """Observed in the month, due in it, closed in the repeat window: each range on its own index (on
    SQLite from the indexes alone; PostgreSQL is asked with sequential scans off, as its tables here are
    too small for it to choose indexes by itself)."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import event

    from fieldcheck.checklist import services as checklist_services
    from fieldcheck.ranking import services

    plans = []
    with app.app_context():
        _add_history(years=1)  # the month is a small part of the table, as after a year of use

    def explain(conn, cursor, statement, parameters, context, executemany):
        if "rework_count" in statement and ("group_concat" in statement or "string_agg" in statement):
            sqlite = conn.dialect.name == "sqlite"
            cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters)
            plans.append("\n".join(str(row[-1] if sqlite else row[0]) for row in cursor.fetchall()))

    with app.app_context():
        checklist = checklist_services.parse_checklist_document(
            checklist_services.version_in_force("2026-03")
        )
        if db.engine.dialect.name != "sqlite":
            db.session.connection().exec_driver_sql("SET LOCAL enable_seqscan = off")
        event.listen(db.engine, "before_cursor_execute", explain)
        try:
            facts = services.load_facts("2026-03", ZoneInfo("Asia/Shanghai"), checklist)
        finally:
            event.remove(db.engine, "before_cursor_execute", explain)
        db.session.rollback()
    assert len(plans) == 1 and facts.reports
    for index in ("ix_report_observed_at", "ix_report_due_at", "ix_report_closed_at"):
        assert index in plans[0], plans[0]
    if "SCAN" in plans[0] or "COVERING" in plans[0]:  # SQLite
        assert "SCAN report" not in plans[0] and plans[0].count("COVERING INDEX ix_report_") == 3, plans[0]


def _add_history(years: int) -> None:
    """Copies of every report, one per month for ``years`` years before the data (observed, due and closed
    that many months earlier)."""
    import uuid

    from sqlalchemy import insert

    from fieldcheck.reports.models import Report

    columns = [c for c in Report.__table__.columns if c.name != "id"]
    rows = db.session.execute(select(*columns)).mappings().all()
    copies = []
    for months in range(1, 12 * years + 1):
        for row in rows:
            copy = dict(row, client_id=str(uuid.uuid4()))
            for name in (
                "observed_at",
                "received_at",
                "dispatched_at",
                "due_at",
                "rectified_at",
                "closed_at",
            ):
                if copy.get(name) is not None:
                    copy[name] = copy[name] - timedelta(days=31 * months + 100)
            copies.append(copy)
    db.session.execute(insert(Report), copies)
    db.session.commit()


def test_sqlite_scans_the_table_when_the_month_is_most_of_it(app, people):
    """A month that is most of the report table (a new deployment, the bench) is read by one scan on SQLite,
    cheaper there than three index ranges; both ways give the same columns."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import event

    from fieldcheck.calendar import month_bounds
    from fieldcheck.ranking import loading

    plans = []

    def explain(conn, cursor, statement, parameters, context, executemany):
        if "rework_count" in statement and "group_concat" in statement:
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            plans.append("\n".join(str(row[-1]) for row in cursor.fetchall()))

    with app.app_context():
        start, end = month_bounds("2026-03", ZoneInfo("Asia/Shanghai"))
        window = start - timedelta(days=90)
        sqlite = db.engine.dialect.name == "sqlite"
        if sqlite:
            assert loading._sqlite_scan_is_cheaper(start, end, window)
        event.listen(db.engine, "before_cursor_execute", explain)
        try:
            scanned = list(loading.report_columns(start, end, window))
        finally:
            event.remove(db.engine, "before_cursor_execute", explain)
        _add_history(years=1)
        if sqlite:
            assert not loading._sqlite_scan_is_cheaper(start, end, window)
            assert len(plans) == 1 and "SCAN report" in plans[0] and "INDEX" not in plans[0], plans
        assert list(loading.report_columns(start, end, window)) == scanned and len(scanned) > 5


def test_two_publications_at_once_make_one_snapshot(app, client, people):
    """Office and admin publish the same month at the same moment: one publication, the other 409
    (it lost the race on the unique month and sequence, or it found the same figures already published)."""
    import threading

    tokens, _ids = people
    results = []
    barrier = threading.Barrier(2)

    def send(headers):
        c = app.test_client()
        barrier.wait()
        r = c.post("/api/v1/rankings/2026-03/publish", headers=headers)
        results.append((r.status_code, r.get_json()))

    with mock.patch("fieldcheck.ranking.api.utcnow", return_value=AFTER):
        threads = [threading.Thread(target=send, args=(tokens[name],)) for name in ("office", "admin")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(status for status, _body in results) == [201, 409], results
    loser = next(body for status, body in results if status == 409)
    assert loser["error"]["code"] in ("publish_race", "unchanged")
    with app.app_context():
        assert db.session.scalar(select(func.count(RankingSnapshot.id))) == 1


def test_a_published_month_shows_its_breakdowns_and_exports_as_published(app, client, people):
    """Once published, the API's breakdowns, a community's breakdown and the XLSX's deductions are the
    snapshot's, read from its whole document when first needed (a GET without breakdowns reads only the
    snapshot's summary), even after a change the office has not published."""
    import json as json_module

    tokens, ids = people
    assert publish(client, tokens["office"]).status_code == 201
    with app.app_context():
        stored = json_module.loads(db.session.scalar(select(RankingSnapshot.document)))
        db.session.execute(update(Report).where(Report.id == ids["r1"]).values(instances=3))  # not published
        db.session.commit()
    plain = get(client, "/api/v1/rankings/2026-03", tokens["office"]).get_json()
    assert (
        plain["source"] == "published" and plain["published"]["differs"] is True and plain["breakdowns"] == {}
    )
    body = get(client, "/api/v1/rankings/2026-03?breakdowns=1", tokens["office"]).get_json()
    assert body["breakdowns"] == stored["breakdowns"]
    one = get(client, "/api/v1/rankings/2026-03?community=C001", tokens["office"]).get_json()
    assert one["breakdowns"] == {"C001": stored["breakdowns"]["C001"]}
    own = get(client, "/api/v1/rankings/2026-03?breakdowns=1", tokens["c1"]).get_json()
    assert list(own["breakdowns"]) == ["C001"] and own["breakdowns"]["C001"] == stored["breakdowns"]["C001"]
    r1 = next(d for d in stored["breakdowns"]["C001"]["deductions"] if d["report_id"] == ids["r1"])
    assert r1["instances"] != 3  # the published figure, not the change
    wb = load_workbook(io.BytesIO(get(client, "/api/v1/rankings/2026-03.xlsx", tokens["office"]).data))
    rows = list(wb["扣分明细"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == sum(len(b["deductions"]) for b in stored["breakdowns"].values())
