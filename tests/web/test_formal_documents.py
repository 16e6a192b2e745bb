"""Formal documents (issue #15): the settings page (issuing body, bulletin number pattern, disclosure),
and the bulletin and XLSX carrying the issuing body, the number given at publication, local dates, the
publisher's display name, real hyperlinks, and the red and black lists by name as well as code."""

from __future__ import annotations

import io
import json
from contextlib import ExitStack
from datetime import UTC, datetime
from unittest import mock

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from fieldcheck import audit, settings
from fieldcheck.auth.models import User
from fieldcheck.documents.models import BulletinNumber
from fieldcheck.extensions import db
from fieldcheck.ranking import document as rdoc
from fieldcheck.ranking import exports, services, spreadsheet
from fieldcheck.ranking.models import RankingSnapshot
from fieldcheck.reports.models import Report
from fieldcheck.unit_of_work import writing
from tests.conftest import csrf_token_from
from tests.ranking_district import AFTER, build, token_for

ISSUER = "涧西区创建全国文明城市工作领导小组办公室"
PATTERN = "涧文明办〔{year}〕{n}号"
TZ = "Asia/Shanghai"


@pytest.fixture
def people(app, make_user, db_snapshot):
    """The worked-example month (March 2026) and its users; the office's display name is 王主任."""

    def setup():
        inspector = make_user("inspector", username="insp", level="district")
        ids = build(app, inspector_id=inspector.id)
        make_user("office", username="office", display_name="王主任")
        make_user("admin", username="admin")
        make_user("community", username="c1", community="C001")
        make_user("subdistrict", username="sd1", subdistrict="SD01")
        return ids

    return dict(db_snapshot("formal-documents-people", setup))


def configure(app, **values) -> None:
    with app.app_context():
        with writing():
            settings.set_values(values, user_id=None)
        db.session.remove()


def publish(app, month: str, now: datetime) -> None:
    with app.app_context():
        office = db.session.scalar(select(User.id).where(User.username == "office"))
        services.publish_and_commit(month, office, now=now, tz_name=TZ)
        db.session.remove()


def numbers(app) -> dict[str, tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(BulletinNumber)).all()
        found = {r.month: (r.number, r.issuer) for r in rows}
        db.session.remove()
    return found


def at(now):
    stack = ExitStack()
    for target in ("fieldcheck.ranking.views.utcnow", "fieldcheck.ranking.api.utcnow"):
        stack.enter_context(mock.patch(target, return_value=now))
    return stack


# --- the settings page ---------------------------------------------------------------------------------


def test_administrators_change_the_settings_and_the_office_reads_them(browser_for, people):
    answers = {
        who: browser_for(who).get("/admin/settings") for who in ("admin", "office", "c1", "sd1", "insp")
    }
    assert {who: r.status_code for who, r in answers.items()} == {
        "admin": 200,
        "office": 200,
        "c1": 403,
        "sd1": 403,
        "insp": 403,
    }
    admin, office = (answers[who].get_data(as_text=True) for who in ("admin", "office"))
    assert 'id="settings-form"' in admin and 'name="document.number_pattern"' in admin
    assert 'id="settings-form"' not in office and 'data-key="document.number_pattern"' in office


@pytest.mark.parametrize("who", ["office", "c1", "insp"])
def test_only_administrators_save_the_settings(app, browser_for, people, who):
    client = browser_for(who)
    token = csrf_token_from(client.get("/", follow_redirects=True).get_data(as_text=True))
    response = client.post("/admin/settings", data={"csrf_token": token, settings.ISSUER: ISSUER})
    assert response.status_code == 403
    with app.app_context():
        assert settings.get(settings.ISSUER) == ""


def save(client, **values):
    token = csrf_token_from(client.get("/admin/settings").get_data(as_text=True))
    return client.post("/admin/settings", data={"csrf_token": token, **values})


def test_saving_stores_every_setting_and_audits_before_and_after(app, browser_for, people):
    admin = browser_for("admin")
    response = save(
        admin,
        **{settings.ISSUER: f"  {ISSUER} ", settings.NUMBER_PATTERN: PATTERN, settings.INSPECTOR: "on"},
    )
    assert response.status_code == 302 and response.location == "/admin/settings"
    with app.app_context():
        assert settings.values() == {
            settings.ISSUER: ISSUER,
            settings.NUMBER_PATTERN: PATTERN,
            settings.INSPECTOR: True,
            settings.PHOTO_METADATA: False,
        }
        (entry,) = audit.entries(audit.Query(action="setting.change"))
        assert entry.actor == "admin" and entry.changes == {
            settings.ISSUER: ["", ISSUER],
            settings.NUMBER_PATTERN: [settings.DEFAULT_PATTERN, PATTERN],
            settings.INSPECTOR: [False, True],
        }
        db.session.remove()
    page = browser_for("office").get("/admin/settings").get_data(as_text=True)
    assert f'data-key="document.issuer">{ISSUER}</dd>' in page


