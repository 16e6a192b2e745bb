"""The capture page as a plain form (no scripts): it files through the same service as the API."""

from __future__ import annotations

import io
import json
import re
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from fieldcheck.extensions import db
from tests.conftest import PHOTOS, csrf_token_from, login
from tests.photo_factory import jpeg
from tests.web.reporting import INSIDE_C001, blob_files, counts, token_for


@pytest.fixture
def inspector(client, district, make_user):
    make_user("inspector", username="insp")
    login(client, "insp")
    return client


def form_fields(page_html: str, **overrides):
    data = {
        "csrf_token": csrf_token_from(page_html),
        "client_id": str(uuid.uuid4()),
        "item_code": "ENV-02",
        "lat": "34.655",
        "lon": "112.405",
        "accuracy_m": "10",
        "location_source": "device",
        "instances": "2",
        "note": "",
    }
    data.update(overrides)
    return data


def test_inspector_lands_on_the_capture_page(client, district, make_user):
    make_user("inspector", username="insp")
    response = login(client, "insp")
    assert response.headers["Location"].endswith("/inspector")
    html = client.get("/inspector").get_data(as_text=True)
    assert 'name="photos"' in html and 'capture="environment"' in html
    for field in (
        "item_code",
        "lat",
        "lon",
        "accuracy_m",
        "location_source",
        "instances",
        "note",
        "client_id",
    ):
        assert f'name="{field}"' in html, field
    assert "楼道卫生不洁" in html  # the checklist, in Chinese


