"""/api/v1/openapi.json: served without a token, and it documents every route of the API.

The route test walks app.url_map, so an endpoint added without documentation fails here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

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
    assert missing == [], f"routes without @documented(...) (fieldcheck/api/describe.py): {missing}"


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
        # 503: the store failing (reading a file, or storing a display copy made on its first view).
        ("/photos/{photo_id}/{variant}", "get", {"200", "400", "401", "403", "404", "503"}),
    ],
)
def test_report_routes_state_their_answers(path, method, statuses):
    assert set(SPEC["paths"][path][method]["responses"]) == statuses


def test_documented_report_fields_match_what_the_api_answers(client, people):
    """The Report, Photo, Event and Visit schemas name exactly the fields the API answers with."""
    body = post_report(client, people["insp"]).get_json()
    detail = client.get(f"/api/v1/reports/{body['id']}", headers=people["office"]).get_json()
    schemas = SPEC["components"]["schemas"]

    def fields(schema: dict) -> set[str]:
        """The properties of a schema, through a $ref to a named one."""
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        return set(schema["properties"])

    photo = schemas["Photo"]["properties"]
    assert set(detail) == fields(schemas["Report"])
    assert set(detail["location"]) == fields(schemas["Report"]["properties"]["location"])
    assert set(detail["events"][0]) == fields(schemas["Event"])
    assert set(detail["photos"][0]) == set(photo)
    assert set(detail["photos"][0]["exif"]) == fields(photo["exif"])
    assert set(detail["photos"][0]["urls"]) == fields(photo["urls"])  # office: with the original
    form = report_form(item_code=None)
    visit = client.post("/api/v1/visits", data=form, headers=people["insp"]).get_json()
    assert set(visit) == set(schemas["Visit"]["properties"])


class Reading(dict):
    """A form that remembers which fields were read."""

    def __init__(self, fields: dict) -> None:
        super().__init__(fields)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)


def form_properties(path: str) -> set[str]:
    return set(
        SPEC["paths"][path]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    )


def test_documented_form_fields_are_the_ones_intake_reads():
    now = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    form = Reading(
        {k: v for k, v in report_form().items() if k != "photos"} | {"observed_at": now.isoformat()}
    )
    intake.parse_submission(form, now)
    assert form.read >= {"client_id", "item_code", "lat", "community", "spot"}  # the spy sees the reads
    assert form_properties("/reports") == form.read | {"photos"}
    assert form_properties("/visits") == form.read - {"item_code", "instances"} | {"photos"}


def test_every_operation_documents_the_guard():
    """Any route may answer 400 bad_input (web.register_input_guard); every secured one 401."""
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            assert "400" in operation["responses"], (path, method)
            if operation.get("security", SPEC["security"]):
                assert "401" in operation["responses"], (path, method)
    assert SPEC["paths"]["/openapi.json"]["get"]["security"] == []
    assert "401" not in SPEC["paths"]["/openapi.json"]["get"]["responses"]


def test_two_different_models_may_not_share_a_name():
    from pydantic import BaseModel

    from fieldcheck.api.spec import Components

    class Item(BaseModel):
        code: str

    class Other(BaseModel):
        item: Item

    components = Components()
    components.ref(Other)

    class Item(BaseModel):  # noqa: F811  (another model with the same name)
        code: int

    with pytest.raises(ValueError, match="named Item"):
        components.ref(Item)


def test_the_public_operations_are_the_ones_served_without_a_token(app):
    from fieldcheck.api.views import PUBLIC_ENDPOINTS

    public = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "openapi", None) is not None
        and app.view_functions[rule.endpoint].openapi.public
    }
    assert public == PUBLIC_ENDPOINTS
