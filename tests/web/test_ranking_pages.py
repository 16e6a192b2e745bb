"""The ranking pages through the test client: who sees which rows, the breakdown down to the reports,
publishing from the page (PRG, refusals as readable pages), the differs banner after a late void, the
bulletin with its print stylesheet, the landing-page cards, and bad months as readable 4xx pages.

The month is the worked example of tests/ranking_district.py (March 2026): C003 1st, C002 2nd (77.04 …
90.63), C001 3rd at 77.041667, C004 not inspected; SD02 before SD01.
"""

from __future__ import annotations

import html as html_module
import io
import re
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
from sqlalchemy import select, update

from fieldcheck.extensions import db
from fieldcheck.geography.models import Community
from fieldcheck.ranking.models import RankingSnapshot
from fieldcheck.reports.models import Report
from tests.conftest import csrf_token_from
from tests.photo_factory import jpeg
from tests.ranking_district import AFTER, build, token_for
from tests.web.reporting import post_report

IN_MARCH = datetime(2026, 3, 20, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def people(app, make_user, db_snapshot):
    """The worked-example month and its users (built once per backend, then copied)."""

    def setup():
        inspector = make_user("inspector", username="insp", level="district")
        ids = build(app, inspector_id=inspector.id)
        make_user("office", username="office")
        make_user("admin", username="admin")
        make_user("community", username="c1", community="C001")
        make_user("community", username="c2", community="C002")
        make_user("subdistrict", username="sd1", subdistrict="SD01")
        make_user("subdistrict", username="sd2", subdistrict="SD02")
        return ids

    return dict(db_snapshot("ranking-pages-people", setup))


def at(now):
    """Patch the clock of the ranking pages and the landing pages."""
    stack = ExitStack()
    for target in ("fieldcheck.ranking.views.utcnow", "fieldcheck.home.views.utcnow"):
        stack.enter_context(mock.patch(target, return_value=now))
    return stack


def get(client, path, now=AFTER):
    with at(now):
        return client.get(path)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def zh(app, message: str, **variables) -> str:
    """A message as the Chinese pages show it (HTML-escaped like the templates)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_CN"):
        return str(html_module.escape(gettext(message, **variables), quote=False))


ROW_RE = re.compile(
    r'<tr data-community="(C\d+)"[^>]*>\s*<td class="num rank">\s*(?:(\d+)|<span[^>]*>—</span>)\s*</td>'
)


def ranked_rows(page: str) -> list[tuple[str, int | None]]:
    """(code, rank) of the community ranking table, in page order."""
    section = page.split('id="communities"', 1)[1].split("</section>", 1)[0]
    return [(code, int(rank) if rank else None) for code, rank in ROW_RE.findall(section)]


def section(page: str, ident: str) -> str:
    return page.split(f'id="{ident}"', 1)[1].split("</section>", 1)[0]


# --- who sees what -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["office", "admin"])
def test_the_office_sees_every_community_ranked_with_exports_and_tie_breaks(app, browser_for, who):
    page = text_of(get(browser_for(who), "/ranking/2026-03"))
    assert ranked_rows(page) == [("C003", 1), ("C002", 2), ("C001", 3), ("C004", None)]
    assert re.findall(r'<tr data-subdistrict="(SD\d+)"><td class="num">', section(page, "subdistricts")) == [
        "SD02",
        "SD01",
    ]
    assert "77.04" in page and "77.041667" not in page  # rounded for display only
    for url in (
        "/api/v1/rankings/2026-03.xlsx",
        "/api/v1/rankings/2026-03.csv",
        "/api/v1/rankings/2026-03.json",
    ):
        assert f'href="{url}' in page
    assert 'href="/ranking/2026-03/bulletin"' in page
    assert "总分高者在前" in page and "超期未结数少者在前" in page
    coverage = section(page, "coverage")
    assert "75.00%" in coverage and 'data-community="C004"' in coverage
    assert 'data-community="C001"' not in coverage
    lists = section(page, "lists")
    assert "/ranking/2026-03/C001" in lists.split("black-list", 1)[1]  # C001 is on the black list
    indicators = section(page, "indicators")
    assert 'data-row="district"' in indicators and indicators.count("data-community=") == 4
    # The publish form: the month is over, nothing published yet.
    assert 'action="/ranking/2026-03/publish"' in page


def test_sub_district_staff_see_their_communities_and_their_ranks_only(app, browser_for):
    page = text_of(get(browser_for("sd1"), "/ranking/2026-03"))
    assert ranked_rows(page) == [("C002", 2), ("C001", 3)]
    assert "C003" not in page and "C004" not in section(page, "communities")
    assert re.findall(r'data-subdistrict="(SD\d+)"><td', section(page, "subdistricts")) == ["SD01"]
    assert "/publish" not in page
    assert get(browser_for("sd1"), "/ranking/2026-03/C002").status_code == 200
    assert get(browser_for("sd1"), "/ranking/2026-03/C003").status_code == 404


def test_community_staff_see_their_own_row_with_its_rank_and_no_other_breakdown(app, browser_for):
    client = browser_for("c1")
    page = text_of(get(client, "/ranking/2026-03"))
    assert ranked_rows(page) == [("C001", 3)]
    assert "青年宫社区" not in section(page, "communities") and "涧河社区" not in page
    assert "/publish" not in page
    breakdown = get(client, "/ranking/2026-03/C001")
    assert breakdown.status_code == 200
    assert re.search(r'id="rank"><strong>3<small> / 3</small>', text_of(breakdown))
    for other in ("C002", "C003", "C004", "C999"):
        assert get(client, f"/ranking/2026-03/{other}").status_code == 404
    bulletin = text_of(get(client, "/ranking/2026-03/bulletin"))
    assert re.findall(r'<tr data-community="(C\d+)"', bulletin) == ["C001"]


@pytest.mark.parametrize(
    "path", ["/ranking", "/ranking/2026-03", "/ranking/2026-03/C001", "/ranking/2026-03/bulletin"]
)
def test_inspectors_get_403_on_every_ranking_page(app, browser_for, path):
    response = get(browser_for("insp"), path)
    assert response.status_code == 403
    assert zh(app, "You are not allowed to do this.") in text_of(response)


def test_inspectors_cannot_publish(app, browser_for):
    client = browser_for("insp")
    token = csrf_token_from(text_of(client.get("/", follow_redirects=True)))  # the log-out form's token
    with at(AFTER):
        assert client.post("/ranking/2026-03/publish", data={"csrf_token": token}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(RankingSnapshot.id)) is None


def test_not_logged_in_goes_to_the_login_page(app, client, people):
    response = client.get("/ranking/2026-03")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- months ---------------------------------------------------------------------------------------------


def test_ranking_redirects_to_the_current_month_and_the_picker_to_the_chosen_one(app, browser_for):
    client = browser_for("office")
    assert get(client, "/ranking").headers["Location"].endswith("/ranking/2026-04")
    assert get(client, "/ranking?month=2026-03").headers["Location"].endswith("/ranking/2026-03")


@pytest.mark.parametrize(
    "path",
    [
        "/ranking/2026-13",
        "/ranking/march",
        "/ranking/2026-3",
        "/ranking?month=2026-00",
        "/ranking/2026-13/C001",
        "/ranking/2026-13/bulletin",
    ],
)
def test_a_bad_month_is_a_readable_400_page(app, browser_for, path):
    response = get(browser_for("office"), path)
    assert response.status_code == 400
    assert zh(app, "The month must look like 2026-03 (year, dash, two-digit month).") in text_of(response)


@pytest.mark.parametrize("path", ["/ranking/2026-02", "/ranking/2026-02/C001", "/ranking/2026-02/bulletin"])
def test_a_month_without_a_checklist_is_a_readable_404_page(app, browser_for, path):
    response = get(browser_for("office"), path)
    assert response.status_code == 404
    assert zh(app, "No checklist is in force for %(month)s: load one first.", month="2026-02") in text_of(
        response
    )


# --- the breakdown --------------------------------------------------------------------------------------


def test_the_breakdown_goes_down_to_each_report_with_multipliers_caps_and_exclusions(
    app, browser_for, people
):
    ids = people
    page = text_of(get(browser_for("office"), "/ranking/2026-03/C001"))
    reports = section(page, "reports")
    listed = [int(x) for x in re.findall(r'data-report="(\d+)"', reports)]
    assert sorted(listed) == sorted([ids["r1"], ids["r2"], ids["r3"]])  # r4 is void
    for rid in (ids["r1"], ids["r2"], ids["r3"]):
        assert f'href="/reports/{rid}?back=/ranking/2026-03/C001"' in reports  # 返回列表 leads back here
    r3 = reports.split(f'data-report="{ids["r3"]}"', 1)[1].split("</li>", 1)[0]
    # r3: ORD-02, 1 × 4 points × 1.5 (third party) × 2 (repeat of r0) = 12.00
    assert (
        "1 × 4.00 × 1.50" in r3
        and "× 2.00" in r3
        and f'href="/reports/{ids["r0"]}?back=/ranking/2026-03/C001"' in r3
        and ">12.00<" in r3
    )
    assert zh(app, "third party") in r3
    field = section(page, "field")
    env01 = field.split('data-item="ENV-01"', 1)[1].split("</tr>", 1)[0]
    assert "6.50" in env01 and "3.00" in env01 and zh(app, "item capped") in env01  # 2 + 4.5, capped at 3
    mkt = field.split('data-category="MKT"', 1)[1].split("</tr>", 1)[0]
    assert zh(app, "does not apply to this community: left out, the others scaled to the field total") in mkt
    summary = section(page, "summary")
    assert "77.04" in summary


def test_the_breakdown_shows_a_report_photo_thumbnail_and_the_change_from_last_month(
    app, browser_for, people
):
    """A report filed through the API in the current month shows its photo; the previous month's ranking
    gives the change in score and rank."""
    client = browser_for("office")
    headers = token_for(app.test_client(), "insp")
    response = post_report(app.test_client(), headers, photos=[jpeg(seed=3)])
    assert response.status_code == 201, response.get_json()
    report = response.get_json()
    photo_id = report["photos"][0]["id"]
    month = report["observed_at"][:7]
    page = text_of(client.get(f"/ranking/{month}/C001"))
    assert f'src="/api/v1/photos/{photo_id}/thumb"' in page
    assert f'href="/reports/{report["id"]}?back=/ranking/{month}/C001"' in page
    assert client.get(f"/api/v1/photos/{photo_id}/thumb").status_code == 200


def test_the_change_from_the_previous_month_is_shown_per_community(app, browser_for, people):
    """In April only C002 is inspected (r8): first, up from second in March, with its score's change."""
    from decimal import Decimal

    from fieldcheck.ranking import document as rdoc
    from fieldcheck.ranking import services

    with app.app_context():
        march, april = (
            {c["code"]: c for c in services.ranking(m, now=AFTER, tz_name="Asia/Shanghai")["communities"]}
            for m in ("2026-03", "2026-04")
        )
    delta = rdoc.display(str(Decimal(april["C002"]["score"]) - Decimal(march["C002"]["score"])))
    page = text_of(get(browser_for("office"), "/ranking/2026-04"))
    assert ranked_rows(page)[0] == ("C002", 1)
    c002 = page.split('<tr data-community="C002"', 1)[1].split("</tr>", 1)[0]
    assert "↑1" in c002
    assert f"{'+' if delta > 0 else ''}{delta}</span>" in c002
    c001 = page.split('<tr data-community="C001"', 1)[1].split("</tr>", 1)[0]
    assert "↑" not in c001 and "↓" not in c001  # not ranked in April: no rank change


def test_the_change_from_a_published_month_is_from_its_published_figures(app, browser_for, people):
    """March is published, then one of C002's March reports is voided late: April's change for C002 is
    still measured from the published March score, the standing officials were told."""
    from decimal import Decimal

    from fieldcheck.ranking import document as rdoc
    from fieldcheck.ranking import services

    assert publish_form(browser_for("office")).status_code == 302
    with app.app_context():
        published = {
            c["code"]: c
            for c in services.ranking("2026-03", now=AFTER, tz_name="Asia/Shanghai")["communities"]
        }
        march_c002 = db.session.scalar(
            select(Report.id)
            .join(Report.community)
            .where(
                Community.code == "C002",
                Report.status != "voided",
                Report.observed_at < datetime(2026, 4, 1, tzinfo=UTC),
            )
            .order_by(Report.id)
            .limit(1)
        )
        db.session.execute(update(Report).where(Report.id == march_c002).values(status="voided"))
        db.session.commit()
        recomputed = {
            c["code"]: c
            for c in services.ranking("2026-03", now=AFTER, tz_name="Asia/Shanghai", live=True)["communities"]
        }
        april = {
            c["code"]: c
            for c in services.ranking("2026-04", now=AFTER, tz_name="Asia/Shanghai")["communities"]
        }
    assert recomputed["C002"]["score"] != published["C002"]["score"]  # the late void moved March
    delta = rdoc.display(str(Decimal(april["C002"]["score"]) - Decimal(published["C002"]["score"])))
    page = text_of(get(browser_for("office"), "/ranking/2026-04"))
    c002 = page.split('<tr data-community="C002"', 1)[1].split("</tr>", 1)[0]
    assert f"{'+' if delta > 0 else ''}{delta}</span>" in c002


# --- publishing -----------------------------------------------------------------------------------------


def publish_form(client, month="2026-03", now=AFTER):
    """The publish button, then the confirmation page's button (issue 18: publishing asks first)."""
    page = text_of(get(client, f"/ranking/{month}", now=now))
    with at(now):
        asked = client.post(f"/ranking/{month}/publish", data={"csrf_token": csrf_token_from(page)})
        assert asked.status_code == 200 and 'name="confirmed" value="1"' in text_of(asked)
        token = csrf_token_from(text_of(asked))
        return client.post(f"/ranking/{month}/publish", data={"csrf_token": token, "confirmed": "1"})


def test_publishing_from_the_page_redirects_with_a_confirmation_and_states_the_publication(app, browser_for):
    client = browser_for("office")
    response = publish_form(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/ranking/2026-03")
    page = text_of(get(client, "/ranking/2026-03"))
    assert zh(app, "%(month)s is published (publication %(sequence)s).", month="2026-03", sequence=1) in page
    assert 'id="published"' in page and "office" in section(page, "publishing")
    assert 'action="/ranking/2026-03/publish"' not in page  # nothing to correct
    assert zh(app, "A recomputation gives the same figures as the publication.") in page
    with app.app_context():
        assert db.session.scalars(select(RankingSnapshot.sequence)).all() == [1]


def test_publishing_without_the_csrf_token_is_refused_and_stores_nothing(app, browser_for):
    client = browser_for("office")
    with at(AFTER):
        response = client.post("/ranking/2026-03/publish", data={})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(RankingSnapshot.id)) is None


@pytest.mark.parametrize("who", ["c1", "sd1"])
def test_staff_outside_the_office_cannot_publish(app, browser_for, who):
    client = browser_for(who)
    token = csrf_token_from(text_of(get(client, "/ranking/2026-03")))
    with at(AFTER):
        assert client.post("/ranking/2026-03/publish", data={"csrf_token": token}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(RankingSnapshot.id)) is None


def test_publishing_a_month_that_is_not_over_is_a_readable_409(app, browser_for):
    client = browser_for("admin")
    page = text_of(get(client, "/ranking/2026-03", now=IN_MARCH))
    assert zh(app, "The month is not over yet: it can be published once it has ended.") in page
    response = publish_form(client, now=IN_MARCH)
    assert response.status_code == 409
    assert zh(
        app, "%(month)s is not over yet; publish it once the month has ended.", month="2026-03"
    ) in text_of(response)
    # Twice with the same figures: the second is refused with the service's message.
    assert publish_form(client).status_code == 302
    with at(AFTER):
        token = csrf_token_from(text_of(client.get("/ranking/2026-03")))
        again = client.post("/ranking/2026-03/publish", data={"csrf_token": token, "confirmed": "1"})
    assert again.status_code == 409
    assert zh(
        app,
        "%(month)s is already published with these figures (publication %(sequence)s).",
        month="2026-03",
        sequence=1,
    ) in text_of(again)


def test_a_late_void_shows_the_difference_and_a_correction_keeps_the_history(app, browser_for, people):
    ids = people
    office = browser_for("office")
    assert publish_form(office).status_code == 302
    # The office voids r3 after publishing (through the workflow API).
    office_api = token_for(app.test_client(), "office")
    voided = app.test_client().post(
        f"/api/v1/reports/{ids['r3']}/void", json={"note": "误报"}, headers=office_api
    )
    assert voided.status_code == 200, voided.get_json()

    page = text_of(get(office, "/ranking/2026-03"))
    assert dict(ranked_rows(page))["C001"] == 3
    assert "77.04" in section(page, "communities")  # the published figure does not move silently
    banner = page.split('id="differs"', 1)[1].split("</div>\n  </div>", 1)[0]
    assert zh(app, "A recomputation now differs from the published figures.") in banner
    c001 = banner.split('data-community="C001"', 1)[1].split("</tr>", 1)[0]
    assert "77.04" in c001 and "89.88" in c001 and "+12.83" in c001
    assert zh(app, "Publish a correction") in page

    # Community staff of C001 see the difference for their own community on their breakdown.
    mine = text_of(get(browser_for("c1"), "/ranking/2026-03/C001"))
    assert 'id="differs"' in mine and "89.88" in mine and "+12.83" in mine
    # Staff of the other community see no banner about C001.
    other = text_of(get(browser_for("c2"), "/ranking/2026-03"))
    assert 'id="differs"' not in other

    response = publish_form(office)
    assert response.status_code == 302
    page = text_of(get(office, "/ranking/2026-03"))
    assert (
        zh(
            app,
            "A correction of %(month)s is published (publication %(sequence)s).",
            month="2026-03",
            sequence=2,
        )
        in page
    )
    history = page.split('class="history"', 1)[1].split("</ol>", 1)[0]
    assert history.count("<li>") == 2
    assert 'id="differs"' not in page and "89.88" in section(page, "communities")


# --- the bulletin ---------------------------------------------------------------------------------------


def test_the_bulletin_renders_with_its_a4_print_stylesheet_and_no_navigation(app, browser_for, people):
    client = browser_for("office")
    response = get(client, "/ranking/2026-03/bulletin")
    assert response.status_code == 200
    page = text_of(response)
    assert 'href="/static/css/print.css"' in page and 'class="bar"' not in page and "<nav" not in page
    css = (ROOT / "static" / "css" / "print.css").read_text()
    assert re.search(r"@page\s*\{[^}]*size:\s*A4", css) and "break-before:page" in css
    assert client.get("/static/css/print.css").status_code == 200
    assert re.findall(r'<tr data-community="(C\d+)"', page) == ["C003", "C002", "C001", "C004"]
    assert "worked-2026" in page and "总分高者在前" in page
    assert zh(app, "Not published: provisional figures computed %(when)s.", when="2026-04-10 17:00") in page
    # The main deductions: ORD (C001's 12 points, capped at 8 … ) leads; the typical problems list r3.
    deductions = page.split('id="b-deductions"', 1)[1].split("</section>", 1)[0]
    assert deductions.index('data-category="ORD"') < deductions.index('data-category="ENV"')
    assert f'data-report="{people["r3"]}"' in page.split('id="b-photos"', 1)[1]

    assert publish_form(client).status_code == 302
    page = text_of(get(client, "/ranking/2026-03/bulletin"))
    assert (
        zh(
            app,
            "Published as publication %(n)s on %(when)s by %(who)s.",
            n=1,
            when="2026-04-10 17:00",
            who="office",
        )
        in page.split('id="publication"', 1)[1]
    )


def test_the_bulletin_shows_before_and_after_photos_of_a_typical_problem(app, browser_for, people):
    insp = token_for(app.test_client(), "insp")
    c1 = token_for(app.test_client(), "c1")
    filed = post_report(app.test_client(), insp, photos=[jpeg(seed=5)], instances="3").get_json()
    data = {"note": "已清理", "photos": [(io.BytesIO(jpeg(seed=6)), "after.jpg")]}
    rectified = app.test_client().post(
        f"/api/v1/reports/{filed['id']}/rectify", data=data, headers=c1, content_type="multipart/form-data"
    )
    assert rectified.status_code == 200, rectified.get_json()
    month = filed["observed_at"][:7]
    page = text_of(browser_for("office").get(f"/ranking/{month}/bulletin"))
    figure = page.split(f'data-report="{filed["id"]}"', 1)[1].split("</figure>", 1)[0]
    with app.app_context():
        from fieldcheck.reports.models import Photo

        kinds = dict(
            db.session.execute(select(Photo.kind, Photo.id).where(Photo.report_id == filed["id"])).all()
        )
    assert f'src="/api/v1/photos/{kinds["before"]}/display"' in figure
    assert f'src="/api/v1/photos/{kinds["after"]}/display"' in figure


# --- landing pages ---------------------------------------------------------------------------------------


def test_community_and_sub_district_landing_pages_show_this_months_standing(app, browser_for):
    page = text_of(get(browser_for("c1"), "/community", now=datetime(2026, 3, 31, 12, tzinfo=UTC)))
    card = section(page, "standing")
    assert 'href="/ranking/2026-03/C001"' in card and re.search(r"<strong>3<small> / 3</small>", card)
    page = text_of(get(browser_for("sd1"), "/subdistrict", now=datetime(2026, 3, 31, 12, tzinfo=UTC)))
    card = section(page, "standing")
    assert 'href="/ranking/2026-03/C001"' in card and 'href="/ranking/2026-03/C002"' in card
    assert "C003" not in card


def test_the_office_landing_page_and_the_navigation_link_to_the_ranking(app, browser_for):
    page = text_of(get(browser_for("office"), "/office"))
    assert re.search(r'href="/ranking" id="ranking-link"', page)
    for who in ("office", "admin", "c1", "sd1"):
        assert 'class="nav-ranking"' in text_of(get(browser_for(who), "/ranking/2026-03"))
    inspector_home = text_of(browser_for("insp").get("/", follow_redirects=True))
    assert 'class="nav-ranking"' not in inspector_home


def test_the_voided_report_never_appears_in_the_breakdown(app, browser_for, people):
    with app.app_context():
        assert db.session.scalar(select(Report.status).where(Report.id == people["r4"])) == "voided"
        db.session.execute(update(Report).where(Report.id == people["r1"]).values(status="voided"))
        db.session.commit()
    page = text_of(get(browser_for("office"), "/ranking/2026-03/C001"))
    assert f'data-report="{people["r1"]}"' not in page and f'data-report="{people["r4"]}"' not in page


def test_the_pages_read_in_english_too(app, browser_for):
    client = browser_for("office")
    client.get("/lang/en")
    page = text_of(get(client, "/ranking/2026-03"))
    assert (
        "Community ranking, 2026-03" in page and "score, higher first" in page and "总分高者在前" not in page
    )
    breakdown = text_of(get(client, "/ranking/2026-03/C001"))
    assert "Sanitation" in breakdown and "item capped" in breakdown
    bulletin = text_of(get(client, "/ranking/2026-03/bulletin"))
    assert "monthly bulletin, 2026-03" in bulletin and "fewer overdue open items" in bulletin


def test_english_item_names_everywhere_on_the_breakdown_and_the_bulletin(app, browser_for, people):
    """Issue 18: per-report deduction lines and the bulletin's captions use the checklist's English name."""
    client = browser_for("office")
    client.get("/lang/en")
    breakdown = text_of(get(client, "/ranking/2026-03/C001"))
    r3 = section(breakdown, "reports").split(f'data-report="{people["r3"]}"', 1)[1].split("</li>", 1)[0]
    assert "ORD-02 Charging cables" in r3 and "飞线充电" not in r3
    assert not re.search(r"[\u4e00-\u9fff]", section(breakdown, "reports").replace("青年宫", ""))
    bulletin = text_of(get(client, "/ranking/2026-03/bulletin"))
    caption = bulletin.split(f'data-report="{people["r3"]}"', 1)[1].split("</figcaption>", 1)[0]
    assert "ORD-02 Charging cables" in caption and "飞线充电" not in caption
    # The Chinese pages keep the Chinese names.
    client.get("/lang/zh_CN")
    assert "ORD-02 飞线充电" in section(text_of(get(client, "/ranking/2026-03/C001")), "reports")


def test_publishing_asks_for_confirmation_and_the_first_press_stores_nothing(app, browser_for):
    client = browser_for("office")
    token = csrf_token_from(text_of(get(client, "/ranking/2026-03")))
    with at(AFTER):
        asked = client.post("/ranking/2026-03/publish", data={"csrf_token": token})
    page = text_of(asked)
    assert asked.status_code == 200 and zh(app, "Publish %(month)s?", month="2026-03") in page
    assert 'id="cancel"' in page and 'href="/ranking/2026-03"' in page
    with app.app_context():
        assert db.session.scalar(select(RankingSnapshot.id)) is None
    client.get("/lang/en")
    with at(AFTER):
        assert "Yes, publish 2026-03" in text_of(
            client.post("/ranking/2026-03/publish", data={"csrf_token": token})
        )


def test_community_staff_see_the_published_red_and_black_lists_by_name(app, browser_for):
    """Issue 18: the lists are public notices once published; never "none" where there are entries."""
    page = text_of(get(browser_for("c1"), "/ranking/2026-03"))
    lists = section(page, "lists")  # provisional: not the community's to see, and not shown as empty
    assert 'id="lists-pending"' in lists and "<ol>" not in lists
    assert publish_form(browser_for("office")).status_code == 302
    for path in ("/ranking/2026-03", "/ranking/2026-03/bulletin"):
        page = text_of(get(browser_for("c1"), path))
        lists = section(page, "lists" if path.endswith("03") else "b-lists")
        red, black = lists.split("black-list", 1)
        assert 'data-listed="C002"' in red and "青年宫社区" in red
        assert 'data-listed="C001"' in black and "王城社区" in black
        assert zh(app, "None") not in lists
        assert "/ranking/2026-03/C002" not in lists  # named, but not the community's breakdown to open
    # Sub-district staff of the other sub-district see the same lists.
    lists = section(text_of(get(browser_for("sd2"), "/ranking/2026-03")), "lists")
    assert "青年宫社区" in lists and "王城社区" in lists
