"""Describe an API route once, beside its view: ``@documented(...)`` under the ``@bp.get/post(...)`` line.

The path and the method come from the Flask rule; the decorator adds what Flask does not know: a summary,
the query, path and body models (pydantic), the answers per status, and whether the route is public.
``api/spec.py`` walks the app's routes and turns these into /api/v1/openapi.json (README: "How to describe
a new API route"). Every operation answers the error shape below; the guard's 400 and the 401 of a secured
route are added to each one by the generator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, Field

JSON = ("application/json",)
JSON_OR_FORM = ("application/json", "application/x-www-form-urlencoded")
MULTIPART = ("multipart/form-data",)

ERROR_CODES = (
    "Every 4xx (and 503) answer. code is stable and meant for programs; message is for people, in the "
    "user's language. Codes: unauthorized (401), forbidden (403), not_found (404; also for a report the "
    "user may not see), method_not_allowed (405), too_large (413, the request is over the upload limit), "
    "csrf (400, session callers only), invalid (400, e.g. a bad list filter), bad_month (400, a month that is "
    "not YYYY-MM in ASCII digits from 2000 to 2100), bad_input (400, on any route: a NUL character in the path, "
    "a query parameter, a header or a field, or a JSON number that is not finite or beyond 64 bits), "
    "any 400 about one field or query argument names it in field; client_id_conflict (409, with the id of "
    "the record the client_id already names), and for a filed report "
    "or visit: invalid_client_id, invalid_item_code, invalid_lat, invalid_lon, invalid_location (lat without "
    "lon or the reverse), invalid_accuracy_m, invalid_location_source, invalid_observed_at, invalid_instances, "
    "invalid_note, no_photo, too_many_photos, photo_empty, photo_not_an_image, photo_unsupported_format, "
    "photo_truncated, photo_too_many_pixels, unknown_item, no_checklist, unknown_community, unknown_spot, "
    "spot_mismatch, no_location"
)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def optional(description: str = "", **extra: Any) -> Any:
    """A field that may be absent: a query parameter or body field with no default worth showing, or a
    response field that some answers leave out. Not required, and typed without null."""
    return Field(default=None, description=description or None, json_schema_extra=_no_default, **extra)


class ErrorDetail(BaseModel):
    code: str
    message: str
    id: int = optional("client_id_conflict: the existing record")
    field: str = optional(
        "a refused field or query argument (dotted for a nested one: reports.0.id), when one is at fault"
    )
    status: str = optional("a workflow move's 409 (wrong_state, stale): the report's status now")
    version: int = optional("a workflow move's 409 stale: the report's version now")
    problems: list[dict[str, Any]] = optional(
        "a refused data file (checklist, calendar): every problem with its message, path, line or sheet and row"
    )


class Error(BaseModel):
    __doc__ = ERROR_CODES
    error: ErrorDetail


@dataclass(frozen=True)
class Answer:
    """One documented answer: a description, and a model for a JSON body (or other media without one)."""

    description: str
    model: type[BaseModel] | None = None
    media: tuple[str, ...] = JSON
    headers: Mapping[str, Any] = field(default_factory=dict)


ERROR = Answer("Error", Error)

# What a responses entry may be: a model (a JSON body, "OK"), a description (no body described), an Answer.
Response = type[BaseModel] | str | Answer


@dataclass(frozen=True)
class Operation:
    summary: str
    description: str = ""
    query: type[BaseModel] | None = None
    path: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    media: tuple[str, ...] = JSON
    body_required: bool = False
    responses: Mapping[int, Response] = field(default_factory=dict)
    public: bool = False


F = TypeVar("F", bound=Callable[..., Any])


def documented(
    summary: str,
    *,
    description: str = "",
    query: type[BaseModel] | None = None,
    path: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    media: tuple[str, ...] = JSON,
    body_required: bool = False,
    responses: Mapping[int, Response] | None = None,
    errors: tuple[int, ...] = (),
    public: bool = False,
) -> Callable[[F], F]:
    """Attach the route's description to its view.

    ``responses`` maps a status to a model, a description or an :class:`Answer` (default: 200 "OK");
    ``errors`` lists further statuses that answer the error shape; ``path`` describes path parameters
    beyond their converter (int or string); ``public`` routes need no token.
    """
    answers: dict[int, Response] = dict(responses or {200: "OK"})
    for status in errors:
        answers.setdefault(status, ERROR)
    operation = Operation(summary, description, query, path, body, media, body_required, answers, public)

    def attach(view: F) -> F:
        view.openapi = operation  # type: ignore[attr-defined]
        return view

    return attach