@pytest.mark.parametrize(
    "pattern",
    [
        "涧文明办〔2026〕号",
        "〔{year}〕{no}号",
        "{n}" * 40,
    ],  # every kind of refusal: tests/unit/test_formal.py
)
def test_a_pattern_without_exactly_one_n_is_refused_naming_the_setting_and_nothing_is_stored(
    app, browser_for, people, pattern
):
    response = save(browser_for("admin"), **{settings.ISSUER: ISSUER, settings.NUMBER_PATTERN: pattern})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'data-field="document.number_pattern"' in page and "通报文号格式" in page
    assert 'name="document.number_pattern" value="' in page and 'aria-invalid="true"' in page
    with app.app_context():
        assert (
            settings.get(settings.ISSUER) == ""
            and settings.get(settings.NUMBER_PATTERN) == settings.DEFAULT_PATTERN
        )
        assert audit.entries(audit.Query(action="setting.change")) == []
        db.session.remove()


def test_the_settings_form_needs_its_csrf_token(app, browser_for, people):
    response = browser_for("admin").post("/admin/settings", data={settings.ISSUER: ISSUER})
    assert response.status_code == 400
    with app.app_context():
        assert settings.get(settings.ISSUER) == ""


# --- numbering ------------------------------------------------------------------------------------------


