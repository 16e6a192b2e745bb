"""The OpenAPI description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    },
}


def _get(summary: str, params: list | None = None) -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": params or [],
            "responses": {"200": {"description": "OK"}, "401": {"$ref": "#/components/responses/Error"}},
        }
    }


def _q(name: str, type_: str = "string", required: bool = False, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": required, "schema": {"type": type_}, "description": description}


SPEC: dict = {
    "openapi": "3.0.3",
    "info": {"title": "fieldcheck API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": ERROR},
        "responses": {
            "Error": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/auth/token": {
            "post": {
                "summary": "Exchange a username and password for a bearer token",
                "security": [],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                                "required": ["username", "password"],
                            }
                        }
                    }
                },
                "responses": {"201": {"description": "token, expires_at, user"}, "401": {"$ref": "#/components/responses/Error"}},
            }
        },
        "/me": _get("The authenticated user: username, role, level, scope"),
        "/communities": _get(
            "Communities with code, name, sub-district, spot types and centroid",
            [_q("geometry", description="1 to include each boundary as GeoJSON")],
        ),
        "/locate": _get(
            "The community a WGS-84 point lies in, or null",
            [_q("lat", "number", True), _q("lon", "number", True)],
        ),
        "/checklist": _get("The checklist version in force", [_q("month", description="YYYY-MM, default this month")]),
    },
}
