"""The workflow pages through the test client: lists scoped and overdue first, forms that move reports,
refusals as readable pages with the right status (never a 500), and no query per listed item."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from fieldcheck.extensions import db
from fieldcheck.reports.models import Report
from fieldcheck.workflow import queries, rules
from tests.conftest import csrf_token_from
from tests.photo_factory import jpeg
from tests.web.reporting import post_report, recorded_statements

OUTSIDE = ("34.60", "112.30")  # outside every community of the small district
C002 = ("34.655", "112.415")
C003 = ("34.655", "112.425")


@pytest.fixture
def file_report(client, people):
    """file_report(**fields) -> the id of a report the inspector filed through the API."""

    def file(**fields):
        response = post_report(client, people["insp"], **fields)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    return file


def zh(app, message: str, **variables) -> str:
    """A message as the Chinese pages show it."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_CN"):
        return gettext(message, **{k: gettext(v) if isinstance(v, str) else v for k, v in variables.items()})


def html(response) -> str:
    return response.get_data(as_text=True)


def report_state(app, report_id) -> tuple:
    with app.app_context():
        r = db.session.get(Report, report_id)
        return r.status, r.version, r.rework_count, len(r.events)


def set_due(app, report_id, due):
    with app.app_context():
        db.session.execute(update(Report).where(Report.id == report_id).values(due_at=due))
        db.session.commit()


def form_of(page: str, report_id: int) -> dict:
    """The CSRF token and version the report page's forms carry."""
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version, f"no move form for report {report_id}"
    return {"csrf_token": csrf_token_from(page), "version": version.group(1)}


def post_move(browser, report_id, action, *, photos=0, **fields):
    page = html(browser.get(f"/reports/{report_id}"))
    data = {**form_of(page, report_id), **fields}
    if photos:
        data["photos"] = [(io.BytesIO(jpeg(seed=20 + i)), "image.jpg") for i in range(photos)]
        return browser.post(f"/reports/{report_id}/{action}", data=data, content_type="multipart/form-data")
    return browser.post(f"/reports/{report_id}/{action}", data=data)


def count_rows(page: str) -> dict[str, list[int]]:
    """The per-community counts table: code -> the numbers of its row."""
    rows = re.findall(r'<tr data-community="(\w+)"[^>]*>(.*?)</tr>', page, re.S)
    return {
        code: [int(n) for n in re.findall(r'<td class="num[^"]*">(\d+)</td>', body)] for code, body in rows
    }


def item_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="report[^"]*" data-id="(\d+)"', page)]


# --------------------------------------------------------------------------------------------------
# Lists


def test_community_sees_its_open_items_overdue_first_with_the_time_left(app, browser_for, file_report):
    later, overdue, closed_one = file_report(), file_report(), file_report()
    other = file_report(lat=C002[0], lon=C002[1])
    now = datetime.now(UTC)
    set_due(app, later, now + timedelta(days=2, hours=3, minutes=10))
    set_due(app, overdue, now - timedelta(hours=5, minutes=30))
    with app.app_context():
        db.session.execute(update(Report).where(Report.id == closed_one).values(status="closed"))
        db.session.commit()

    response = browser_for("c1").get("/community")
    assert response.status_code == 200
    page = html(response)
    assert item_ids(page) == [overdue, later]
    assert other not in item_ids(page) and closed_one not in item_ids(page)
    assert "王城社区" in page
    assert "超期 5小时" in page  # overdue by 5 h 29/30 min
    assert "还剩 2天3小时" in page
    assert f'data-id="{overdue}" data-overdue="yes"' in page


