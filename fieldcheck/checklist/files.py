"""The checklist file (测评体系): its shape as pydantic models, and parsing with located problems.

A checklist version is one YAML or JSON file (JSON is valid YAML: one safe loader reads both), or an
XLSX in the layout of the exported sheet (:mod:`fieldcheck.checklist.sheet`). The format (written back by
:func:`fieldcheck.checklist.spec.checklist_to_dict`):

    label: default-2026
    effective_month: "2026-01"          # optional if the loader is given the month
    scoring:
      field_total: 70                   # 实地测评
      rectification_total: 30           # 整改落实
      rectification: {on_time: 15, closure: 10, rework: 5}      # must add up to rectification_total
      found_by: {third_party: 1.5, city: 1.5, district: 1.0, subdistrict: 0.5}
      repeat: {window_days: 30, radius_m: 50, multiplier: 2}    # 回潮
      red_list_size: 3
      black_list_size: 3
      black_list_below: 85
    severity_deadlines: {S0: 2h, S1: 24h, S2: 3wd, S3: 7wd, S4: plan}
    categories:
      - code: ENV
        name_zh: 环境卫生
        name_en: Sanitation
        weight: 25
        applies_only_to: [MKT]          # optional: score the category only for communities with these spots
        items:
          - {code: ENV-02, name_zh: 楼道卫生不洁, name_en: Dirty stairwell, spot_types: [RES],
             severity: S1, points: 0.5, cap: 4, std: G06036}      # std: optional text or list

Every problem in a file is reported at once in one :class:`ChecklistError`, in file order, each naming
the thing at fault (``item ENV-02: unknown spot type "XYZ"``) and its place: the line of YAML or JSON
text, the row of a sheet, and the JSON path (``categories[0].items[1].spot_types``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError

from ..datafiles import (
    FIELD,
    PLAIN,
    FileProblems,
    Path,
    Source,
    decimal_value,
    load_source,
    located,
    problems_from,
    text_value,
    whole_value,
)
from ..months import BadMonth, month_text
from .spec import (
    FOUND_BY_LEVELS,
    SEVERITIES,
    SPOT_TYPES,
    Category,
    Checklist,
    Deadline,
    Item,
    RectificationWeights,
    RepeatRule,
    parse_deadline,
)

__all__ = ["ChecklistError", "ChecklistFile", "checklist_from_source", "parse_checklist"]

_CATEGORY_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*$")
_ITEM_CODE_RE = re.compile(r"^[A-Z]+-[0-9]+$")

# Longest values the database columns accept.
_MAX_CODE = 16
_MAX_LABEL = 64
_MAX_CATEGORY_NAME = 100
_MAX_ITEM_NAME = 200
_MAX_STD_CODE = 32


class ChecklistError(FileProblems):
    """A checklist file that cannot be used; ``problems`` lists every problem, in file order."""


# ---------------------------------------------------------------------------------------------------
# Field types: each converts and checks one value, with the messages of the file format


def _text(max_length: int) -> BeforeValidator:
    return BeforeValidator(lambda value: text_value(value, max_length))


def _number(positive: bool) -> BeforeValidator:
    return BeforeValidator(lambda value: decimal_value(value, positive=positive))


def _whole(minimum: int) -> BeforeValidator:
    return BeforeValidator(lambda value: whole_value(value, minimum))


def _text_list(value: Any) -> list[str]:
    """A list of text values; a single text value counts as a list of one."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise PydanticCustomError(FIELD, "must be a list, not {value}", {"value": repr(value)})
    bad = [entry for entry in value if not isinstance(entry, str) or not entry.strip()]
    if bad:
        raise PydanticCustomError(
            FIELD, "must be a list of text values, not {value}", {"value": repr(bad[0])}
        )
    return [entry.strip() for entry in value]


