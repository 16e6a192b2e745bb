"""Unannounced inspection (暗访, issue #12): the office decides whether community and sub-district staff
see who inspected and the photos' EXIF; by default they see the level that found the problem, not the
person, and no camera, GPS or time from the photos. The office, admin and the inspector see everything;
original files stay the office's alone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from fieldcheck import settings
from fieldcheck.auth.models import User
from fieldcheck.errors import Invalid
from fieldcheck.extensions import db
from fieldcheck.reports.models import Photo
from tests.conftest import csrf_token_from
from tests.photo_factory import jpeg
from tests.web.reporting import INSIDE_C001, post_report

NAME = "张督查员"
EXIF_TIME = datetime(2026, 11, 20, 9, 30)


@pytest.fixture
def filed(app, client, people):
    """A report in C001 by the city inspector, its photo with GPS, time, make and model; then rectified."""
    with app.app_context():
        db.session.scalar(select(User).where(User.username == "insp")).display_name = NAME
        db.session.commit()
    photo = jpeg(lat=INSIDE_C001[0], lon=INSIDE_C001[1], taken_at=EXIF_TIME)
    response = post_report(client, people["insp"], photos=[photo])
    assert response.status_code == 201, response.get_json()
    report_id = response.get_json()["id"]
    with app.app_context():
        for row in db.session.scalars(select(Photo)):
            row.exif_make, row.exif_model = "HUAWEI", "ALN-AL00"
        db.session.commit()
    return report_id


def api_report(client, headers, report_id) -> dict:
    response = client.get(f"/api/v1/reports/{report_id}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def assert_hidden(body: dict) -> None:
    assert body["inspector"] == {"username": None, "display_name": None, "level": "city"}
    assert body["events"][0]["action"] == "file" and body["events"][0]["actor"] is None
    for photo in body["photos"]:
        assert photo["exif"] == {"lat": None, "lon": None, "taken_at": None, "make": None, "model": None}
        assert "original" not in photo["urls"]


def assert_shown(body: dict) -> None:
    assert body["inspector"] == {"username": "insp", "display_name": NAME, "level": "city"}
    assert body["events"][0]["actor"] == "insp"
    before = body["photos"][0]
    assert before["exif"]["make"] == "HUAWEI" and before["exif"]["model"] == "ALN-AL00"
    assert before["exif"]["lat"] == pytest.approx(INSIDE_C001[0], abs=1e-4)
    assert before["exif"]["taken_at"].startswith("2026-11-20")


def save_settings(client, **checked):
    page = client.get("/", follow_redirects=True)  # the office's or the administrator's home, with the form
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True))}
    data.update({key: "on" for key, on in checked.items() if on})
    return client.post("/settings", data=data)


def form(**flags) -> dict:
    return {
        settings.INSPECTOR: flags.get("inspector", False),
        settings.PHOTO_METADATA: flags.get("exif", False),
    }


@pytest.mark.parametrize("who", ["c1", "sd1"])
def test_by_default_the_staff_being_judged_see_the_level_not_the_inspector_nor_the_exif(
    client, people, filed, browser_for, who
):
    body = api_report(client, people[who], filed)
    assert_hidden(body)
    listed = client.get("/api/v1/reports", headers=people[who]).get_json()["reports"]
    assert_hidden(next(r for r in listed if r["id"] == filed))
    # The original, with its metadata, is the office's alone.
    photo_id = body["photos"][0]["id"]
    assert client.get(f"/api/v1/photos/{photo_id}/original", headers=people[who]).status_code == 403
    assert client.get(f"/api/v1/photos/{photo_id}/display", headers=people[who]).status_code == 200
    # The report page names the level (in Chinese by default), not the person.
    page = browser_for(who).get(f"/reports/{filed}").get_data(as_text=True)
    assert NAME not in page and "insp<" not in page and ">insp" not in page
    assert re.search(r'<span id="found-by">市级督查</span>', page)


@pytest.mark.parametrize("who", ["office", "admin", "insp"])
def test_the_office_admin_and_the_inspector_see_everything(client, people, filed, browser_for, who):
    assert_shown(api_report(client, people[who], filed))
    page = browser_for(who).get(f"/reports/{filed}").get_data(as_text=True)
    assert f'<span id="found-by">{NAME}</span>' in page


def test_the_office_discloses_the_inspector_and_the_exif_separately(client, people, filed, browser_for):
    office, c1 = browser_for("office"), browser_for("c1")
    response = save_settings(office, **form(inspector=True))
    assert response.status_code == 302 and response.location == "/office#settings"
    body = api_report(client, people["c1"], filed)
    assert body["inspector"]["username"] == "insp" and body["events"][0]["actor"] == "insp"
    assert body["photos"][0]["exif"]["make"] is None  # the EXIF is still hidden
    assert f'<span id="found-by">{NAME}</span>' in c1.get(f"/reports/{filed}").get_data(as_text=True)
    assert 'name="disclosure.inspector" checked' in office.get("/office").get_data(as_text=True)

    assert save_settings(browser_for("admin"), **form(exif=True)).location == "/admin#settings"
    body = api_report(client, people["sd1"], filed)
    assert body["inspector"]["username"] is None  # the admin's form turned the name off again
    assert body["photos"][0]["exif"]["make"] == "HUAWEI"
    photo_id = body["photos"][0]["id"]
    assert client.get(f"/api/v1/photos/{photo_id}/original", headers=people["sd1"]).status_code == 403

    save_settings(office, **form(inspector=True, exif=True))
    assert_shown(api_report(client, people["c1"], filed))


@pytest.mark.parametrize("who", ["c1", "sd1", "insp"])
def test_only_the_office_and_admin_change_the_settings(app, browser_for, people, who):
    client = browser_for(who)
    token = csrf_token_from(
        client.get("/", follow_redirects=True).get_data(as_text=True)
    )  # the logout form's
    response = client.post("/settings", data={"csrf_token": token, settings.INSPECTOR: "on"})
    assert response.status_code == 403
    with app.app_context():
        assert settings.get(settings.INSPECTOR) is False


def test_the_form_needs_its_csrf_token(app, browser_for):
    response = browser_for("office").post("/settings", data={settings.INSPECTOR: "on"})
    assert response.status_code == 400
    with app.app_context():
        assert settings.get(settings.INSPECTOR) is False


def test_settings_keep_their_types_and_who_changed_them(app, people):
    with app.app_context():
        office = db.session.scalar(select(User).where(User.username == "office"))
        with pytest.raises(Invalid):
            settings.set_values({"no.such.setting": True}, user_id=office.id)
        with pytest.raises(Invalid):
            settings.set_values({settings.INSPECTOR: "yes"}, user_id=office.id)
        now = datetime(2026, 12, 1, tzinfo=UTC)
        settings.set_values({settings.PHOTO_METADATA: True}, user_id=office.id, now=now)
        db.session.commit()
        row = db.session.get(settings.Setting, settings.PHOTO_METADATA)
        assert (row.value, row.updated_by_id, row.updated_at) == ("true", office.id, now)
        assert settings.values() == {
            settings.INSPECTOR: False,
            settings.PHOTO_METADATA: True,
            settings.ISSUER: "",
            settings.NUMBER_PATTERN: settings.DEFAULT_PATTERN,
        }
        db.session.remove()