def test_subdistrict_sees_every_community_with_overdue_counts(app, browser_for, file_report):
    first, second = file_report(), file_report(lat=C002[0], lon=C002[1])
    elsewhere = file_report(lat=C003[0], lon=C003[1])
    set_due(app, second, datetime.now(UTC) - timedelta(hours=1))

    page = html(browser_for("sd1").get("/subdistrict"))
    assert item_ids(page) == [second, first]
    assert elsewhere not in item_ids(page)
    # open, overdue, awaiting verification; SD02's communities are not listed
    assert count_rows(page) == {"C001": [1, 0, 0], "C002": [1, 1, 0]}

    only = html(browser_for("sd1").get("/subdistrict?community=C001"))
    assert item_ids(only) == [first]
    assert browser_for("sd1").get("/subdistrict?community=C003").status_code == 404


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/community", "c1"),
        ("/subdistrict", "sd1"),
        ("/office", "office"),
        ("/office/queue/verify", "office"),
    ],
)
def test_landing_pages_are_for_their_role(browser_for, path, allowed):
    for user in ("c1", "sd1", "office", "insp"):
        expected = 200 if user == allowed else 403
        assert browser_for(user).get(path).status_code == expected, (path, user)


def test_office_sees_queue_counts_and_overdue_communities(app, browser_for, file_report, people, client):
    due_soon = file_report()
    file_report(lat=OUTSIDE[0], lon=OUTSIDE[1])
    set_due(app, due_soon, datetime.now(UTC) - timedelta(minutes=5))
    page = html(browser_for("office").get("/office"))
    counts = dict((name, int(n)) for n, name in re.findall(r"<strong>(\d+)</strong> ([^<]+)</a>", page))
    assert counts == {"待核查": 0, "申诉": 0, "待分派": 1, "挂账申请": 0}
    assert count_rows(page) == {"C001": [1, 1]}  # overdue, open: only communities with overdue items


PAGES_BY_USER = {
    "/community": "c1",
    "/subdistrict": "sd1",
    "/office": "office",
    "/office/queue/verify": "office",
    "/office/queue/unassigned": "office",
}


def test_lists_take_the_same_number_of_queries_for_two_items_or_six(app, browser_for, file_report):
    def statements(path):
        with recorded_statements(app) as seen:
            assert browser_for(PAGES_BY_USER[path]).get(path).status_code == 200
        return len(seen)

    def add_round():
        file_report()
        file_report(lat=OUTSIDE[0], lon=OUTSIDE[1])
        rectified = file_report(lat=C002[0], lon=C002[1])
        with app.app_context():
            db.session.execute(update(Report).where(Report.id == rectified).values(status="rectified"))
            db.session.commit()

    for path in PAGES_BY_USER:
        statements(path)  # log in and warm up
    add_round()
    few = {path: statements(path) for path in PAGES_BY_USER}
    add_round()
    add_round()
    many = {path: statements(path) for path in PAGES_BY_USER}
    assert many == few


def test_sql_overdue_agrees_with_the_rule(app, ctx, district, make_user):
    now = datetime.now(UTC)
    cases = [
        (s, d)
        for s in rules.OPEN + rules.FINAL
        for d in (None, now - timedelta(hours=1), now + timedelta(hours=1))
    ]
    with app.app_context():
        from fieldcheck.checklist.models import ChecklistItem

        inspector = make_user("inspector", username="i9")
        item_id = db.session.scalar(select(ChecklistItem.id).limit(1))
        for n, (status, due) in enumerate(cases):
            db.session.add(
                Report(
                    client_id=f"c{n}",
                    content_hash="x",
                    inspector_id=inspector.id,
                    item_id=item_id,
                    location_source="device",
                    observed_at=now,
                    found_by="city",
                    status=status,
                    due_at=due,
                    flags=[],
                )
            )
        db.session.commit()
        by_sql = set(db.session.scalars(select(Report.client_id).where(queries.overdue_clause(now))))
        by_rule = {f"c{n}" for n, (s, d) in enumerate(cases) if rules.is_overdue(s, d, now)}
        assert by_sql == by_rule and by_rule


# --------------------------------------------------------------------------------------------------
# The report page


