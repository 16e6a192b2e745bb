"""The capture page as a plain form (no scripts): it files through the same service as the API."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest

from tests.conftest import PHOTOS, csrf_token_from, login
from tests.photo_factory import jpeg
from tests.web.reporting import blob_files, counts, token_for


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
    for field in ("item_code", "lat", "lon", "accuracy_m", "location_source", "instances", "note", "client_id"):
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


def test_form_post_without_csrf_is_refused(app, inspector):
    page = inspector.get("/inspector").get_data(as_text=True)
    data = form_fields(page)
    data.pop("csrf_token")
    data["photos"] = [(io.BytesIO(jpeg()), "image.jpg")]
    assert inspector.post("/inspector/reports", data=data, content_type="multipart/form-data").status_code == 400
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
        response = client.post("/api/v1/reports", data=data, headers=headers, content_type="multipart/form-data")
        assert response.status_code in (201, 400), (path.name, response.status_code)
