"""The OpenAPI description of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from ..status import STATUS_VALUES

ERROR = {
    "type": "object",
    "description": (
        "Every 4xx (and 503) answer. code is stable and meant for programs; message is for people, in the "
        "user's language. Codes: unauthorized (401), forbidden (403), not_found (404; also for a report the "
        "user may not see), method_not_allowed (405), too_large (413, the request is over the upload limit), "
        "csrf (400, session callers only), invalid (400, e.g. a bad list filter), bad_month (400, a month that is "
        "not YYYY-MM in ASCII digits from 2000 to 2100), bad_input (400, on any route: a NUL character in the path, "
        "a query parameter, a header or a field, or a JSON number that is not finite or beyond 64 bits), "
        "client_id_conflict (409, "
        "with the id of the record the client_id already names), and for a filed report or visit: "
        "invalid_client_id, invalid_item_code, invalid_lat, invalid_lon, invalid_location (lat without lon or "
        "the reverse), invalid_accuracy_m, invalid_location_source, invalid_observed_at, invalid_instances, "
        "invalid_note, no_photo, too_many_photos, photo_empty, photo_not_an_image, photo_unsupported_format, "
        "photo_truncated, photo_too_many_pixels, unknown_item, no_checklist, unknown_community, unknown_spot, "
        "spot_mismatch, no_location"
    ),
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "id": {"type": "integer", "description": "client_id_conflict: the existing record"},
            },
            "required": ["code", "message"],
        }
    },
}


def _get(summary: str, params: list | None = None, errors: tuple[str, ...] = ()) -> dict:
    responses: dict = {"200": {"description": "OK"}, "401": {"$ref": "#/components/responses/Error"}}
    responses.update({code: {"$ref": "#/components/responses/Error"} for code in errors})
    return {"get": {"summary": summary, "parameters": params or [], "responses": responses}}


def _q(name: str, type_: str = "string", required: bool = False, description: str = "") -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": {"type": type_},
        "description": description,
    }


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict, description: str = "", nullable: bool = False) -> dict:
    out: dict = {"type": "object", "properties": properties}
    if description:
        out["description"] = description
    if nullable:
        out["nullable"] = True
    return out


def _s(type_: str = "string", description: str = "", **extra) -> dict:
    out = {"type": type_, **extra}
    if description:
        out["description"] = description
    return out


_ERR = {"$ref": "#/components/responses/Error"}
MONTH = {
    "type": "string",
    "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$",
    "description": "a city local month, YYYY-MM in ASCII digits, years 2000 to 2100; another text is 400 bad_month",
}
_TIME = _s(format="date-time", nullable=True)
LOCATION = _obj(
    {
        "lat": _s("number", nullable=True),
        "lon": _s("number", nullable=True),
        "accuracy_m": _s("number", nullable=True),
        "location_source": _s(enum=["device", "exif", "manual"]),
    },
    "WGS-84; lat and lon are null for a community chosen by hand without a position",
)
PHOTO = _obj(
    {
        "id": _s("integer"),
        "kind": _s(enum=["before", "after", "visit"]),
        "sha256": _s(description="SHA-256 of the original upload (identical photos are stored once)"),
        "phash": _s(description="64-bit perceptual hash (dHash) as 16 hex digits"),
        "size": _s("integer", "bytes of the original"),
        "mime": _s(
            description="type of the original: image/jpeg, image/png, image/webp, image/heic or image/heif"
        ),
        "width": _s("integer", "full-resolution width, upright"),
        "height": _s("integer", "full-resolution height, upright"),
        "event": _s("integer", "seq of the event the photo belongs to", nullable=True),
        "exif": _obj(
            {
                "lat": _s("number", nullable=True),
                "lon": _s("number", nullable=True),
                "taken_at": _s(
                    description="as the camera wrote it: its local time, with an offset only if the camera gave one",
                    nullable=True,
                ),
                "make": _s(nullable=True),
                "model": _s(nullable=True),
            },
            "What the photo's EXIF claims; each field null when absent or unreadable, and all of them for "
            "community and sub-district staff unless the office discloses photo metadata",
        ),
        "urls": _obj(
            {"display": _s(), "thumb": _s(), "original": _s(description="only for office and admin")},
            "display: JPEG, long edge <= 1600 px, upright, no metadata; thumb: JPEG <= 320 px",
        ),
    }
)
EVENT = _obj(
    {
        "seq": _s("integer"),
        "action": _s(description="file, dispatch, then the workflow's actions"),
        "from": _s(nullable=True),
        "to": _s(),
        "at": _s(format="date-time"),
        "actor": _s(description="username; null for an inspector the reader may not know", nullable=True),
        "note": _s(nullable=True),
        "due_at": _TIME,
        "location": _obj({"lat": _s("number"), "lon": _s("number")}, nullable=True),
        "photos": {"type": "array", "items": _s("integer")},
    },
    "Append-only history of the report, oldest first",
)
REPORT = _obj(
    {
        "id": _s("integer"),
        "client_id": _s(format="uuid"),
        "status": _s(enum=list(STATUS_VALUES)),
        "version": _s("integer"),
        "overdue": _s("boolean"),
        "item": _obj(
            {
                "code": _s(),
                "name_zh": _s(),
                "name_en": _s(),
                "severity": _s(),
                "points": _s("number"),
            }
        ),
        "community": _obj(
            {"code": _s(), "name": _s(), "subdistrict": _obj({"code": _s(), "name": _s()})},
            "null while no community is known (status reported, flag outside_boundaries)",
            nullable=True,
        ),
        "boundary_version": _s("integer", nullable=True),
        "spot": _obj({"code": _s(), "name": _s(), "type": _s()}, nullable=True),
        "location": LOCATION,
        "observed_at": _s(format="date-time"),
        "received_at": _s(format="date-time"),
        "dispatched_at": _TIME,
        "due_at": _TIME,
        "rectified_at": _TIME,
        "closed_at": _TIME,
        "appeal_from": _s(nullable=True),
        "suspension_requested": _s(
            format="date",
            nullable=True,
            description="a planned date the community asked for, awaiting the office",
        ),
        "planned_date": _s(format="date", nullable=True),
        "instances": _s("integer"),
        "note": _s(),
        "found_by": _s(enum=["third_party", "city", "district", "subdistrict"]),
        "flags": {
            "type": "array",
            "items": _s(
                enum=[
                    "exif_far",
                    "photo_old",
                    "manual_location",
                    "outside_boundaries",
                    "community_chosen",
                    "late_filing",
                    "after_photo_reused",
                ]
            ),
            "description": "reasons for the office to look again: EXIF position over 200 m from the device's, "
            "photo taken over 24 h before filing, location chosen by hand, outside every community, "
            "community chosen by hand differs from the position's, received more than "
            "FIELDCHECK_LATE_FILING_HOURS (48 by default) after observed_at, an after-photo repeats an earlier "
            "photo of the report",
        },
        "rework_count": _s("integer"),
        "inspector": _obj(
            {
                "username": _s(nullable=True),
                "display_name": _s(nullable=True),
                "level": _s(enum=["third_party", "city", "district", "subdistrict"], description="found_by"),
            },
            "Unannounced inspection: community and sub-district staff get null username and display_name unless "
            "the office discloses who inspected (its settings)",
        ),
        "events": {"type": "array", "items": _ref("Event")},
        "photos": {"type": "array", "items": _ref("Photo")},
        "actions": {
            "type": "array",
            "items": _s(),
            "description": "GET /reports/{report_id} only: the workflow actions this user may take now",
        },
    }
)
VISIT = _obj(
    {
        "id": _s("integer"),
        "client_id": _s(format="uuid"),
        "community": _obj({"code": _s(), "name": _s()}, nullable=True),
        "spot": _s(description="spot code", nullable=True),
        "location": LOCATION,
        "observed_at": _s(format="date-time"),
        "received_at": _s(format="date-time"),
        "note": _s(),
        "photos": {"type": "array", "items": _ref("Photo")},
    }
)

_FILING_FIELDS = {
    "client_id": _s(
        format="uuid",
        description="chosen by the phone once per report; resending it with the same content answers 200 with "
        "the same record, with other content 409 client_id_conflict",
    ),
    "photos": {
        "type": "array",
        "items": _s(format="binary"),
        "description": "JPEG, PNG, WebP or HEIC/HEIF, decided by content; at most 9 and 64 million pixels each; "
        "the whole request at most MAX_CONTENT_LENGTH (64 MiB by default, else 413)",
    },
    "lat": _s("number", "-90..90, sent together with lon", minimum=-90, maximum=90),
    "lon": _s("number", "-180..180, sent together with lat", minimum=-180, maximum=180),
    "accuracy_m": _s("number", "the device's accuracy in metres, 0..100000", minimum=0, maximum=100000),
    "location_source": _s(
        description="device (the default when lat and lon are sent), exif or manual. Without a position the "
        "first photo's EXIF GPS is used (exif); without either, or with manual, the community (or spot) chosen "
        "by hand (manual, flagged manual_location; 400 no_location if none was chosen)",
        enum=["device", "exif", "manual"],
    ),
    "observed_at": _s(
        format="date-time",
        description="ISO 8601 with an offset, at most 15 minutes in the future and not before the start of "
        "the previous month (city time), else 400 invalid_observed_at; default: when received. Received more "
        "than FIELDCHECK_LATE_FILING_HOURS (48 by default) after it: flagged late_filing",
    ),
    "note": _s(description="at most 2000 characters"),
    "community": _s(
        description="community code chosen by hand: the fallback without a position; with a position it "
        "overrides the located community (flag community_chosen)"
    ),
    "spot": _s(description="spot code chosen by hand; must lie in the chosen community (spot_mismatch)"),
}
_REPORT_FORM = {
    "type": "object",
    "required": ["client_id", "item_code", "photos"],
    "properties": {
        **_FILING_FIELDS,
        "item_code": _s(
            description="a checklist item of the version in force in observed_at's month (unknown_item)"
        ),
        "instances": _s("integer", "how many of them, 1..999, default 1", minimum=1, maximum=999),
    },
}
_VISIT_FORM = {
    "type": "object",
    "required": ["client_id"],
    "properties": {
        **_FILING_FIELDS,
        "photos": {**_FILING_FIELDS["photos"], "description": "optional, at most 9"},
    },
}
_IDEMPOTENT = (
    "Idempotent by client_id: the content (every field and the SHA-256 of each photo, in order) is remembered; "
    "concurrent duplicates make one record. Nothing is stored when the request is refused."
)


def _filing(summary: str, form: dict, schema: str, created: str) -> dict:
    return {
        "post": {
            "summary": summary,
            "description": _IDEMPOTENT + " Inspectors only (403 for other roles).",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": form}}},
            "responses": {
                "201": {"description": created, "content": {"application/json": {"schema": _ref(schema)}}},
                "200": {
                    "description": "the same client_id and content were filed before: that record, unchanged",
                    "content": {"application/json": {"schema": _ref(schema)}},
                },
                "400": _ERR,
                "401": _ERR,
                "403": _ERR,
                "409": _ERR,
                "413": _ERR,
            },
        }
    }


def _p(name: str, type_: str = "integer", description: str = "", **extra) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": type_, **extra},
        "description": description,
    }


REPORT_PATHS: dict = {
    "/reports": {
        **_filing(
            "File a report (multipart form, the same fields as the capture page)",
            _REPORT_FORM,
            "Report",
            "filed: the community from the location, status dispatched with due_at from the item's severity "
            "(or reported, for the office, when the location lies in no community), found_by from the "
            "inspector's level",
        ),
        "get": {
            "summary": "Reports the user may see (inspectors their own, community staff their community, "
            "sub-district staff their communities, office and admin all), newest observed first",
            "parameters": [
                {
                    "name": "month",
                    "in": "query",
                    "schema": MONTH,
                    "description": "YYYY-MM: observed in that local month of the city",
                },
                _q("community", description="community code"),
                {
                    "name": "status",
                    "in": "query",
                    "schema": REPORT["properties"]["status"],
                },
                {
                    "name": "page",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1},
                },
                {
                    "name": "per_page",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                },
            ],
            "responses": {
                "200": {
                    "description": "one page",
                    "content": {
                        "application/json": {
                            "schema": _obj(
                                {
                                    "page": _s("integer"),
                                    "per_page": _s("integer"),
                                    "total": _s("integer", "reports matching, over all pages"),
                                    "reports": {"type": "array", "items": _ref("Report")},
                                }
                            )
                        }
                    },
                },
                "400": _ERR,
                "401": _ERR,
            },
        },
    },
    "/reports/{report_id}": {
        "get": {
            "summary": "One report with its location, photos (with EXIF and URLs) and events, and the actions "
            "the user may take; 404 when it does not exist or the user may not see it",
            "parameters": [_p("report_id")],
            "responses": {
                "200": {
                    "description": "the report",
                    "content": {"application/json": {"schema": _ref("Report")}},
                },
                "401": _ERR,
                "404": _ERR,
            },
        }
    },
    "/visits": _filing(
        "Record an inspection without a problem (coverage): a community or spot, a location, optional photos",
        _VISIT_FORM,
        "Visit",
        "recorded",
    ),
    "/photos/{photo_id}/{variant}": {
        "get": {
            "summary": "A photo file. display and thumb (image/jpeg) for whoever may see the report or visit; "
            "original (the uploaded bytes and type, as an attachment) for office and admin only (403 for the "
            "others who may see the report). 404 when the photo or variant does not exist or the user may not "
            "see the report. Sent with X-Content-Type-Options: nosniff",
            "parameters": [_p("photo_id"), _p("variant", "string", enum=["display", "thumb", "original"])],
            "responses": {
                "200": {
                    "description": "the image",
                    "content": {
                        "image/jpeg": {},
                        "image/png": {},
                        "image/webp": {},
                        "image/heic": {},
                        "image/heif": {},
                    },
                },
                "401": _ERR,
                "403": _ERR,
                "404": _ERR,
            },
        }
    },
}

_MOVE_ERRORS = {
    "400": _ERR,
    "401": _ERR,
    "403": _ERR,
    "404": _ERR,
    "409": _ERR,
}
_MOVE_COMMON = {
    "version": _s(
        "integer", "the report version the client saw; if the report changed since, 409 (code stale)"
    ),
    "lat": _s("number", "optional: where the user stands (kept on the event)"),
    "lon": _s("number"),
}


def _move(
    summary: str, who: str, fields: dict, required: tuple[str, ...] = (), multipart: bool = False
) -> dict:
    """One workflow move: JSON (or form) body, 200 with the whole report, the same refusals everywhere."""
    schema = {"type": "object", "properties": {**fields, **_MOVE_COMMON}}
    if required:
        schema["required"] = list(required)
    content = (
        {"multipart/form-data": {"schema": schema}}
        if multipart
        else {"application/json": {"schema": schema}, "application/x-www-form-urlencoded": {"schema": schema}}
    )
    return {
        "post": {
            "summary": summary,
            "description": who
            + " 404 when the user may not see the report; 403 when the user may see it but "
            "this move is not theirs; 409 with error.status (and error.version) when the report's state does "
            "not allow the move (code wrong_state) or another user changed it first (code stale); 400 when a "
            "guard fails (no_photo, note_required, note_too_long, no_planned_date, planned_date_past, "
            "invalid_decision, invalid_planned_date, invalid_version, invalid_location, unknown_community, "
            "photo_*); 503 (storage_unavailable) when photo storage fails, with nothing changed.",
            "parameters": [_p("report_id")],
            "requestBody": {"required": True, "content": content},
            "responses": {
                "200": {
                    "description": "the report after the move, with its events and the reader's actions",
                    "content": {"application/json": {"schema": _ref("Report")}},
                },
                **_MOVE_ERRORS,
                "503": _ERR,
            },
        }
    }


_NOTE = _s(description="why; up to 2000 characters")
_COMMUNITY = "Community staff of the report's own community."
_OFFICE = "The office and admin."
WORKFLOW_PATHS: dict = {
    "/reports/{report_id}/rectify": _move(
        "Mark a dispatched or suspended report rectified, with after-photos (dispatched → rectified)",
        _COMMUNITY,
        {
            "note": _NOTE,
            "photos": {"type": "array", "items": _s(format="binary"), "description": "1 to 9 photos"},
        },
        ("photos",),
        multipart=True,
    ),
    "/reports/{report_id}/review": _move(
        "Verify a rectification: accept (→ closed) or reject with a note (→ dispatched, a new deadline, "
        "rework_count + 1)",
        "The office and admin, and the inspector who filed the report (on a revisit).",
        {"decision": _s(enum=["accept", "reject"]), "note": _NOTE},
        ("decision",),
    ),
    "/reports/{report_id}/void": _move(
        "Void an open report (no points) with a reason", _OFFICE, {"reason": _NOTE}, ("reason",)
    ),
    "/reports/{report_id}/appeal": _move(
        "Appeal a dispatched, rectified or suspended report with a reason (→ appealed)",
        _COMMUNITY,
        {"reason": _NOTE},
        ("reason",),
    ),
    "/reports/{report_id}/appeal/decide": _move(
        "Decide an appeal: uphold (back where it was, the deadline moved by the time the appeal waited) or "
        "void, with a note",
        _OFFICE,
        {"decision": _s(enum=["uphold", "void"]), "note": _NOTE},
        ("decision", "note"),
    ),
    "/reports/{report_id}/assign": _move(
        "Assign an unassigned report (outside every boundary) to a community: dispatched, deadline from now",
        _OFFICE,
        {"community": _s(description="community code")},
        ("community",),
    ),
    "/reports/{report_id}/suspension": _move(
        "Ask for a suspension (挂账) of a dispatched report until a planned date, with a reason",
        _COMMUNITY,
        {"planned_date": _s(format="date", description="after today, city time"), "reason": _NOTE},
        ("planned_date", "reason"),
    ),
    "/reports/{report_id}/suspension/decide": _move(
        "Decide a suspension request: approve (→ suspended, deadline the end of the planned date; the office "
        "may set another date) or refuse",
        _OFFICE,
        {"decision": _s(enum=["approve", "refuse"]), "planned_date": _s(format="date"), "note": _NOTE},
        ("decision",),
    ),
}

TOKEN = _obj(
    {
        "id": _s("integer"),
        "created_at": _s(format="date-time"),
        "expires_at": _s(format="date-time"),
        "last_used_at": {**_s(format="date-time"), "nullable": True},
        "current": _s("boolean", "true for the token that authenticated this request"),
    },
    "An API token of the caller, without its secret",
)
_TOO_MANY = {
    "description": "Too many failed attempts: wait Retry-After seconds (code too_many_requests)",
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}

SPEC: dict = {
    "openapi": "3.0.3",
    "info": {"title": "fieldcheck API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": ERROR,
            "Report": REPORT,
            "Photo": PHOTO,
            "Event": EVENT,
            "Visit": VISIT,
            "Token": TOKEN,
        },
        "responses": {
            "Error": {
                "description": "Error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
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
                                "properties": {
                                    "username": {"type": "string"},
                                    "password": {"type": "string"},
                                },
                                "required": ["username", "password"],
                            }
                        }
                    }
                },
                "responses": {
                    "201": {"description": "token, expires_at, user"},
                    "400": {"$ref": "#/components/responses/Error"},
                    "401": {"$ref": "#/components/responses/Error"},
                    "413": {"$ref": "#/components/responses/Error"},
                    "429": _TOO_MANY,
                },
                "description": "Failed attempts are counted per account and per client address, together with "
                "the login page's; past the limit (by default 10 per account and 50 per address in 15 minutes) "
                "every attempt answers 429 with Retry-After, whatever the password. Bodies over 4 KB: 413.",
            },
            "delete": {
                "summary": "Revoke the bearer token that authenticated this request (a client's logout)",
                "responses": {
                    "204": {"description": "Revoked"},
                    "400": {"$ref": "#/components/responses/Error"},
                    "401": {"$ref": "#/components/responses/Error"},
                },
            },
        },
        "/auth/tokens": {
            "get": {
                "summary": "The caller's own API tokens (the secrets are never kept, only their hashes)",
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {
                                "schema": _obj({"tokens": {"type": "array", "items": _ref("Token")}})
                            }
                        },
                    },
                    "401": {"$ref": "#/components/responses/Error"},
                },
            }
        },
        "/auth/tokens/{token_id}": {
            "delete": {
                "summary": "Revoke one of the caller's own tokens; another user's token is not found (404)",
                "parameters": [
                    {"name": "token_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {
                    "204": {"description": "Revoked"},
                    "400": {"$ref": "#/components/responses/Error"},
                    "401": {"$ref": "#/components/responses/Error"},
                    "404": {"$ref": "#/components/responses/Error"},
                },
            }
        },
        **REPORT_PATHS,
        **WORKFLOW_PATHS,
        "/openapi.json": {
            "get": {
                "summary": "This description",
                "security": [],
                "responses": {"200": {"description": "OK"}},
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
            ("400",),
        ),
        "/checklist": _get(
            "The checklist version in force in the month; 404 when none is",
            [{"name": "month", "in": "query", "schema": MONTH, "description": "YYYY-MM, default this month"}],
            ("400", "404"),
        ),
        "/rankings/{month}": _get(
            "A month's ranking (the published snapshot if published, else computed now), cut to what the user "
            "may see. The path may end in .json, .xlsx or .csv for those formats. Points and rates are exact "
            "decimal strings; ties go to fewer overdue items, then the higher on-time rate, then fewer reports, "
            "then the community code",
            [
                {
                    "name": "month",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "YYYY-MM (city local month), optionally with .json, .xlsx or .csv; another "
                    "text is 400 (bad_month, bad_format)",
                },
                _q("live", description="1: the recomputation even for a published month"),
                _q("breakdowns", description="1: include every visible community's breakdown"),
                _q("community", description="a community code: include that community's breakdown"),
            ],
            ("400", "403", "404"),
        ),
        "/rankings/{month}/publish": {
            "post": {
                "summary": "Publish the month (office and admin; after the month ends): a new snapshot, or a "
                "correction of the last one; 409 when nothing changed",
                "parameters": [
                    {
                        "name": "month",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                        "description": "YYYY-MM; another text is 400 bad_month",
                    }
                ],
                "responses": {
                    "201": {"description": "month, sequence, sha256, created_at, created_by, correction"},
                    "400": _ERR,
                    "401": _ERR,
                    "403": _ERR,
                    "404": {"$ref": "#/components/responses/Error", "description": "no checklist in force"},
                    "409": _ERR,
                },
            }
        },
    },
}

# --- notifications (fieldcheck/notify): the inbox and the robot targets ---
_NOTIFICATION = _obj(
    {
        "id": _s("integer"),
        "kind": _s(
            description="dispatched, rework, appeal_upheld, appeal_granted, suspension_approved, "
            "suspension_refused, urged, voided, revisit_waiting, verification_waiting, appeal_waiting, "
            "suspension_waiting, unassigned"
        ),
        "title": _s(),
        "text": _s(),
        "note": _s(),
        "report_id": {**_s("integer"), "nullable": True},
        "url": {**_s(description="the report's page"), "nullable": True},
        "created_at": _s(format="date-time"),
        "read_at": {**_s(format="date-time"), "nullable": True},
    },
    "One line of the caller's inbox",
)
_TARGET = _obj(
    {
        "id": _s("integer"),
        "scope": _s(description="community:CODE | subdistrict:CODE | office"),
        "kind": _s(description="wecom | dingtalk"),
        "url": _s(description="the webhook address without its query (the access token is secret)"),
        "has_secret": _s("boolean"),
        "created_at": _s(format="date-time"),
    },
    "A group robot (企业微信 or 钉钉) told of its scope's notifications",
)
SPEC["paths"].update(
    {
        "/notifications": {
            "get": {
                "summary": "The caller's inbox, newest first, paged by cursor",
                "parameters": [
                    _q("unread", description="1: unread only"),
                    _q("limit", "integer", description="0-100, default 50"),
                    _q("cursor", description="next_cursor of the previous page"),
                ],
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {
                                "schema": _obj(
                                    {
                                        "items": {"type": "array", "items": _NOTIFICATION},
                                        "next_cursor": {**_s(), "nullable": True},
                                        "unread": _s("integer"),
                                    }
                                )
                            }
                        },
                    },
                    "400": _ERR,
                    "401": _ERR,
                },
            }
        },
        "/notifications/read": {
            "post": {
                "summary": 'Mark some ({"ids": [...]}) or all ({"all": true}) of the caller\'s notifications read',
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": _obj(
                                {"ids": {"type": "array", "items": {"type": "integer"}}, "all": _s("boolean")}
                            )
                        }
                    }
                },
                "responses": {"200": {"description": "updated, unread"}, "400": _ERR, "401": _ERR},
            }
        },
        "/admin/notify-targets": {
            "get": {
                "summary": "The robot targets (admin)",
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {
                                "schema": _obj({"items": {"type": "array", "items": _TARGET}})
                            }
                        },
                    },
                    "401": _ERR,
                    "403": _ERR,
                },
            },
            "post": {
                "summary": "Add a robot target (admin)",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": _obj(
                                {
                                    "scope": _s(),
                                    "kind": _s(),
                                    "url": _s(),
                                    "secret": _s(description="钉钉 加签 secret"),
                                }
                            )
                        }
                    }
                },
                "responses": {
                    "201": {"description": "Created", "content": {"application/json": {"schema": _TARGET}}},
                    "400": _ERR,
                    "401": _ERR,
                    "403": _ERR,
                },
            },
        },
        "/admin/notify-targets/{target_id}": {
            "delete": {
                "summary": "Remove a robot target and its unsent messages (admin)",
                "parameters": [
                    {"name": "target_id", "in": "path", "required": True, "schema": {"type": "integer"}}
                ],
                "responses": {"204": {"description": "Removed"}, "401": _ERR, "403": _ERR, "404": _ERR},
            }
        },
    }
)


# ---------------------------------------------------------------------------------------------------
# The map (fieldcheck/map/api.py): GeoJSON, WGS-84 longitude first. A block of its own, added to SPEC.

_GEOJSON = "application/geo+json shape, served as application/json"
_MAP_MONTH = _q("month", description="YYYY-MM, the city's local month; default this month (400 bad_month)")
MAP_COMMUNITY = _obj(
    {
        "code": _s(),
        "name": _s(),
        "subdistrict_code": _s(),
        "subdistrict_name": _s(),
        "score": _s(
            nullable=True,
            description="the month's score, an exact decimal string as in /rankings; null "
            "for inspectors, and without a checklist in force",
        ),
        "rank": _s("integer", nullable=True, description="the month's rank (1 is best); null as score"),
        "open": _s(
            "integer",
            "open reports now (reported, dispatched, rectified, appealed, suspended) that the "
            "user may see; an inspector counts only their own",
        ),
        "overdue": _s("integer", "of those, dispatched or suspended past the deadline"),
        "centroid": {"type": "array", "items": _s("number"), "description": "[lon, lat] for a label"},
    },
    "Properties of one community feature (geometry: its Polygon or MultiPolygon in the boundary version in force)",
)
MAP_REPORT = _obj(
    {
        "id": _s("integer"),
        "status": _s(
            enum=["reported", "dispatched", "rectified", "closed", "voided", "appealed", "suspended"]
        ),
        "item_code": _s(),
        "overdue": _s("boolean"),
        "observed_at": _s(format="date-time"),
    },
    "Properties of one report feature (geometry: Point [lon, lat]); reports without a position are left out",
)
MAP_PATHS = {
    "/map/communities": {
        "get": {
            "summary": "Community polygons for the map, with the month's score and rank and today's open and overdue "
            "counts. Office and admin: every community; sub-district staff: their communities; community "
            "staff: their own; inspectors: every polygon without scores, counts of their own reports only. "
            "Score and rank come from the published snapshot when the month is published, else from the "
            "computation, kept per process for MAP_RANKING_CACHE_SECONDS (default 60)",
            "parameters": [_MAP_MONTH],
            "responses": {
                "200": {
                    "description": "FeatureCollection ("
                    + _GEOJSON
                    + ") with month, boundary_version, ranking "
                    "(published, live, or null without a checklist in force)",
                    "content": {
                        "application/json": {
                            "schema": _obj(
                                {
                                    "type": _s(enum=["FeatureCollection"]),
                                    "month": _s(),
                                    "boundary_version": _s("integer", nullable=True),
                                    "ranking": _s(nullable=True, enum=["published", "live"]),
                                    "features": {
                                        "type": "array",
                                        "items": _obj(
                                            {
                                                "type": _s(),
                                                "id": _s(),
                                                "geometry": _obj({}),
                                                "properties": _ref("MapCommunity"),
                                            }
                                        ),
                                    },
                                }
                            )
                        }
                    },
                },
                "400": _ERR,
                "401": _ERR,
            },
        }
    },
    "/map/reports": {
        "get": {
            "summary": "Report points for the map, newest first, within what the user may see (as GET /reports). "
            "At most limit features; truncated is true when more match",
            "parameters": [
                _q("bbox", description="minLon,minLat,maxLon,maxLat in WGS-84 degrees (400 bad_bbox)"),
                _q("month", description="YYYY-MM: observed in that local month (400 bad_month)"),
                _q("status", description="one or more statuses, comma-separated (400 bad_status)"),
                _q("category", description="a checklist category code (ENV, ORD, ...)"),
                _q("item", description="a checklist item code (ENV-02, ...)"),
                _q("found_by", description="third_party, city, district or subdistrict, comma-separated"),
                _q("community", description="a community code"),
                _q(
                    "overdue", description="1: only reports past their deadline that the community still owes"
                ),
                _q("limit", "integer", description="1..5000, default 2000 (400 bad_limit)"),
            ],
            "responses": {
                "200": {
                    "description": "FeatureCollection (" + _GEOJSON + ") with truncated and limit",
                    "content": {
                        "application/json": {
                            "schema": _obj(
                                {
                                    "type": _s(enum=["FeatureCollection"]),
                                    "truncated": _s("boolean"),
                                    "limit": _s("integer"),
                                    "features": {
                                        "type": "array",
                                        "items": _obj(
                                            {
                                                "type": _s(),
                                                "id": _s("integer"),
                                                "geometry": _obj({}),
                                                "properties": _ref("MapReport"),
                                            }
                                        ),
                                    },
                                }
                            )
                        }
                    },
                },
                "400": _ERR,
                "401": _ERR,
            },
        }
    },
}
SPEC["paths"].update(MAP_PATHS)
SPEC["components"]["schemas"].update({"MapCommunity": MAP_COMMUNITY, "MapReport": MAP_REPORT})

# --- The admin API (fieldcheck/admin/api.py): administrators only, 403 for every other role ---------------

_ADMIN_ERRORS = {"400": _ERR, "401": _ERR, "403": _ERR, "404": _ERR}
_ADMIN_USER = _obj(
    {
        "username": _s(),
        "display_name": _s(),
        "role": _s(enum=["inspector", "community", "subdistrict", "office", "admin"]),
        "level": _s(nullable=True, enum=["city", "district", "subdistrict"]),
        "community": _s(nullable=True, description="community code (community staff)"),
        "subdistrict": _s(nullable=True, description="sub-district code (sub-district and community staff)"),
        "active": _s("boolean"),
        "must_change_password": _s("boolean", "true after a reset, until the user changes it"),
        "created_at": _s(format="date-time"),
    },
    "A user as the admin API shows it (never a password or its hash)",
)
_ADMIN_NAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
_ADMIN_FIELD_ERRORS = (
    "400 invalid with error.field naming the field at fault (username, password, role, level, community, "
    "subdistrict, display_name, active); last_admin when the change would leave no active administrator"
)
_AUDIT_ENTRY = _obj(
    {
        "id": _s("integer"),
        "at": _s(format="date-time"),
        "actor": _s(description="the username of who acted, or cli for the command line"),
        "action": _s(
            description="user.create, user.update, user.deactivate, user.activate, user.password_reset, "
            "user.password_change, boundaries.upload, boundaries.activate, checklist.upload, "
            "checklist.schedule, calendar.import, calendar.update, ranking.publish, setting.change"
        ),
        "target": _s(description="what changed, e.g. user:wang, ranking:2026-05, boundaries:3"),
        "changes": _s("object", "{field: [before, after]}"),
    },
    "One entry of the append-only audit log",
)
ADMIN_PATHS: dict = {
    "/admin/users": {
        "get": {
            "summary": "Users by username, a page of 50 (admin)",
            "parameters": [
                _q("q", description="part of the username or display name"),
                _q("role"),
                _q("scope", description="a community or sub-district code"),
                _q("active", description="yes or no"),
                _q("page", "integer"),
            ],
            "responses": {
                "200": {
                    "description": "users, total, page, page_size",
                    "content": {
                        "application/json": {
                            "schema": _obj(
                                {
                                    "users": {"type": "array", "items": _ADMIN_USER},
                                    "total": _s("integer"),
                                    "page": _s("integer"),
                                    "page_size": _s("integer"),
                                }
                            )
                        }
                    },
                },
                **_ADMIN_ERRORS,
            },
        },
        "post": {
            "summary": "Add a user with a password (admin); the user logs in with it",
            "description": _ADMIN_FIELD_ERRORS,
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["username", "password", "role"],
                            "properties": {
                                k: {"type": "string"}
                                for k in (
                                    "username",
                                    "password",
                                    "role",
                                    "level",
                                    "community",
                                    "subdistrict",
                                    "display_name",
                                )
                            },
                        }
                    }
                }
            },
            "responses": {"201": {"description": "user"}, **_ADMIN_ERRORS},
        },
    },
    "/admin/users/{username}": {
        "patch": {
            "summary": "Change role, level, community, subdistrict, display_name or active (admin); "
            "active false ends every session and API token of the user at once",
            "description": _ADMIN_FIELD_ERRORS,
            "parameters": [_ADMIN_NAME],
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": _obj(
                            {
                                "role": _s(),
                                "level": _s(nullable=True),
                                "community": _s(nullable=True),
                                "subdistrict": _s(nullable=True),
                                "display_name": _s(),
                                "active": _s("boolean"),
                            }
                        )
                    }
                }
            },
            "responses": {
                "200": {"description": "user, changed ({field: [before, after]})"},
                **_ADMIN_ERRORS,
            },
        }
    },
    "/admin/users/{username}/password": {
        "post": {
            "summary": "Reset the password (admin): answers a temporary one, shown once; every session and token "
            "of the user ends, and until the user chooses a new password on the login page POST /auth/token "
            "answers 403 password_change_required",
            "parameters": [_ADMIN_NAME],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": _obj({"password": _s()})}},
                },
                **_ADMIN_ERRORS,
            },
        }
    },
    "/admin/audit": {
        "get": {
            "summary": "The audit log, newest first (admin)",
            "parameters": [
                _q(
                    "from",
                    description="YYYY-MM-DD (city local date) or an ISO 8601 time with offset; inclusive",
                ),
                _q(
                    "to", description="YYYY-MM-DD (inclusive day) or an ISO 8601 time with offset (exclusive)"
                ),
                _q("actor", description="a username, or cli"),
                _q("action"),
                _q("before", description="the next cursor of the previous page"),
                _q("limit", "integer", description="1-500, default 50"),
            ],
            "responses": {
                "200": {
                    "description": "entries and the next page's cursor (null on the last page)",
                    "content": {
                        "application/json": {
                            "schema": _obj(
                                {
                                    "entries": {"type": "array", "items": _AUDIT_ENTRY},
                                    "next": _s(nullable=True),
                                }
                            )
                        }
                    },
                },
                **_ADMIN_ERRORS,
            },
        }
    },
}
SPEC["paths"].update(ADMIN_PATHS)
# Checklist versions (admin; fieldcheck/checklist/api.py).
_CHECKLIST_VERSION = _obj(
    {
        "id": _s("integer"),
        "label": _s(),
        "effective_month": _s(description="the first month (YYYY-MM, local) the version is in force"),
        "created_at": _s(format="date-time"),
        "sha256": _s(description="of the file as uploaded"),
        "items": _s("integer", "how many items the version has"),
        "published_months": {"type": "array", "items": _s(), "description": "months published with it"},
        "locked": _s("boolean", "true once a published month used it: it cannot change, only be superseded"),
    },
    "A checklist version",
)
_CHECKLIST_CHANGE = _obj(
    {
        "kind": _s(enum=["added", "removed", "changed"]),
        "what": _s(
            description="item ENV-02, category MKT, scoring.found_by.city, severity_deadlines.S2, label"
        ),
        "field": _s(description="the item's or category's field that changed (empty for settings)"),
        "before": {"description": "the value before (null when added)"},
        "after": {"description": "the value after (null when removed)"},
    },
    "One difference from the previous version",
)
SPEC["paths"].update(
    {
        "/admin/checklists": {
            "get": {
                "summary": "Every checklist version, the latest first month first (admin)",
                "responses": {
                    "200": {
                        "description": "checklists",
                        "content": {
                            "application/json": {
                                "schema": _obj({"checklists": {"type": "array", "items": _CHECKLIST_VERSION}})
                            }
                        },
                    },
                    **_ADMIN_ERRORS,
                },
            },
            "post": {
                "summary": "Load a checklist version (admin): YAML, JSON or an XLSX in the exported layout, in "
                "force from effective_month",
                "description": "400 invalid lists every problem of the file in error.problems, each with message, "
                "path (JSON path), line (YAML or JSON) or sheet and row (XLSX); 400 bad_month for a month that "
                "is not YYYY-MM; 409 conflict when effective_month is a published month or earlier (a published "
                "month keeps its version). Nothing is stored when the request is refused.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file", "effective_month"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    "effective_month": MONTH,
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "the new version, the one it supersedes and every difference from it",
                        "content": {
                            "application/json": {
                                "schema": _obj(
                                    {
                                        "checklist": _CHECKLIST_VERSION,
                                        "previous": _s("integer", nullable=True),
                                        "diff": {"type": "array", "items": _CHECKLIST_CHANGE},
                                    }
                                )
                            }
                        },
                    },
                    "409": _ERR,
                    "413": _ERR,
                    **_ADMIN_ERRORS,
                },
            },
        }
    }
)


SPEC["paths"]["/auth/token"]["post"]["responses"]["403"] = {
    "description": "password_change_required: the password was reset by an administrator; choose a new one on "
    "the login page first",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _every_operation_documents_the_guard(spec: dict) -> None:
    """Any route may answer 400 bad_input (web.register_input_guard), and any secured one 401."""
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            operation["responses"].setdefault("400", _ERR)
            if operation.get("security", spec["security"]):
                operation["responses"].setdefault("401", _ERR)


_every_operation_documents_the_guard(SPEC)