def test_report_page_shows_photos_location_item_deadline_and_history(app, browser_for, file_report):
    report_id = file_report()
    page = html(browser_for("c1").get(f"/reports/{report_id}"))
    assert "楼道卫生不洁" in page and "ENV-02" in page
    # The accuracy in metres as the capture page words it (one unit formatter: 米 in Chinese).
    assert "34.655000, 112.405000" in page and "±8 米" in page and "手机定位" in page
    assert "截止" in page and "还剩" in page
    assert re.findall(r'<li data-action="(\w+)"', page) == ["file", "dispatch"]
    assert re.search(r"/api/v1/photos/\d+/thumb", page)
    # Community staff get their three moves, and nothing of the office's.
    assert f'action="/reports/{report_id}/rectify"' in page
    assert 'capture="environment"' in page and 'name="photos"' in page
    assert f'action="/reports/{report_id}/appeal"' in page
    assert f'action="/reports/{report_id}/request_suspension"' in page
    assert "/accept" not in page and "/void" not in page


def test_report_page_forms_follow_the_reader(app, browser_for, file_report):
    report_id = file_report()
    assert "move-" not in html(browser_for("sd1").get(f"/reports/{report_id}"))
    assert "move-" not in html(browser_for("insp").get(f"/reports/{report_id}"))
    office = html(browser_for("office").get(f"/reports/{report_id}"))
    assert "move-void" in office and "move-review" not in office and "move-rectify" not in office


@pytest.mark.parametrize("user", ["c2", "sd2"])
def test_other_scopes_get_404_for_the_page_and_the_moves(app, browser_for, file_report, user):
    report_id = file_report()
    browser = browser_for(user)
    assert browser.get(f"/reports/{report_id}").status_code == 404
    token = csrf_token_from(html(browser.get("/login", follow_redirects=True)))
    response = browser.post(f"/reports/{report_id}/appeal", data={"csrf_token": token, "note": "不是我们的"})
    assert response.status_code == 404
    assert report_state(app, report_id)[0] == "dispatched"
    assert browser.get("/reports/999999").status_code == 404


# --------------------------------------------------------------------------------------------------
# Moves through the forms


def test_rectify_reject_rectify_accept_through_the_forms(app, browser_for, file_report):
    report_id = file_report()
    c1, office = browser_for("c1"), browser_for("office")

    response = post_move(c1, report_id, "rectify", photos=2, note="已清理楼道")
    assert response.status_code == 302 and response.headers["Location"] == f"/reports/{report_id}"
    page = html(c1.get(f"/reports/{report_id}"))
    assert zh(app, "Marked as rectified; the office will verify it.") in page and "待核查" in page
    assert "已清理楼道" in page and "整改后" in page

    # The office verifies from its queue, with before and after side by side, and comes back to it.
    queue = html(office.get("/office/queue/verify"))
    assert f'data-id="{report_id}"' in queue and "整改前" in queue and "整改后" in queue
    response = post_move(office, report_id, "reject", note="墙角仍有垃圾", next="/office/queue/verify")
    assert response.status_code == 302 and response.headers["Location"] == "/office/queue/verify"
    assert report_state(app, report_id)[:3] == ("dispatched", 3, 1)

    assert post_move(c1, report_id, "rectify", photos=1).status_code == 302
    assert post_move(office, report_id, "accept").status_code == 302
    page = html(office.get(f"/reports/{report_id}"))
    assert "已销号" in page
    assert re.findall(r'<li data-action="(\w+)"', page) == [
        "file",
        "dispatch",
        "rectify",
        "reject",
        "rectify",
        "accept",
    ]
    assert "墙角仍有垃圾" in page
    assert "move-" not in page  # nothing left to do on a closed report


WRONG_STATE = "This report is now “%(status)s”; it cannot be changed that way."