def test_a_month_is_numbered_when_first_published_and_keeps_its_number_and_issuer(app, people):
    configure(app, **{settings.ISSUER: ISSUER, settings.NUMBER_PATTERN: PATTERN})
    publish(app, "2026-03", AFTER)
    publish(app, "2026-04", datetime(2026, 5, 8, 2, tzinfo=UTC))
    assert numbers(app) == {
        "2026-03": ("涧文明办〔2026〕1号", ISSUER),
        "2026-04": ("涧文明办〔2026〕2号", ISSUER),
    }

    # A new pattern and issuer, then a correction of March: March keeps what it went out with.
    configure(app, **{settings.ISSUER: "另一机关", settings.NUMBER_PATTERN: "新〔{year}〕{n}"})
    with app.app_context():
        db.session.execute(update(Report).where(Report.id == people["r3"]).values(status="voided"))
        db.session.commit()
    publish(app, "2026-03", datetime(2026, 5, 9, 2, tzinfo=UTC))
    # December is published in January: the first number of the new year.
    publish(app, "2026-12", datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # 00:30 on 1 January in the city
    assert numbers(app) == {
        "2026-03": ("涧文明办〔2026〕1号", ISSUER),
        "2026-04": ("涧文明办〔2026〕2号", ISSUER),
        "2026-12": ("新〔2027〕1", "另一机关"),
    }
    with app.app_context():
        snapshots = db.session.scalars(select(RankingSnapshot).order_by(RankingSnapshot.id)).all()
        assert [(s.month, s.sequence) for s in snapshots] == [
            ("2026-03", 1),
            ("2026-04", 1),
            ("2026-03", 2),
            ("2026-12", 1),
        ]
        for s in snapshots:  # the stored documents are as the ranking computed them: no formal parts inside
            assert s.sha256 == rdoc.digest(json.loads(s.document)) and "文明办" not in s.document
        first = audit.entries(audit.Query(action="ranking.publish"))[-1]
        assert first.target == "ranking:2026-03" and first.changes["number"] == [None, "涧文明办〔2026〕1号"]
        db.session.remove()


# --- the bulletin and the XLSX --------------------------------------------------------------------------


def test_the_bulletin_carries_the_issuing_body_number_publisher_and_local_date(app, browser_for, people):
    configure(app, **{settings.ISSUER: ISSUER, settings.NUMBER_PATTERN: PATTERN})
    office = browser_for("office")
    with at(AFTER):
        page = office.get("/ranking/2026-03/bulletin").get_data(as_text=True)
    assert f'<p class="issuer" id="issuer">{ISSUER}</p>' in page
    assert '<p class="doc-number" id="doc-number">发布时编号</p>' in page
    assert '<p id="dated">2026年4月10日</p>' in page  # printed on 10 April (local), not yet published
    publish(app, "2026-03", AFTER)
    with at(datetime(2026, 4, 20, tzinfo=UTC)):
        page = office.get("/ranking/2026-03/bulletin").get_data(as_text=True)
    assert '<p class="doc-number" id="doc-number">涧文明办〔2026〕1号</p>' in page
    publication = page.split('id="publication"', 1)[1].split("</span>", 1)[0]
    assert "王主任" in publication and "2026-04-10 17:00" in publication and "+00:00" not in page
    assert '<p id="dated">2026年4月10日</p>' in page  # dated the day it was published
    lists = page.split('id="b-lists"', 1)[1].split("</section>", 1)[0]
    assert '青年宫社区 <small class="muted">C002 · ' in lists.split('class="red-list"', 1)[1]


def test_the_xlsx_carries_them_with_real_hyperlinks_and_the_lists_by_name(app, client, people):
    configure(app, **{settings.ISSUER: ISSUER, settings.NUMBER_PATTERN: PATTERN})
    publish(app, "2026-03", AFTER)
    headers = token_for(client, "office")
    with at(AFTER):
        data = client.get("/api/v1/rankings/2026-03.xlsx", headers=headers).data
    wb = load_workbook(io.BytesIO(data))
    about = [r[0] for r in wb["说明"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert about[:3] == [f"发文机关：{ISSUER}", "文号：涧文明办〔2026〕1号", "日期：2026年4月10日"]
    state = next(line for line in about if line.startswith("状态："))
    assert state == "状态：已发布（第 1 版，2026-04-10 17:00，发布人 王主任）"
    lists = next(line for line in about if line.startswith("红榜："))
    assert "青年宫社区（C002）" in lists and "王城社区（C001）" in lists.split("黑榜：")[1]
    deductions = wb["扣分明细"]
    for row in deductions.iter_rows(min_row=2):
        page, api = row[15], row[14]
        assert page.hyperlink is not None and page.hyperlink.target == page.value
        assert api.hyperlink is not None and api.hyperlink.target == api.value
        assert page.value.endswith(f"/reports/{row[2].value}")
    ranking = wb["社区排名"]
    c001 = next(r for r in ranking.iter_rows(min_row=2) if r[1].value == "C001")
    assert c001[-1].hyperlink.target == c001[-1].value and c001[-1].value.endswith("/ranking/2026-03/C001")
    online = next(c for c in wb["说明"]["A"] if str(c.value).startswith("在线查看"))
    assert online.hyperlink.target == online.value.removeprefix("在线查看：")


def test_past_excels_limit_the_links_stay_text_and_the_about_sheet_says_so(app, people, monkeypatch):
    monkeypatch.setattr(spreadsheet, "MAX_LINKS", 3)
    with app.app_context():
        document = services.compute("2026-03", now=AFTER, tz_name=TZ).document
        data = exports.to_xlsx(document, base_url="https://wmb.example.gov.cn")
        db.session.remove()
    wb = load_workbook(io.BytesIO(data))
    rows = list(wb["扣分明细"].iter_rows(min_row=2))
    linked = [c.coordinate for r in rows for c in r[14:16] if c.hyperlink is not None]
    assert linked == ["O2", "P2", "P3"] and all(r[15].value.startswith("https://") for r in rows)
    unlinked = 2 * len(rows) - 3
    assert any(f"其余 {unlinked} 个为文本" in str(r[0]) for r in wb["说明"].iter_rows(values_only=True))


def test_a_month_published_before_numbering_shows_no_number_rather_than_a_promise(app, browser_for, people):
    configure(app, **{settings.ISSUER: ISSUER})
    publish(app, "2026-03", AFTER)
    with app.app_context():
        db.session.execute(BulletinNumber.__table__.delete())  # as a month published before this revision
        db.session.commit()
    with at(AFTER):
        page = browser_for("office").get("/ranking/2026-03/bulletin").get_data(as_text=True)
        data = browser_for("office").get("/api/v1/rankings/2026-03.xlsx").data
    assert 'id="doc-number"' not in page and f'<p class="issuer" id="issuer">{ISSUER}</p>' in page
    about = [r[0] for r in load_workbook(io.BytesIO(data))["说明"].iter_rows(min_row=2, values_only=True)]
    assert about[0] == f"发文机关：{ISSUER}" and not any(str(line).startswith("文号") for line in about)
