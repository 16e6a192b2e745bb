"""The foundation API: communities, locate, checklist and error shapes."""

import pytest


@pytest.fixture
def api(client, district, make_user):
    make_user("inspector", username="insp")
    token = client.post(
        "/api/v1/auth/token", json={"username": "insp", "password": "pw-12345678"}
    ).get_json()["token"]

    def call(path):
        return client.get(path, headers={"Authorization": f"Bearer {token}"})

    return call


def test_communities_list(api):
    body = api("/api/v1/communities").get_json()
    codes = [c["code"] for c in body["communities"]]
    assert codes == ["C001", "C002", "C003", "C004"]
    first = body["communities"][0]
    assert first["name"] == "王城社区"
    assert first["subdistrict"] == {"code": "SD01", "name": "西工街道"}
    assert first["spot_types"] == ["RES", "ALY"]
    assert first["centroid"] == {"lat": pytest.approx(34.655), "lon": pytest.approx(112.405)}
    assert "boundary" not in first


def test_communities_with_geometry(api):
    body = api("/api/v1/communities?geometry=1").get_json()
    assert body["communities"][0]["boundary"]["type"] == "Polygon"


@pytest.mark.parametrize(
    ("lat", "lon", "code"),
    [
        (34.655, 112.405, "C001"),
        (34.655, 112.435, "C004"),
        (34.70, 112.405, None),
    ],
)
def test_locate(api, lat, lon, code):
    response = api(f"/api/v1/locate?lat={lat}&lon={lon}")
    assert response.status_code == 200
    community = response.get_json()["community"]
    assert (community["code"] if community else None) == code


@pytest.mark.parametrize(
    "query",
    [
        "lat=abc&lon=112.4",
        "lat=91&lon=112.4",
        "lat=34.6&lon=181",
        "lat=nan&lon=112.4",
        "lon=112.4",
        "lat=&lon=",
    ],
)
def test_locate_refuses_bad_coordinates(api, query):
    response = api(f"/api/v1/locate?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert error["message"]


def test_checklist_in_force(api):
    body = api("/api/v1/checklist?month=2026-11").get_json()
    assert body["label"] == "default-2026"
    assert body["field_total"] == 70
    assert body["found_by"]["city"] in ("1.5", 1.5)
    codes = {c["code"] for c in body["categories"]}
    assert {"ENV", "PRK", "TRF"} <= codes
    items = {i["code"]: i for c in body["categories"] for i in c["items"]}
    assert items["ENV-02"]["spot_types"] == ["RES"]
    assert set(items["ENV-02"]) >= {"code", "name_zh", "name_en", "spot_types", "severity", "points", "cap"}


def test_checklist_before_any_version_is_404(api):
    response = api("/api/v1/checklist?month=2020-01")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_checklist_bad_month_is_400(api):
    assert api("/api/v1/checklist?month=2026-13").status_code == 400


def test_api_needs_authentication(client, district):
    response = client.get("/api/v1/communities")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_unknown_api_route_is_json_404(api):
    response = api("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "query",
    ["community=C0%0001", "c%00ommunity=C001", "community=C0\x0001", "a=1&b=%2500&community=%00"],
)
def test_a_nul_in_the_query_is_refused_however_it_is_written(api, query):
    """The input guard parses the query only when its raw text can hold a NUL (a NUL byte or %00)."""
    answer = api(f"/api/v1/communities?{query}")
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "bad_input"


def test_a_query_without_a_nul_is_not_refused(api):
    assert api("/api/v1/communities?note=%2500&x=%C0%80&y=0%0A0").status_code == 200