@pytest.mark.parametrize(
    ("user", "action", "fields", "status", "message"),
    [
        ("c1", "rectify", {"note": "修好了"}, 400, ("Add at least one photo of the fixed problem.", {})),
        ("office", "void", {"note": " "}, 400, ("Write a note that explains this decision.", {})),
        ("c1", "accept", {}, 403, ("You may not do this to this report.", {})),
        (
            "c1",
            "request_suspension",
            {"planned_date": "2020-01-01", "note": "施工"},
            400,
            ("The planned date must be after today.", {}),
        ),
        (
            "c1",
            "request_suspension",
            {"planned_date": "tomorrow", "note": "施工"},
            400,
            ("planned_date must be a date such as 2026-05-31.", {}),
        ),
        ("office", "assign", {"community": "C002"}, 409, (WRONG_STATE, {"status": "To rectify"})),
        ("office", "reject", {"note": "x"}, 409, (WRONG_STATE, {"status": "To rectify"})),
    ],
)
def test_refused_moves_show_the_page_with_the_message(
    app, browser_for, file_report, user, action, fields, status, message
):
    report_id = file_report()
    before = report_state(app, report_id)
    response = post_move(browser_for(user), report_id, action, **fields)
    assert response.status_code == status
    page = html(response)
    assert 'id="move-error"' in page and zh(app, message[0], **message[1]) in page
    assert "楼道卫生不洁" in page  # the report page again, not a bare error
    assert report_state(app, report_id) == before


def test_a_stale_page_loses_with_409_and_a_readable_message(app, browser_for, file_report):
    report_id = file_report()
    c1, office = browser_for("c1"), browser_for("office")
    stale = form_of(html(c1.get(f"/reports/{report_id}")), report_id)
    assert post_move(office, report_id, "void", note="重复上报").status_code == 302
    response = c1.post(f"/reports/{report_id}/appeal", data={**stale, "note": "不是我们的"})
    assert response.status_code == 409
    page = html(response)
    stale_message = "Someone else changed this report a moment ago; it is now “%(status)s”. Reload and check."
    assert zh(app, stale_message, status="Voided") in page
    assert report_state(app, report_id)[0] == "voided"


def test_appeal_and_the_office_upholds_it(app, browser_for, file_report):
    report_id = file_report()
    assert post_move(browser_for("c1"), report_id, "appeal", note="此处不属于本社区").status_code == 302
    queue = html(browser_for("office").get("/office/queue/appeals"))
    assert f'data-id="{report_id}"' in queue and "此处不属于本社区" in queue
    assert post_move(browser_for("office"), report_id, "uphold", note="属于本社区").status_code == 302
    assert report_state(app, report_id)[0] == "dispatched"


def test_appeal_granted_voids_the_report(app, browser_for, file_report):
    report_id = file_report()
    assert post_move(browser_for("c1"), report_id, "appeal", note="误报").status_code == 302
    assert post_move(browser_for("office"), report_id, "grant", note="确属误报").status_code == 302
    assert report_state(app, report_id)[0] == "voided"


def test_unassigned_report_is_assigned_from_the_queue(app, browser_for, file_report):
    report_id = file_report(lat=OUTSIDE[0], lon=OUTSIDE[1])
    office = browser_for("office")
    queue = html(office.get("/office/queue/unassigned"))
    assert f'data-id="{report_id}"' in queue
    assert re.search(r'<option value="C003"\s*>涧河社区</option>', queue)
    assert browser_for("c2").get(f"/reports/{report_id}").status_code == 404
    response = post_move(office, report_id, "assign", community="C002", next="/office/queue/unassigned")
    assert response.status_code == 302
    assert f'data-id="{report_id}"' not in html(office.get("/office/queue/unassigned"))
    assert report_id in item_ids(html(browser_for("c2").get("/community")))


