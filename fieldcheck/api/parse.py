"""Read a request through the model its ``@documented`` description names: one shape, described and parsed.

``body(Model)`` validates the JSON body (or the form, for JSON_OR_FORM routes) and ``query(Model)`` the
query string against the very model ``@documented(body=..., query=...)`` put in /api/v1/openapi.json, so
the description and the parser cannot drift apart. A pydantic ``ValidationError`` becomes the project's
400 ``{"error": {"code", "message", "field"}}`` (:func:`refusal`): the first problem, its field named in
the message (translated) and in ``error.field``. Models check shape and types only; permissions, workflow
transitions and month ranges stay in the services.

Request models derive from :class:`Fields`; numbers are :data:`Whole` and :data:`Number` (ASCII digits
or JSON numbers, finite, never a boolean), the rules of ``fieldcheck/inputs.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar, get_args

from flask import current_app, request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from ..errors import N_, DomainError, Invalid

M = TypeVar("M", bound=BaseModel)

_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_WHOLE = re.compile(r"[+-]?[0-9]{1,19}")


def _number_like(pattern: re.Pattern[str], kind: str, message: str):
    def check(value: object) -> object:
        if isinstance(value, bool) or (isinstance(value, str) and not pattern.fullmatch(value.strip())):
            raise PydanticCustomError(kind, message)
        return value

    return BeforeValidator(check)


Whole = Annotated[int, _number_like(_WHOLE, "int_parsing", "Input should be a whole number")]
"""A whole number: a JSON integer, or text of ASCII digits (a form field, a query argument)."""
Number = Annotated[
    float, _number_like(_DECIMAL, "float_parsing", "Input should be a number"), Field(allow_inf_nan=False)
]
"""A finite number: a JSON number, or ASCII decimal text."""


def rule(template: str) -> PydanticCustomError:
    """A model-level refusal (raise it in a ``model_validator``) with its own message, marked ``N_``."""
    return PydanticCustomError("rule", "{rule}", {"rule": template})


class BlankIsAbsent:
    """Marks a text field (``Annotated[str, BlankIsAbsent()]``) whose blank value counts as absent."""


def _is_text(f: FieldInfo) -> bool:
    text = f.annotation is str or str in get_args(f.annotation)
    return text and not any(isinstance(m, BlankIsAbsent) for m in f.metadata)


class Fields(BaseModel):
    """A request's fields. A blank value of a field that is not text (a form's or query's empty input)
    counts as absent, as the hand parsers it replaces did."""

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        text = {key for name, f in cls.model_fields.items() if _is_text(f) for key in (name, f.alias) if key}
        return {k: v for k, v in data.items() if k in text or not (isinstance(v, str) and not v.strip())}


# The message per pydantic error type; the rest read "FIELD: pydantic's own words".
MESSAGES = {
    "missing": N_("%(field)s is required."),
    "string_type": N_("%(field)s must be text."),
    "int_type": N_("%(field)s must be a whole number."),
    "int_parsing": N_("%(field)s must be a whole number."),
    "int_from_float": N_("%(field)s must be a whole number."),
    "float_type": N_("%(field)s must be a number."),
    "float_parsing": N_("%(field)s must be a number."),
    "finite_number": N_("%(field)s must be a number."),
    "bool_type": N_("%(field)s must be true or false."),
    "bool_parsing": N_("%(field)s must be true or false."),
    "literal_error": N_("%(field)s must be one of %(choices)s."),
    "date_type": N_("%(field)s: use a date YYYY-MM-DD."),
    "date_parsing": N_("%(field)s: use a date YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("%(field)s: use a date YYYY-MM-DD."),
    "date_from_datetime_inexact": N_("%(field)s: use a date YYYY-MM-DD."),
    "extra_forbidden": N_("Unknown field %(field)s."),
    "list_type": N_("%(field)s must be a list."),
    "string_too_long": N_("%(field)s is too long."),
    "string_pattern_mismatch": N_("%(field)s is not in the expected form (see the API description)."),
}
OBJECT_TYPES = ("model_type", "model_attributes_type", "dict_type")
BOUNDS = {
    "greater_than_equal": "ge",
    "less_than_equal": "le",
    "greater_than": "gt",
    "less_than": "lt",
    "too_short": "min_length",
    "too_long": "max_length",
}


def field_name(loc: tuple[int | str, ...]) -> str:
    """A problem's place: the field, dotted for nested ones (``reports.0.id``); empty for the whole body."""
    return ".".join(str(part) for part in loc)


def refusal(
    errors: list[Any],
    *,
    code: str = "invalid",
    codes: Mapping[str, str] | None = None,
    not_object: tuple[str, str] | None = None,
) -> Invalid:
    """The 400 for a model's first problem (pydantic's ``ValidationError.errors()``).

    ``code`` may hold ``{field}`` (``invalid_{field}``: the top-level field's name); ``codes`` gives some
    fields another code; ``not_object`` is the (code, message) for a body that is not an object at all.
    """
    first = errors[0]
    loc = tuple(first.get("loc", ()))
    kind = first.get("type", "")
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, DomainError):  # a field checked by the domain's own parser (a month): its refusal
        return cause
    if not loc and kind in OBJECT_TYPES:
        use_code, template = not_object or (code.format(field="body"), N_("Send a JSON object."))
        return Invalid(template, code=use_code)
    name = field_name(loc)
    top = str(loc[0]) if loc else ""
    use_code = (codes or {}).get(top) or code.format(field=top or "body")
    details = {"field": name} if name else {}
    template = MESSAGES.get(kind)
    if kind == "rule":
        return Invalid(first["ctx"]["rule"], code=use_code, details=details)
    if kind == "literal_error":
        return Invalid(
            template,
            code=use_code,
            details=details,
            field=name,
            choices=first.get("ctx", {}).get("expected", ""),
        )
    if template:
        return Invalid(template, code=use_code, details=details, field=name)
    bound = BOUNDS.get(kind)
    if bound:
        return Invalid(
            N_("%(field)s is out of range: %(reason)s."),
            code=use_code,
            details=details,
            field=name,
            reason=f"{bound} {first.get('ctx', {}).get(bound, '')}".strip(),
        )
    return Invalid(
        N_("%(field)s is not valid: %(reason)s."),
        code=use_code,
        details=details,
        field=name or "body",
        reason=kind,
    )


def validated(model: type[M], data: object, **how: Any) -> M:
    """``data`` as ``model``, or :func:`refusal` (``how``: its code, codes and not_object)."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise refusal(e.errors(include_url=False), **how) from None


def _documented(kind: str, model: type[BaseModel]) -> None:
    """Refuse (a programming error) to parse with a model the route does not document."""
    operation = getattr(current_app.view_functions.get(request.endpoint or ""), "openapi", None)
    documented = getattr(operation, kind, None)
    if documented is not model:
        raise LookupError(f"{request.endpoint} documents {kind}={documented!r} but parses {model!r}")


def body(model: type[M], *, form: bool = False, **how: Any) -> M:
    """The request's JSON body (or, with ``form``, its form when it sends no JSON) as the route's
    documented ``body`` model."""
    _documented("body", model)
    if form and not request.is_json:
        data: object = request.form.to_dict()
    else:
        data = request.get_json(silent=True)
    return validated(model, data, **how)


def query(model: type[M], **how: Any) -> M:
    """The query string as the route's documented ``query`` model (a repeated argument: its first value)."""
    _documented("query", model)
    return validated(model, request.args.to_dict(), **how)