def test_form_post_files_a_report_and_shows_it_in_my_list(app, inspector):
    page = inspector.get("/inspector").get_data(as_text=True)
    data = form_fields(page)
    data["photos"] = [(io.BytesIO(jpeg()), "image.jpg")]
    response = inspector.post("/inspector/reports", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/inspector/mine")
    mine = inspector.get("/inspector/mine").get_data(as_text=True)
    assert "楼道卫生不洁" in mine and "待整改" in mine and "王城社区" in mine
    assert counts(app)["report"] == 1
    # Each item opens its page: status, deadline and history (and, on a revisit, verification).
    link = re.search(r'href="(/reports/\d+)\?back=/inspector/mine"', mine).group(1)
    assert inspector.get(link).status_code == 200


def test_form_post_without_csrf_is_refused(app, inspector):
    page = inspector.get("/inspector").get_data(as_text=True)
    data = form_fields(page)
    data.pop("csrf_token")
    data["photos"] = [(io.BytesIO(jpeg()), "image.jpg")]
    assert (
        inspector.post("/inspector/reports", data=data, content_type="multipart/form-data").status_code == 400
    )
    assert counts(app)["report"] == 0


@pytest.mark.parametrize(
    ("overrides", "photo", "message"),
    [
        ({}, b"not an image", "文件不是照片"),
        ({}, None, "请至少添加一张照片"),
        ({"item_code": "NOPE-1"}, "jpeg", "没有测评项目 NOPE-1"),
        ({"lat": "200"}, "jpeg", "lat 必须在 -90 到 90 之间"),
        ({"instances": "0"}, "jpeg", "问题处数必须是 1 到 999 之间的整数"),
    ],
)
def test_form_errors_are_readable_pages_and_leave_nothing(app, inspector, overrides, photo, message):
    page = inspector.get("/inspector").get_data(as_text=True)
    data = form_fields(page, **overrides)
    if photo is not None:
        data["photos"] = [(io.BytesIO(jpeg() if photo == "jpeg" else photo), "image.jpg")]
    before = counts(app)
    response = inspector.post("/inspector/reports", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert 'id="report-form"' in html  # the form is shown again, with what was typed
    assert counts(app) == before


def test_visit_from_the_form(app, inspector):
    page = inspector.get("/inspector").get_data(as_text=True)
    data = form_fields(page)
    del data["item_code"]
    response = inspector.post("/inspector/visits", data=data)
    assert response.status_code == 302


def test_other_roles_cannot_open_the_capture_page(client, district, make_user):
    make_user("office", username="office")
    login(client, "office")
    assert client.get("/inspector").status_code == 403
    assert client.get("/inspector/mine").status_code == 403


REAL = [
    ("gps/DSCN0010.jpg", 43.467448, 11.885127),
    ("hdr/iphone_hdr_YES.jpg", 40.446972, -3.724753),
    ("heic/IMG_5195.HEIC", 39.051344, -94.288772),
    ("mobile/HMD_Nokia_8.3_5G.jpg", 60.146706, 24.906772),
]


@pytest.mark.parametrize(("name", "lat", "lon"), REAL)
def test_real_photos_through_the_upload_path(app, client, district, make_user, name, lat, lon):
    path = PHOTOS / name
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared test photos are not in this checkout)")
    make_user("inspector", username="insp")
    headers = token_for(client, "insp")
    data = {
        "client_id": str(uuid.uuid4()),
        "item_code": "ENV-01",
        "community": "C001",
        "photos": [(io.BytesIO(path.read_bytes()), Path(name).name)],
    }
    response = client.post("/api/v1/reports", data=data, headers=headers, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    photo = body["photos"][0]
    assert photo["exif"]["lat"] == pytest.approx(lat, abs=1e-5)
    assert photo["exif"]["lon"] == pytest.approx(lon, abs=1e-5)
    # The EXIF position is far outside the demo district: it is used, and lies outside every boundary
    # unless the inspector chose a community by hand, as here.
    assert body["location"]["location_source"] == "exif"
    assert body["community"]["code"] == "C001"
    assert "community_chosen" in body["flags"]
    display = client.get(photo["urls"]["display"], headers=headers)
    assert display.status_code == 200 and display.headers["Content-Type"] == "image/jpeg"
    assert len(blob_files(app)) == 3


def test_corrupted_real_photo_keeps_the_photo_or_refuses_cleanly(app, client, district, make_user):
    files = sorted((PHOTOS / "tests").glob("*.jp*g")) + sorted((PHOTOS / "invalid").glob("*.jpg"))
    if not files:
        pytest.skip("the shared test photos are not in this checkout")
    make_user("inspector", username="insp")
    headers = token_for(client, "insp")
    for path in files:
        data = {
            "client_id": str(uuid.uuid4()),
            "item_code": "ENV-01",
            "community": "C001",
            "photos": [(io.BytesIO(path.read_bytes()), path.name)],
        }
        response = client.post(
            "/api/v1/reports", data=data, headers=headers, content_type="multipart/form-data"
        )
        assert response.status_code in (201, 400), (path.name, response.status_code)


# --------------------------------------------------------------------------------------------------
# Without scripts, "Inspected, no problem" posts the report form (with its position and community)


class FormReader(HTMLParser):
    """The controls of #report-form as a browser would submit them, and its submit buttons."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # > 0 inside #report-form
        self.fields: dict[str, str] = {}
        self.buttons: list[dict] = []
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "report-form":
            self.depth = 1
            return
        if not self.depth:
            return
        if tag == "form":
            self.depth += 1
        elif tag == "button":
            self.buttons.append(a)
        elif tag == "input" and a.get("type") not in ("file", "radio", "search") and a.get("name"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self.select = a.get("name")
            self.fields[self.select] = ""
        elif tag == "textarea":
            self.fields[a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "form" and self.depth:
            self.depth -= 1
        elif tag == "select":
            self.select = None


def read_form(html: str) -> FormReader:
    reader = FormReader()
    reader.feed(html)
    return reader


def visits(app) -> list:
    from fieldcheck.reports.models import Visit

    with app.app_context():
        rows = db.session.scalars(select(Visit).order_by(Visit.id)).all()
        return [(v.location_source, v.community.code if v.community else None, v.lat, v.lon) for v in rows]


def test_the_visit_button_submits_the_report_form_to_the_visits_route(inspector):
    form = read_form(inspector.get("/inspector").get_data(as_text=True))
    [visit] = [b for b in form.buttons if b.get("formaction")]
    assert visit["formaction"] == "/inspector/visits"
    assert "formnovalidate" in visit and visit.get("type") == "submit"
    # The default button (first in the form) still files a report.
    assert form.buttons[0].get("type") == "submit" and not form.buttons[0].get("formaction")
    for name in (
        "csrf_token",
        "client_id",
        "lat",
        "lon",
        "accuracy_m",
        "location_source",
        "community",
        "spot",
    ):
        assert name in form.fields, name


def test_a_visit_without_scripts_carries_the_community_chosen_in_the_form(app, inspector):
    form = read_form(inspector.get("/inspector").get_data(as_text=True))
    data = dict(form.fields, community="C003")  # no position without scripts: the community picker
    data["photos"] = (io.BytesIO(b""), "")  # an empty file field, as browsers send it
    response = inspector.post("/inspector/visits", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert visits(app) == [("manual", "C003", None, None)]


def test_a_visit_without_scripts_carries_the_position_of_a_re_rendered_form(app, inspector):
    page = inspector.get("/inspector").get_data(as_text=True)
    # A report refused by the server re-renders the form with the position it had.
    refused = form_fields(page, lat=str(INSIDE_C001[0]), lon=str(INSIDE_C001[1]), item_code="NOPE-1")
    refused["photos"] = [(io.BytesIO(jpeg()), "image.jpg")]
    again = inspector.post("/inspector/reports", data=refused, content_type="multipart/form-data")
    assert again.status_code == 400
    form = read_form(again.get_data(as_text=True))
    assert form.fields["lat"] == str(INSIDE_C001[0]) and form.fields["location_source"] == "device"
    response = inspector.post("/inspector/visits", data=form.fields, content_type="multipart/form-data")
    assert response.status_code == 302
    assert visits(app) == [("device", "C001", pytest.approx(INSIDE_C001[0]), pytest.approx(INSIDE_C001[1]))]


# --------------------------------------------------------------------------------------------------
# Offline support: the shell's ETag, the service worker, the manifest, the session check


def test_the_capture_page_revalidates_with_an_etag_that_ignores_tokens(client, district, make_user):
    make_user("inspector", username="insp")
    make_user("inspector", username="insp2", display_name="Other Inspector")
    login(client, "insp")
    first, second = client.get("/inspector"), client.get("/inspector")
    assert first.headers["Cache-Control"] == "no-store"  # never replayed by the browser's own cache
    ids = [read_form(r.get_data(as_text=True)).fields["client_id"] for r in (first, second)]
    assert ids[0] != ids[1]
    assert first.headers["ETag"] == second.headers["ETag"]
    unchanged = client.get("/inspector", headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.data == b""
    client.post("/logout", data={"csrf_token": csrf_token_from(first.get_data(as_text=True))})
    login(client, "insp2")
    other = client.get("/inspector", headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200 and other.headers["ETag"] != first.headers["ETag"]


def test_the_service_worker_controls_the_inspector_pages(client, district):
    response = client.get("/inspector/sw.js")  # public, as browsers check it for updates
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/inspector"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    config = json.loads(body[len("self.FC = ") : body.index(";\n")])
    assert config["shell"] == "/inspector" and config["session"] == "/inspector/session.json"
    for url in config["static"]:
        assert client.get(url).status_code == 200, url
    assert "addEventListener('fetch'" in body
    again = client.get("/inspector/sw.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_manifest_makes_an_installable_app(client, district):
    response = client.get("/inspector/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["start_url"] == "/inspector" and manifest["scope"] == "/inspector"
    assert manifest["display"] == "standalone"
    assert manifest["name"] == "文明城市督查"
    sizes = set()
    for icon in manifest["icons"]:
        file = client.get(icon["src"])
        assert file.status_code == 200, icon["src"]
        if icon["type"] == "image/png":
            with Image.open(io.BytesIO(file.data)) as image:
                assert f"{image.width}x{image.height}" == icon["sizes"]
            sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes


def test_the_queue_gets_a_fresh_csrf_token_or_a_401(app, client, district, make_user):
    gone = client.get("/inspector/session.json")
    assert gone.status_code == 401
    assert gone.get_json()["error"]["code"] == "unauthorized"
    assert gone.headers["Cache-Control"] == "no-store"
    user = make_user("inspector", username="insp")
    login(client, "insp")
    session = client.get("/inspector/session.json").get_json()
    assert session["user"] == user.id
    data = {
        "client_id": str(uuid.uuid4()),
        "item_code": "ENV-02",
        "lat": str(INSIDE_C001[0]),
        "lon": str(INSIDE_C001[1]),
        "observed_at": "2026-11-27T08:00:00+08:00",
    }

    def send(headers):
        form = dict(data, photos=(io.BytesIO(jpeg()), "a1b2c3d4-1.jpg"))
        return client.post("/api/v1/reports", data=form, headers=headers, content_type="multipart/form-data")

    refused = send({})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf"
    headers = {"X-CSRFToken": session["csrf_token"], "Accept": "application/json"}
    assert send(headers).status_code == 201
    assert send(headers).status_code == 200  # a resend is the same report
    assert counts(app)["report"] == 1
    client.post("/logout", data={"csrf_token": session["csrf_token"]})
    expired = send(headers)
    assert expired.status_code == 401 and expired.get_json()["error"]["code"] == "unauthorized"


def test_my_reports_lists_the_fixes_to_check_on_a_revisit(app, inspector, make_user):
    page = inspector.get("/inspector").get_data(as_text=True)
    data = form_fields(page)
    data["photos"] = [(io.BytesIO(jpeg()), "image.jpg")]
    inspector.post("/inspector/reports", data=data, content_type="multipart/form-data")
    assert 'id="to-verify"' not in inspector.get("/inspector/mine").get_data(as_text=True)
    make_user("community", username="c1", community="C001")
    staff = app.test_client()  # its own client: the inspector's session cookie would win over a token
    report_id = inspector.get("/api/v1/reports").get_json()["reports"][0]["id"]
    fixed = staff.post(
        f"/api/v1/reports/{report_id}/rectify",
        headers=token_for(staff, "c1"),
        content_type="multipart/form-data",
        data={"note": "已清理", "photos": [(io.BytesIO(jpeg(seed=9)), "after.jpg")]},
    )
    assert fixed.status_code == 200, fixed.get_json()
    mine = inspector.get("/inspector/mine").get_data(as_text=True)
    section = mine.split('id="to-verify"', 1)[1].split("</section>", 1)[0]
    assert f'href="/reports/{report_id}?back=/inspector/mine"' in section and "已整改：下次巡查时核验" in mine