def test_suspension_requested_then_approved_with_another_date(app, browser_for, file_report):
    report_id = file_report()
    soon = (datetime.now(UTC) + timedelta(days=10)).date()
    later = soon + timedelta(days=5)
    assert (
        post_move(
            browser_for("c1"),
            report_id,
            "request_suspension",
            planned_date=soon.isoformat(),
            note="需要施工队",
        ).status_code
        == 302
    )
    page = html(browser_for("c1").get(f"/reports/{report_id}"))
    assert "move-suspension" not in page.replace("move-suspension-decide", "")  # one request at a time
    queue = html(browser_for("office").get("/office/queue/suspensions"))
    assert f'value="{soon.isoformat()}"' in queue and "需要施工队" in queue
    assert (
        post_move(
            browser_for("office"), report_id, "approve_suspension", planned_date=later.isoformat()
        ).status_code
        == 302
    )
    with app.app_context():
        r = db.session.get(Report, report_id)
        assert (r.status, r.planned_date) == ("suspended", later)


def test_suspension_refused_keeps_the_deadline(app, browser_for, file_report):
    report_id = file_report()
    soon = (datetime.now(UTC) + timedelta(days=10)).date()
    post_move(
        browser_for("c1"), report_id, "request_suspension", planned_date=soon.isoformat(), note="缺材料"
    )
    assert post_move(browser_for("office"), report_id, "refuse_suspension").status_code == 302
    with app.app_context():
        r = db.session.get(Report, report_id)
        assert (r.status, r.suspension_requested) == ("dispatched", None)


def test_form_posts_need_the_csrf_token(app, browser_for, file_report):
    report_id = file_report()
    response = browser_for("c1").post(f"/reports/{report_id}/appeal", data={"note": "x"})
    assert response.status_code == 400
    assert report_state(app, report_id)[0] == "dispatched"


def test_unknown_moves_and_outside_next_targets(app, browser_for, file_report):
    report_id = file_report()
    assert post_move(browser_for("office"), report_id, "close-everything").status_code == 404
    response = post_move(browser_for("office"), report_id, "void", note="重复", next="//evil.example/")
    assert response.status_code == 302 and response.headers["Location"] == f"/reports/{report_id}"


def test_an_after_photo_that_is_not_an_image_is_refused_on_the_page(app, browser_for, file_report):
    report_id = file_report()
    c1 = browser_for("c1")
    data = form_of(html(c1.get(f"/reports/{report_id}")), report_id)
    data["photos"] = [(io.BytesIO(b"not an image at all"), "image.jpg")]
    response = c1.post(f"/reports/{report_id}/rectify", data=data, content_type="multipart/form-data")
    assert 400 <= response.status_code < 500
    assert 'id="move-error"' in html(response)
    assert report_state(app, report_id)[0] == "dispatched"


def test_a_closed_report_shows_when_it_was_closed(app, browser_for, file_report):
    report_id = file_report()
    assert post_move(browser_for("c1"), report_id, "rectify", photos=1).status_code == 302
    assert post_move(browser_for("office"), report_id, "accept").status_code == 302
    page = html(browser_for("c1").get(f"/reports/{report_id}"))
    assert zh(app, "Closed on %(when)s", when="")[:3] in page and "还剩" not in page
    assert report_id not in item_ids(html(browser_for("c1").get("/community")))


def test_pages_read_in_english_too(app, browser_for, file_report):
    report_id = file_report()
    c1 = browser_for("c1")
    c1.set_cookie("lang", "en")
    page = html(c1.get(f"/reports/{report_id}"))
    assert "Mark as rectified" in page and "left" in page and "phone position" in page
    response = post_move(c1, report_id, "rectify", note="done")
    assert response.status_code == 400 and "Add at least one photo of the fixed problem." in html(response)
    assert "Open items" in html(c1.get("/community"))


