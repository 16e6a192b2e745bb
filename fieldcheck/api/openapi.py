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
        "/rankings/{month}": _get(
            "A month's ranking (the published snapshot if published, else computed now), cut to what the user "
            "may see. The path may end in .json, .xlsx or .csv for those formats. Points and rates are exact "
            "decimal strings; ties go to fewer overdue items, then the higher on-time rate, then fewer reports, "
            "then the community code",
            [
                {"name": "month", "in": "path", "required": True, "schema": {"type": "string"},
                 "description": "YYYY-MM (city local month), optionally with .json, .xlsx or .csv"},
                _q("live", description="1: the recomputation even for a published month"),
                _q("breakdowns", description="1: include every visible community's breakdown"),
                _q("community", description="a community code: include that community's breakdown"),
            ],
        ),
        "/rankings/{month}/publish": {
            "post": {
                "summary": "Publish the month (office and admin; after the month ends): a new snapshot, or a "
                "correction of the last one; 409 when nothing changed",
                "parameters": [{"name": "month", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "201": {"description": "month, sequence, sha256, created_at, created_by, correction"},
                    "403": {"$ref": "#/components/responses/Error"},
                    "409": {"$ref": "#/components/responses/Error"},
                },
            }
        },
    },
}
