"""Generate /api/v1/openapi.json from the app's API routes and their ``@documented`` descriptions.

Paths and methods are read from Flask's URL map, so the document cannot name a route that does not exist;
a route without a description is left out (tests/web/test_openapi.py fails on it). Schemas are pydantic's
JSON Schema (2020-12, as OpenAPI 3.1 uses): request bodies and parameters inline, response models and
every nested model under components/schemas by class name (two different models may not share a name).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode

from .describe import ERROR, Answer, Error, Operation, Response

METHODS = ("get", "post", "put", "patch", "delete")
REF = "#/components/schemas/{model}"
ERROR_REF = {"$ref": "#/components/responses/Error"}
_PARAM = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")
_CONVERTED = {"int": {"type": "integer"}, "float": {"type": "number"}}


def openapi_path(rule: str, prefix: str) -> str:
    """Flask's /api/v1/reports/<int:report_id> as OpenAPI's /reports/{report_id}."""
    return _PARAM.sub(r"{\2}", rule.removeprefix(prefix))


class _Schemas(GenerateJsonSchema):
    def field_title_should_be_set(self, schema: Any) -> bool:
        return False  # a property's title would only repeat its name


class Components:
    """The named schemas collected while the operations are rendered."""

    def __init__(self) -> None:
        self.schemas: dict[str, dict] = {}

    def add(self, name: str, schema: dict) -> None:
        if self.schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two different API models are named {name}: rename one")

    def inline(self, model: type[BaseModel], mode: JsonSchemaMode = "validation") -> dict:
        schema = model.model_json_schema(ref_template=REF, schema_generator=_Schemas, mode=mode)
        for name, nested in schema.pop("$defs", {}).items():
            self.add(name, nested)
        return schema

    def ref(self, model: type[BaseModel]) -> dict:
        self.add(model.__name__, self.inline(model, "serialization"))
        return {"$ref": REF.format(model=model.__name__)}


def _parameters(model: type[BaseModel] | None, where: str, components: Components) -> list[dict]:
    if model is None:
        return []
    schema = components.inline(model)
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        description = prop.pop("description", "")
        param = {"name": name, "in": where, "required": where == "path" or name in required, "schema": prop}
        if description:
            param["description"] = description
        out.append(param)
    return out


def _path_parameters(rule: str, model: type[BaseModel] | None, components: Components) -> list[dict]:
    """Every variable of the rule, typed by its converter unless ``model`` describes it."""
    described = {p["name"]: p for p in _parameters(model, "path", components)}
    return [
        described.get(name)
        or {
            "name": name,
            "in": "path",
            "required": True,
            "schema": dict(_CONVERTED.get(conv, {"type": "string"})),
        }
        for conv, name in _PARAM.findall(rule)
    ]


def _answer(answer: Response, components: Components) -> dict:
    if answer is ERROR:
        return dict(ERROR_REF)
    if isinstance(answer, str):
        return {"description": answer}
    if not isinstance(answer, Answer):
        answer = Answer("OK", answer)
    out: dict = {"description": answer.description}
    if answer.media:
        schema = {"schema": components.ref(answer.model)} if answer.model else {}
        out["content"] = {media: dict(schema) for media in answer.media}
    if answer.headers:
        out["headers"] = dict(answer.headers)
    return out


def render(op: Operation, rule: str, components: Components) -> dict:
    """One operation of the document."""
    out: dict = {"summary": op.summary}
    if op.description:
        out["description"] = op.description
    parameters = _path_parameters(rule, op.path, components) + _parameters(op.query, "query", components)
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        schema = components.inline(op.body)
        out["requestBody"] = {"content": {media: {"schema": schema} for media in op.media}}
        if op.body_required:
            out["requestBody"]["required"] = True
    out["responses"] = {str(status): _answer(a, components) for status, a in sorted(op.responses.items())}
    if op.public:
        out["security"] = []
    return out


def build(app: Flask, blueprint: str = "api") -> dict:
    """The OpenAPI document of one blueprint's documented routes."""
    prefix = app.blueprints[blueprint].url_prefix or ""
    components = Components()
    components.ref(Error)
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        operation = getattr(app.view_functions.get(rule.endpoint), "openapi", None)
        if rule.endpoint.partition(".")[0] != blueprint or operation is None:
            continue
        item = paths.setdefault(openapi_path(rule.rule, prefix), {})
        for method in sorted(m.lower() for m in rule.methods or ()):
            if method in METHODS:
                item[method] = render(operation, rule.rule, components)
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "fieldcheck API", "version": "1"},
        "servers": [{"url": prefix}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": dict(sorted(components.schemas.items())),
            "responses": {
                "Error": {
                    "description": "Error",
                    "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
                }
            },
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
    _every_operation_documents_the_guard(spec)
    return spec


def spec_for(app: Flask) -> dict:
    """The app's document, built on first use (the routes do not change while it runs)."""
    spec = app.extensions.get("fieldcheck.openapi")
    if spec is None:
        spec = app.extensions["fieldcheck.openapi"] = build(app)
    return spec


def _every_operation_documents_the_guard(spec: dict) -> None:
    """Any route may answer 400 bad_input (web.register_input_guard), and any secured one 401."""
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            operation["responses"].setdefault("400", dict(ERROR_REF))
            if operation.get("security", spec["security"]):
                operation["responses"].setdefault("401", dict(ERROR_REF))