def test_a_refused_move_from_a_queue_stays_on_the_queue_with_the_message(app, browser_for, file_report):
    """Issue 18: reject without a note from the verify queue: the queue again, the message at that report."""
    report_id, other_id = file_report(), file_report()
    c1, office = browser_for("c1"), browser_for("office")
    for rid in (report_id, other_id):
        assert post_move(c1, rid, "rectify", photos=1).status_code == 302
    queue = html(office.get("/office/queue/verify"))
    data = {
        "csrf_token": csrf_token_from(queue),
        "version": re.search(rf'/reports/{report_id}/accept".*?name="version" value="(\d+)"', queue, re.S)[1],
        "note": "  ",
        "next": "/office/queue/verify",
    }
    before = report_state(app, report_id)
    response = office.post(f"/reports/{report_id}/reject", data=data)
    assert response.status_code == 400
    page = html(response)
    assert zh(app, "To verify") in page.split("<h1>", 1)[1].split("</h1>", 1)[0]  # the queue, not the report
    assert f'data-id="{other_id}"' in page and 'id="move-error"' in page
    article = page.split(f'data-id="{report_id}"', 1)[1].split("</article>", 1)[0]
    assert "data-move-error" in article and zh(app, "Write a note that explains this decision.") in article
    assert "data-move-error" not in page.split(f'data-id="{other_id}"', 1)[1].split("</article>", 1)[0]
    assert report_state(app, report_id) == before


def test_back_to_the_list_returns_to_the_list_the_report_was_opened_from(app, browser_for, file_report):
    """Issue 18: 返回列表 leads to the queue, breakdown or search the report was opened from; a `back` that
    is not a path on this site is ignored (the home page), and a move made on the page keeps it."""
    report_id = file_report()
    office = browser_for("office")
    assert post_move(browser_for("c1"), report_id, "rectify", photos=1).status_code == 302
    queue = html(office.get("/office/queue/verify"))
    link = f"/reports/{report_id}?back=/office/queue/verify"
    assert f'href="{link}"' in queue
    page = html(office.get(link))
    assert re.search(r'<a href="/office/queue/verify" id="back">', page)
    for back in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        page = html(office.get(f"/reports/{report_id}", query_string={"back": back}))
        assert re.search(r'<a href="/" id="back">', page), back
    # A refused move on the page keeps the way back; a move that works returns to the page with it.
    data = {**form_of(html(office.get(link)), report_id), "back": "/map?status=rectified"}
    refused = office.post(f"/reports/{report_id}/reject", data={**data, "note": ""})
    assert refused.status_code == 400 and 'id="back"' in html(refused)
    assert re.search(r'<a href="/map\?status=rectified" id="back">', html(refused))
    done = office.post(f"/reports/{report_id}/accept", data=data)
    assert done.status_code == 302 and done.headers["Location"].endswith(
        f"/reports/{report_id}?back=/map?status%3Drectified"
    )


def test_the_favicon_is_the_app_icon(client):
    """Issue 18: /favicon.ico answered 404 on every page."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/x-icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in response.headers["Cache-Control"]


def test_the_office_home_lists_the_most_overdue_communities_and_links_the_rest(
    app, browser_for, make_report, people, monkeypatch
):
    from fieldcheck.home import views as home_views

    past = datetime.now(UTC) - timedelta(days=2)
    for community, n in (("C001", 1), ("C002", 3), ("C003", 2)):
        for _ in range(n):
            make_report(community=community, due_at=past)
    monkeypatch.setattr(home_views, "LAGGING_SHOWN", 2)
    page = html(browser_for("office").get("/office"))
    assert count_rows(page) == {"C002": [3, 3], "C003": [2, 2]}  # the most overdue first, two shown
    more = re.search(r'<p id="lagging-more">(.*?)</p>', page, re.S).group(1)
    assert "还有 1 个社区有逾期问题" in more and "/search?overdue=1" in more
    monkeypatch.setattr(home_views, "LAGGING_SHOWN", 3)
    page = html(browser_for("office").get("/office"))
    assert len(count_rows(page)) == 3 and 'id="lagging-more"' not in page
