"""Issue 15: the holiday calendar in the browser: a year as month grids, edited in a form or uploaded,
and the admin home's warning when next year is missing after November."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fieldcheck.audit import AuditEntry
from fieldcheck.calendar import services as calendar_services
from fieldcheck.calendar.models import CalendarYear
from fieldcheck.extensions import db
from tests.conftest import csrf_token_from, login


@pytest.fixture
def staff(client, district, make_user):
    make_user("office", username="office")
    make_user("admin", username="admin")
    make_user("inspector", username="insp")


def browser(app, username):
    c = app.test_client()
    assert login(c, username).status_code == 302
    return c


def test_a_year_is_shown_as_month_grids_to_the_office(app, staff):
    office = browser(app, "office")
    html = office.get("/admin/calendar/2026").get_data(as_text=True)
    assert html.count('class="month-grid"') == 12
    assert '<td class="day holiday" data-day="2026-10-01" title="国庆节">1</td>' in html
    assert '<td class="day makeup" data-day="2026-10-10"' in html
    assert '<td class="day weekend" data-day="2026-10-11"' in html
    assert 'id="calendar-form"' not in html  # the office reads
    assert browser(app, "insp").get("/admin/calendar/2026").status_code == 403
    assert office.get("/admin/calendar/99999").status_code == 404


def test_admin_adds_next_year_in_the_form(app, staff):
    admin = browser(app, "admin")
    page = admin.get("/admin/calendar/2027").get_data(as_text=True)
    assert 'id="year-not-loaded"' in page
    form = {
        "csrf_token": csrf_token_from(page),
        "source": "国务院办公厅关于2027年部分节假日安排的通知",
        "name_0": "元旦",
        "from_0": "2027-01-01",
        "to_0": "2027-01-03",
        "name_1": "春节",
        "from_1": "2027-02-06",
        "to_1": "2027-02-13",
        "workdays": "2027-02-20\n2027-01-31",
    }
    response = admin.post("/admin/calendar/2027", data=form)
    assert response.status_code == 302
    with app.app_context():
        loaded = calendar_services.year_file(2027)
        assert len(loaded.holidays) == 3 + 8 and loaded.workdays[0].isoformat() == "2027-01-31"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "calendar.update"))
        assert entry.actor == "admin" and entry.target == "calendar:2027"
        assert entry.changes["holidays"] == [None, 11]
    html = admin.get("/admin/calendar/2027").get_data(as_text=True)
    assert 'id="year-not-loaded"' not in html
    assert 'data-day="2027-02-10" title="春节"' in html
    assert 'value="2027-02-06"' in html  # the form shows the holiday as a range


def test_a_bad_form_names_each_problem_and_stores_nothing(app, staff):
    admin = browser(app, "admin")
    token = csrf_token_from(admin.get("/admin/calendar/2026").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "source": "x",
        "name_0": "国庆节",
        "from_0": "2026-10-07",
        "to_0": "2026-10-01",
        "name_1": "",
        "from_1": "2026-05-01",
        "workdays": "2026-10-12",
    }
    response = admin.post("/admin/calendar/2026", data=form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "holiday 国庆节: from 2026-10-07 is after to 2026-10-01" in html
    assert "holiday 2: missing name" in html
    assert "workday 2026-10-12: is a Monday" in html
    with app.app_context():
        assert len(calendar_services.year_file(2026).holidays) == 33  # unchanged


def test_admin_uploads_a_calendar_file(app, staff):
    admin = browser(app, "admin")
    token = csrf_token_from(admin.get("/admin/calendar").get_data(as_text=True))
    text = "year: 2028\nsource: test\nholidays:\n  - {name: 元旦, from: 2028-01-01}\nworkdays: []\n"
    response = admin.post(
        "/admin/calendar",
        data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "calendar-2028.yaml")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/calendar/2028")
    bad = admin.post(
        "/admin/calendar",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(b"year: 2028\nsource: t\nworkdays: [2028-01-03]\n"), "b.yaml"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and 'data-line="3"' in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CalendarYear, 2028).source_name == "test"


@pytest.mark.parametrize(
    ("now", "warned"),
    [(datetime(2026, 10, 31, 12, tzinfo=UTC), False), (datetime(2026, 11, 1, 0, tzinfo=UTC), True)],
)
def test_admin_home_warns_when_next_year_is_missing_after_november(app, staff, clock, now, warned):
    clock.set(now)  # 2026-11-01 00:00 UTC is 08:00 on the 1st in Shanghai
    admin = browser(app, "admin")
    html = admin.get("/admin").get_data(as_text=True)
    assert ('id="calendar-missing"' in html) is warned
    if warned:
        with app.app_context():
            db.session.add(CalendarYear(year=2027, source_name="x"))
            db.session.commit()
        assert 'id="calendar-missing"' not in admin.get("/admin").get_data(as_text=True)
