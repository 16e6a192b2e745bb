"""fieldcheck.api.parse: a request model's pydantic errors become the API's 400, and a route parses with the
very model its description names (so a constraint changed on the model changes the spec and the 400)."""

from __future__ import annotations

from typing import Literal

import pytest
from flask import Blueprint, Flask
from flask_babel import Babel
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from fieldcheck.api import parse
from fieldcheck.api.describe import documented, optional
from fieldcheck.api.schemas import MonthText
from fieldcheck.api.spec import build
from fieldcheck.errors import N_
from fieldcheck.web import register_error_handlers


class Item(BaseModel):
    id: int


class Sample(parse.Fields):
    model_config = ConfigDict(extra="forbid")

    name: str = optional()
    count: parse.Whole = optional(ge=1, le=5)
    share: parse.Number = optional(ge=0, le=1)
    kind: Literal["a", "b"] = optional()
    month: MonthText = optional()
    items: list[Item] = optional()
    a: str = optional()
    b: str = optional()

    @model_validator(mode="after")
    def _a_with_b(self) -> Sample:
        if (self.a is None) != (self.b is None):
            raise parse.rule(N_("Send a and b together."))
        return self


def refused(data: object, **how) -> parse.Invalid:
    with pytest.raises(parse.Invalid) as caught:
        parse.validated(Sample, data, **how)
    return caught.value


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": 3}, "name", "name must be text."),
        ({"count": "two"}, "count", "count must be a whole number."),
        ({"count": True}, "count", "count must be a whole number."),
        ({"count": "３"}, "count", "count must be a whole number."),  # fullwidth digits are not ASCII
        ({"count": 9}, "count", "count is out of range: le 5."),
        ({"share": "NaN"}, "share", "share must be a number."),
        ({"kind": "c"}, "kind", "kind must be one of 'a' or 'b'."),
        ({"nope": 1}, "nope", "Unknown field nope."),
        ({"items": [{"id": "x"}]}, "items.0.id", "items.0.id must be a whole number."),
        ({"a": "x"}, None, "Send a and b together."),
    ],
)
def test_the_first_problem_names_its_field(data, field, message):
    error = refused(data)
    assert (error.status, error.code, error.message) == (400, "invalid", message)
    assert error.details == ({"field": field} if field else {})


@pytest.mark.parametrize("value", [float("inf"), float("nan"), "1e999", "inf", True])
def test_a_number_is_finite_and_never_a_boolean(value):
    assert refused({"share": value}).details == {"field": "share"}


def test_codes_follow_the_field_or_the_route():
    assert refused({"count": "x"}, code="invalid_{field}").code == "invalid_count"
    assert refused({"items": [{"id": "x"}]}, code="invalid_{field}").code == "invalid_items"
    assert refused({"a": "x"}, code="invalid_{field}", codes={"": "invalid_pair"}).code == "invalid_pair"
    assert refused({"kind": "c"}, code="bad_{field}", codes={"kind": "bad_choice"}).code == "bad_choice"


def test_a_body_that_is_not_an_object():
    assert (refused([1]).code, refused([1]).message) == ("invalid", "Send a JSON object.")
    assert refused(None, not_object=("invalid_json", "Send JSON.")).code == "invalid_json"


def test_a_domain_parser_inside_the_model_refuses_with_its_own_error():
    error = refused({"month": "2026-13"}, code="invalid_{field}")
    assert error.code == "bad_month"


def test_blank_values_of_fields_that_are_not_text_are_absent_and_text_is_kept():
    sent = parse.validated(Sample, {"count": " ", "share": "", "kind": "", "month": "", "name": ""})
    assert (sent.count, sent.share, sent.kind, sent.month, sent.name) == (None, None, None, None, "")
    assert parse.validated(Sample, {"count": " 3 ", "share": "0.5"}).count == 3


def test_the_refusal_of_any_validation_error_is_an_invalid():
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate({"count": 0, "kind": "z"})
    error = parse.refusal(caught.value.errors(include_url=False), code="invalid_{field}")
    assert (error.code, error.details) == ("invalid_count", {"field": "count"})  # the first problem


# --- the model is the parser: the spec and the 400 come from one constraint -----------------------------


def small_app(limit: int) -> Flask:
    class Paging(parse.Fields):
        size: parse.Whole = optional(ge=1, le=limit)

    class Other(parse.Fields):
        size: int = optional()

    app = Flask(__name__)
    bp = Blueprint("api", __name__, url_prefix="/api/v1")

    @bp.get("/things")
    @documented("Things", query=Paging)
    def things():
        return {"size": parse.query(Paging, code="bad_{field}").size}

    @bp.get("/others")
    @documented("Others", query=Paging)
    def others():
        return {"size": parse.query(Other).size}  # not the model it documents

    app.register_blueprint(bp)
    Babel(app)
    register_error_handlers(app)
    return app


@pytest.mark.parametrize("limit", [5, 50])
def test_a_constraint_on_the_model_is_both_described_and_enforced(limit):
    app = small_app(limit)
    (size,) = build(app)["paths"]["/things"]["get"]["parameters"]
    assert size["schema"]["maximum"] == limit
    client = app.test_client()
    assert client.get(f"/api/v1/things?size={limit}").get_json() == {"size": limit}
    refused = client.get(f"/api/v1/things?size={limit + 1}")
    assert refused.status_code == 400
    assert refused.get_json()["error"] == {
        "code": "bad_size",
        "message": f"size is out of range: le {limit}.",
        "field": "size",
    }


def test_a_route_cannot_parse_with_a_model_it_does_not_document():
    app = small_app(5)
    with app.test_request_context("/api/v1/others?size=1"), pytest.raises(LookupError):
        app.view_functions["api.others"]()