def _spot_types(value: Any, *, at_least_one: bool) -> tuple[str, ...]:
    if value is None:
        if at_least_one:
            raise PydanticCustomError("missing", "missing")
        return ()
    seen: list[str] = []
    for spot in _text_list(value):
        if spot not in SPOT_TYPES:
            raise PydanticCustomError(PLAIN, f'unknown spot type "{spot}" (use {", ".join(SPOT_TYPES)})')
        if spot in seen:
            raise PydanticCustomError(PLAIN, f'spot type "{spot}" is listed twice')
        seen.append(spot)
    if at_least_one and not seen:
        raise PydanticCustomError(FIELD, "must list at least one spot type")
    return tuple(seen)


def _code(pattern: re.Pattern, example: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value is None:
            raise PydanticCustomError("missing", "missing")
        if isinstance(value, str) and pattern.match(value) and len(value) <= _MAX_CODE:
            return value
        raise PydanticCustomError(PLAIN, f'code "{value}" must {example}')

    return check


def _severity(value: Any) -> str:
    if value is None:
        raise PydanticCustomError("missing", "missing")
    if value not in SEVERITIES:
        raise PydanticCustomError(PLAIN, f'unknown severity "{value}" (use S0 to S4)')
    return str(value)


def _std(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    codes = _text_list(value)
    for code in codes:
        if len(code) > _MAX_STD_CODE:
            raise PydanticCustomError(PLAIN, f"std code {code!r} is longer than {_MAX_STD_CODE} characters")
    return tuple(codes)


def _deadline(value: Any, info: ValidationInfo) -> Deadline:
    if value is None:
        raise PydanticCustomError("missing", "missing")
    try:
        return parse_deadline(value)
    except ValueError as exc:
        raise PydanticCustomError(PLAIN, f"{info.field_name}: {exc}") from None


def _month(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return month_text(value.strip() if isinstance(value, str) else value)
    except BadMonth:
        raise PydanticCustomError(
            PLAIN, f"effective_month must look like 2026-01, not {str(value)!r}"
        ) from None


Text64 = Annotated[str, _text(_MAX_LABEL)]
CategoryName = Annotated[str, _text(_MAX_CATEGORY_NAME)]
ItemName = Annotated[str, _text(_MAX_ITEM_NAME)]
Number = Annotated[Decimal, _number(False)]
Positive = Annotated[Decimal, _number(True)]
Whole0 = Annotated[int, _whole(0)]
Whole1 = Annotated[int, _whole(1)]
DeadlineField = Annotated[Any, BeforeValidator(_deadline)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RectificationFile(_Strict):
    on_time: Number
    closure: Number
    rework: Number


class FoundByFile(_Strict):
    third_party: Positive
    city: Positive
    district: Positive
    subdistrict: Positive


class RepeatFile(_Strict):
    window_days: Whole1
    radius_m: Whole0
    multiplier: Positive


class ScoringFile(_Strict):
    field_total: Positive
    rectification_total: Number
    rectification: RectificationFile
    found_by: FoundByFile
    repeat: RepeatFile
    red_list_size: Whole0
    black_list_size: Whole0
    black_list_below: Number


class DeadlinesFile(_Strict):
    S0: DeadlineField
    S1: DeadlineField
    S2: DeadlineField
    S3: DeadlineField
    S4: DeadlineField


class ItemFile(_Strict):
    code: Annotated[
        str, BeforeValidator(_code(_ITEM_CODE_RE, "look like ENV-02 (capital letters, a hyphen, digits)"))
    ]
    name_zh: ItemName
    name_en: ItemName
    spot_types: Annotated[tuple[str, ...], BeforeValidator(lambda v: _spot_types(v, at_least_one=True))]
    severity: Annotated[str, BeforeValidator(_severity)]
    points: Number
    cap: Number
    std: Annotated[tuple[str, ...], BeforeValidator(_std)] = ()


class CategoryFile(_Strict):
    code: Annotated[str, BeforeValidator(_code(_CATEGORY_CODE_RE, "be capital letters and digits, like ENV"))]
    name_zh: CategoryName
    name_en: CategoryName
    weight: Positive
    applies_only_to: Annotated[
        tuple[str, ...], BeforeValidator(lambda v: _spot_types(v, at_least_one=False))
    ] = ()
    items: Annotated[list[ItemFile], Field(min_length=1)]


class ChecklistFile(_Strict):
    """The whole file; see the module docstring."""

    label: Text64
    effective_month: Annotated[str | None, BeforeValidator(_month)] = None
    scoring: ScoringFile
    severity_deadlines: DeadlinesFile
    categories: Annotated[list[CategoryFile], Field(min_length=1)]


# ---------------------------------------------------------------------------------------------------
# Parsing


def parse_checklist(text: str | bytes, *, effective_month: str | None = None) -> Checklist:
    """Parse and validate checklist text (YAML or JSON).

    ``effective_month`` ('YYYY-MM'), when given (by the loading command or page), takes precedence over
    the file's own ``effective_month``, which is then ignored; without it the file must have one.
    Raises :class:`ChecklistError` listing every problem found.
    """
    try:
        source = load_source(text)
    except ValueError as exc:
        raise ChecklistError([str(exc)]) from exc
    return checklist_from_source(source, effective_month=effective_month)


def checklist_from_source(source: Source, *, effective_month: str | None = None) -> Checklist:
    """Validate data read from a file (text or sheet) into a checklist; see :func:`parse_checklist`."""
    data = source.data
    if not isinstance(data, dict):
        raise ChecklistError(["the checklist must be a mapping (label, effective_month, scoring, ...)"])
    found: list[tuple[Path, str]] = list(source.problems)
    month: str | None = None
    if effective_month is not None:
        data = {key: value for key, value in data.items() if key != "effective_month"}
        try:
            month = _month(effective_month)
        except PydanticCustomError as exc:
            found.append(((), exc.message()))
    try:
        parsed: ChecklistFile | None = ChecklistFile.model_validate(data)
    except ValidationError as exc:
        parsed = None
        found += problems_from(exc, ChecklistFile, source, lambda loc: _describe(data, loc))
    found += _cross_checks(data)
    if parsed is not None and month is None and effective_month is None:
        month = parsed.effective_month
        if month is None:
            found.append(((), "missing effective_month (give it in the file or when loading)"))
    if found:
        raise ChecklistError(located(source, found))
    assert parsed is not None and month is not None
    return _checklist(parsed, month)


def _checklist(parsed: ChecklistFile, month: str) -> Checklist:
    s = parsed.scoring
    return Checklist(
        label=parsed.label,
        effective_month=month,
        field_total=s.field_total,
        rectification_total=s.rectification_total,
        found_by={level: getattr(s.found_by, level) for level in FOUND_BY_LEVELS},
        repeat=RepeatRule(s.repeat.window_days, s.repeat.radius_m, s.repeat.multiplier),
        rectification=RectificationWeights(
            s.rectification.on_time, s.rectification.closure, s.rectification.rework
        ),
        red_list_size=s.red_list_size,
        black_list_size=s.black_list_size,
        black_list_below=s.black_list_below,
        severity_deadlines={
            severity: getattr(parsed.severity_deadlines, severity) for severity in SEVERITIES
        },
        categories=tuple(
            Category(
                c.code,
                c.name_zh,
                c.name_en,
                c.weight,
                c.applies_only_to,
                tuple(
                    Item(i.code, i.name_zh, i.name_en, i.spot_types, i.severity, i.points, i.cap, i.std)
                    for i in c.items
                ),
            )
            for c in parsed.categories
        ),
    )


def _valid_code(raw: Any, pattern: re.Pattern) -> str | None:
    code = raw.get("code") if isinstance(raw, dict) else None
    return code if isinstance(code, str) and pattern.match(code) and len(code) <= _MAX_CODE else None


def _category_where(data: dict, index: int) -> str:
    categories = data.get("categories")
    raw = categories[index] if isinstance(categories, list) and index < len(categories) else None
    code = _valid_code(raw, _CATEGORY_CODE_RE)
    return f"category {code}" if code else f"category {index + 1}"


def _describe(data: dict, loc: Path) -> tuple[str, Path]:
    """The name of the thing at ``loc``: "item ENV-02", "category 2, item 1", "scoring.found_by"."""
    if not loc:
        return "", loc
    if loc[0] == "scoring" and len(loc) >= 3 and loc[1] in ("rectification", "found_by", "repeat"):
        return f"scoring.{loc[1]}", loc
    if loc[0] in ("scoring", "severity_deadlines") and len(loc) >= 2:
        return str(loc[0]), loc
    if loc[0] == "categories" and len(loc) >= 2 and isinstance(loc[1], int):
        where = _category_where(data, loc[1])
        if len(loc) >= 4 and loc[2] == "items" and isinstance(loc[3], int):
            items = data["categories"][loc[1]].get("items")
            code = _valid_code(items[loc[3]], _ITEM_CODE_RE)
            return (f"item {code}" if code else f"{where}, item {loc[3] + 1}"), loc
        return where, loc
    return "", loc


def _maybe(check: Callable[[Any], Any], value: Any) -> Any:
    """The checked value, or None if it is not valid (its own problem is reported by the model)."""
    try:
        return check(value)
    except PydanticCustomError:
        return None


def _cross_checks(data: dict) -> list[tuple[Path, str]]:
    """Rules across values, checked on the file's data wherever the values involved are valid (so they
    are reported together with the other problems): unique codes, items within their category's spot
    types, rectification weights adding up, a black-list threshold within reach."""
    found = _scoring_checks(data.get("scoring"))
    categories = data.get("categories")
    if not isinstance(categories, list):
        return found
    category_codes: set[str] = set()
    item_codes: set[str] = set()
    for ci, category in enumerate(categories):
        code = _valid_code(category, _CATEGORY_CODE_RE)
        if code is None:
            continue
        if code in category_codes:
            found.append((("categories", ci, "code"), f"duplicate category code {code}"))
        category_codes.add(code)
        only = _maybe(lambda v: _spot_types(v, at_least_one=False), category.get("applies_only_to"))
        items = category.get("items")
        for ii, item in enumerate(items if isinstance(items, list) else []):
            item_code = _valid_code(item, _ITEM_CODE_RE)
            if item_code is None:
                continue
            if item_code in item_codes:
                found.append((("categories", ci, "items", ii, "code"), f"duplicate item code {item_code}"))
            item_codes.add(item_code)
            spots = _maybe(lambda v: _spot_types(v, at_least_one=True), item.get("spot_types"))
            outside = [spot for spot in spots or () if only and spot not in only]
            if outside:
                found.append(
                    (
                        ("categories", ci, "items", ii, "spot_types"),
                        f"item {item_code}: spot type {', '.join(outside)} is outside its category's "
                        f"applies_only_to ({', '.join(only)})",
                    )
                )
    return found


def _scoring_checks(scoring: Any) -> list[tuple[Path, str]]:
    if not isinstance(scoring, dict):
        return []
    found: list[tuple[Path, str]] = []
    number = lambda v: decimal_value(v)  # noqa: E731
    field_total = _maybe(lambda v: decimal_value(v, positive=True), scoring.get("field_total"))
    rectification_total = _maybe(number, scoring.get("rectification_total"))
    weights = scoring.get("rectification")
    if isinstance(weights, dict) and rectification_total is not None:
        parts = [_maybe(number, weights.get(key)) for key in ("on_time", "closure", "rework")]
        if all(part is not None for part in parts) and sum(parts) != rectification_total:
            found.append(
                (
                    ("scoring", "rectification"),
                    f"scoring.rectification: on_time + closure + rework is {sum(parts)}, "
                    f"but rectification_total is {rectification_total}",
                )
            )
    below = _maybe(number, scoring.get("black_list_below"))
    top = None if field_total is None or rectification_total is None else field_total + rectification_total
    if below is not None and top is not None and below > top:
        found.append(
            (
                ("scoring", "black_list_below"),
                f"scoring: black_list_below ({below}) is above the highest possible score ({top})",
            )
        )
    return found
