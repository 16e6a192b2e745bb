"""/api/v1/openapi.json: served without a token, and it documents every route of the API.

The route test walks app.url_map, so an endpoint added without documentation fails here.
"""

from __future__ import annotations

import inspect
import re

import pytest

from fieldcheck.reports import intake
from tests.openapi_spec import api_spec
from tests.web.reporting import post_report, report_form

SPEC = api_spec()

PREFIX = "/api/v1"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def openapi_path(rule: str) -> str:
    """Flask's /api/v1/reports/<int:report_id> as OpenAPI's /reports/{report_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule[len(PREFIX) :])


def api_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX + "/"):
            for method in rule.methods & METHODS:
                routes.add((openapi_path(rule.rule), method.lower()))
    return routes


def documented() -> set[tuple[str, str]]:
    return {
        (path, method) for path, item in SPEC["paths"].items() for method in item if method.upper() in METHODS
    }


def test_openapi_path_translation():
    assert openapi_path("/api/v1/reports/<int:report_id>") == "/reports/{report_id}"
    assert openapi_path("/api/v1/photos/<int:photo_id>/<variant>") == "/photos/{photo_id}/{variant}"


def test_every_api_route_is_documented(app):
    routes = api_routes(app)
    assert ("/reports", "post") in routes and (
        "/photos/{photo_id}/{variant}",
        "get",
    ) in routes  # the walk works
    missing = sorted(routes - documented())
    assert missing == [], f"routes missing from fieldcheck/api/openapi.py: {missing}"


def test_every_documented_route_exists(app):
    stale = sorted(documented() - api_routes(app))
    assert stale == []


def test_served_without_a_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    body = response.get_json()
    assert body["openapi"].startswith("3.") and body["paths"]["/reports"]["post"]["responses"]["409"]


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/reports", "post", {"200", "201", "400", "401", "403", "409", "413"}),
        ("/visits", "post", {"200", "201", "400", "401", "403", "409", "413"}),
        ("/reports", "get", {"200", "400", "401"}),
        # 400: any route may refuse a NUL or an unusable JSON number (web.register_input_guard).
        ("/reports/{report_id}", "get", {"200", "400", "401", "404"}),
        ("/photos/{photo_id}/{variant}", "get", {"200", "400", "401", "403", "404"}),
    ],
)
def test_report_routes_state_their_answers(path, method, statuses):
    assert set(SPEC["paths"][path][method]["responses"]) == statuses


def test_documented_report_fields_match_what_the_api_answers(client, people):
    """The Report, Photo, Event and Visit schemas name exactly the fields the API answers with."""
    body = post_report(client, people["insp"]).get_json()
    detail = client.get(f"/api/v1/reports/{body['id']}", headers=people["office"]).get_json()
    schemas = SPEC["components"]["schemas"]
    photo = schemas["Photo"]["properties"]
    assert set(detail) == set(schemas["Report"]["properties"])
    assert set(detail["location"]) == set(schemas["Report"]["properties"]["location"]["properties"])
    assert set(detail["events"][0]) == set(schemas["Event"]["properties"])
    assert set(detail["photos"][0]) == set(photo)
    assert set(detail["photos"][0]["exif"]) == set(photo["exif"]["properties"])
    assert set(detail["photos"][0]["urls"]) == set(photo["urls"]["properties"])  # office: with the original
    form = report_form(item_code=None)
    visit = client.post("/api/v1/visits", data=form, headers=people["insp"]).get_json()
    assert set(visit) == set(schemas["Visit"]["properties"])


def test_documented_form_fields_are_the_ones_intake_reads():
    read = set(re.findall(r'_(?:text|number)\(form, "(\w+)"', inspect.getsource(intake.parse_submission)))
    assert read >= {"client_id", "item_code", "lat", "community", "spot"}  # the pattern still finds them
    report_form_schema = SPEC["paths"]["/reports"]["post"]["requestBody"]["content"]["multipart/form-data"][
        "schema"
    ]
    visit_form_schema = SPEC["paths"]["/visits"]["post"]["requestBody"]["content"]["multipart/form-data"][
        "schema"
    ]
    assert set(report_form_schema["properties"]) == read | {"photos"}
    assert set(visit_form_schema["properties"]) == read - {"item_code", "instances"} | {"photos"}
