"""The spot registry's admin routes in the OpenAPI document (fieldcheck/api/openapi.py adds them)."""

from __future__ import annotations

from ..geo import SPOT_TYPES

_ERR = {"$ref": "#/components/responses/Error"}
_ERRORS = {"400": _ERR, "401": _ERR, "403": _ERR, "404": _ERR}
_TEXT = {"type": "string"}
_POSITION = {"type": "number", "nullable": True}
_FIELDS = {
    "code": {"type": "string", "description": "unique; letters, digits, - _ . (upper-cased), at most 48"},
    "name": {"type": "string", "description": "1-100 characters"},
    "type": {"type": "string", "enum": list(SPOT_TYPES), "description": "the spot type (DOMAIN.md)"},
    "community": {"type": "string", "description": "the code of the community the spot belongs to"},
    "lat": _POSITION,
    "lon": _POSITION,
    "responsible_unit": {"type": "string", "description": "包保/责任单位, at most 100 characters"},
    "contact": {"type": "string", "description": "the responsible unit's contact, at most 100 characters"},
    "active": {"type": "boolean", "description": "false: no longer offered to inspectors"},
}
SPOT = {
    "type": "object",
    "properties": {**_FIELDS, "community_name": _TEXT},
    "required": [*_FIELDS, "community_name"],
    "description": "A spot (点位) of the registry",
}
_ROW = {
    "type": "object",
    "properties": {
        "where": {"type": "string", "description": "line N (CSV) or feature N (GeoJSON)"},
        "code": _TEXT,
        "action": {
            "type": "string",
            "description": "new, changed or unchanged (empty when the row has a problem)",
        },
        "problem": _TEXT,
        "field": {"type": "string", "nullable": True},
    },
}
_FIELD_ERRORS = (
    "400 with error.field naming the field at fault: invalid_code, invalid_name, invalid_type, invalid_community, "
    "invalid_lat, invalid_lon, invalid_location (one without the other), invalid_responsible_unit, "
    "invalid_contact, invalid_active, unknown_field; spot_taken for a code already registered"
)


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


SPOT_PATHS: dict = {
    "/admin/spots": {
        "get": {
            "summary": "Spots by code, a page at a time (admin)",
            "parameters": [
                {"name": "type", "in": "query", "schema": {"type": "string"}, "description": "a spot type"},
                {
                    "name": "community",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "a community code",
                },
                {"name": "active", "in": "query", "schema": {"type": "string"}, "description": "yes or no"},
                {
                    "name": "after",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "the next of the previous page: the spots after this code",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer"},
                    "description": "1-500, default 50",
                },
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "spots": {"type": "array", "items": SPOT},
                            "next": {
                                "type": "string",
                                "nullable": True,
                                "description": "null on the last page",
                            },
                            "total": {"type": "integer", "description": "spots the filters match"},
                        },
                        "required": ["spots", "next", "total"],
                    }
                ),
                **_ERRORS,
            },
        },
        "post": {
            "summary": "Add a spot (JSON), or import a CSV or GeoJSON file of spots (multipart file), all rows or "
            "none (admin)",
            "description": _FIELD_ERRORS
            + ". A file: a CSV with the columns code, name, type, community, lat, lon, responsible_unit, contact, "
            "active, or a GeoJSON FeatureCollection of points with those properties; a registered code is "
            "changed. Any row with a problem: 400 import_rows with error.rows listing every row; preview=1 checks "
            "without storing (200).",
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["code", "name", "type", "community"],
                            "properties": _FIELDS,
                        }
                    },
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {"type": "string", "format": "binary"},
                                "preview": {"type": "string", "description": "1: check only"},
                            },
                        }
                    },
                }
            },
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "stored": {"type": "boolean"},
                            "rows": {"type": "array", "items": _ROW},
                        },
                    },
                    "a file checked, nothing stored (preview=1)",
                ),
                "201": _json(
                    {
                        "type": "object",
                        "properties": {
                            "spot": SPOT,
                            "stored": {"type": "boolean"},
                            "rows": {"type": "array", "items": _ROW},
                            "counts": {
                                "type": "object",
                                "properties": {
                                    k: {"type": "integer"} for k in ("new", "changed", "unchanged")
                                },
                            },
                        },
                    },
                    "the spot added (JSON), or the file's rows stored with their counts",
                ),
                **_ERRORS,
            },
        },
    },
    "/admin/spots/{code}": {
        "patch": {
            "summary": "Change a spot's fields but its code (admin); active false deactivates it (no longer offered "
            "to inspectors; reports that named it keep it)",
            "description": _FIELD_ERRORS + "; 404 unknown_spot",
            "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {k: v for k, v in _FIELDS.items() if k != "code"},
                        }
                    }
                }
            },
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "properties": {
                            "spot": SPOT,
                            "changed": {"type": "object", "description": "{field: [before, after]}"},
                        },
                    }
                ),
                **_ERRORS,
            },
        }
    },
}
