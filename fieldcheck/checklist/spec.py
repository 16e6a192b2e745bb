"""The checklist file (测评体系): parse, validate and serialise one version.

A checklist version is one YAML or JSON file (JSON is valid YAML, so both go through the same safe YAML
loader). Every number scoring uses lives in the file; nothing here hard-codes a point value. The format:

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

Category weights are relative: they need not add up to ``field_total``. Scoring scales them so that the
categories that apply to a community add up to ``field_total`` (a weight of 25 out of 100 with a field
total of 70 is worth 17.5 points). Points per instance and caps are in the same units as the weights.

Every problem in a file is collected and reported at once in one :class:`ChecklistError`, each message
naming its place (``item ENV-02: unknown spot type "XYZ"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from ..months import BadMonth, month_text

__all__ = [
    "DEFAULT_CHECKLIST_PATH",
    "FOUND_BY_LEVELS",
    "SEVERITIES",
    "SPOT_TYPES",
    "Category",
    "Checklist",
    "ChecklistError",
    "Deadline",
    "Item",
    "RectificationWeights",
    "RepeatRule",
    "checklist_to_dict",
    "find_category",
    "find_item",
    "load_document",
    "parse_checklist",
    "parse_deadline",
]

#: The default checklist shipped with the project (our own point values, not the official 操作手册).
DEFAULT_CHECKLIST_PATH = Path(__file__).resolve().parents[1] / "data" / "checklist-default.yaml"

#: Spot types (点位类型), in display order.
SPOT_TYPES: tuple[str, ...] = ("RES", "ALY", "ROAD", "MKT", "XING", "WC", "CEN", "PARK")
SEVERITIES: tuple[str, ...] = ("S0", "S1", "S2", "S3", "S4")
#: Who found a problem; each level has a multiplier on field deductions.
FOUND_BY_LEVELS: tuple[str, ...] = ("third_party", "city", "district", "subdistrict")

_CATEGORY_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]*$")
_ITEM_CODE_RE = re.compile(r"^[A-Z]+-[0-9]+$")
_DEADLINE_RE = re.compile(r"^([1-9][0-9]*)(h|wd)$")
_CENT = Decimal("0.01")
_MAX_NUMBER = Decimal(1_000_000)

# Longest values the database columns accept.
_MAX_CODE = 16
_MAX_LABEL = 64
_MAX_CATEGORY_NAME = 100
_MAX_ITEM_NAME = 200
_MAX_STD_CODE = 32

_TOP_KEYS = ("label", "effective_month", "scoring", "severity_deadlines", "categories")
_SCORING_KEYS = (
    "field_total",
    "rectification_total",
    "rectification",
    "found_by",
    "repeat",
    "red_list_size",
    "black_list_size",
    "black_list_below",
)
_RECTIFICATION_KEYS = ("on_time", "closure", "rework")
_REPEAT_KEYS = ("window_days", "radius_m", "multiplier")
_CATEGORY_KEYS = ("code", "name_zh", "name_en", "weight", "applies_only_to", "items")
_ITEM_KEYS = ("code", "name_zh", "name_en", "spot_types", "severity", "points", "cap", "std")


class ChecklistError(ValueError):
    """A checklist file that cannot be used; ``problems`` lists every problem found, one per line."""

    def __init__(self, problems: Iterable[str]):
        self.problems: list[str] = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Deadline:
    """How long a community has to rectify a problem of one severity.

    ``kind`` is ``"hours"`` (clock hours), ``"working_days"`` (see ``fieldcheck.calendar``) or ``"plan"``
    (a date approved by the office, 挂账; ``amount`` is None).
    """

    kind: str
    amount: int | None = None

    def __str__(self) -> str:
        if self.kind == "hours":
            return f"{self.amount}h"
        if self.kind == "working_days":
            return f"{self.amount}wd"
        return "plan"


@dataclass(frozen=True)
class RepeatRule:
    """A repeat (回潮): the same item at the same spot, or within ``radius_m``, within ``window_days``
    after the earlier report was closed; its deductions are multiplied by ``multiplier``."""

    window_days: int = 30
    radius_m: int = 50
    multiplier: Decimal = Decimal("2")


@dataclass(frozen=True)
class RectificationWeights:
    """整改落实: on_time × on-time rate + closure × closure rate + rework × (1 − rework rate)."""

    on_time: Decimal = Decimal("15")
    closure: Decimal = Decimal("10")
    rework: Decimal = Decimal("5")

    @property
    def total(self) -> Decimal:
        return self.on_time + self.closure + self.rework


@dataclass(frozen=True)
class Item:
    code: str
    name_zh: str
    name_en: str
    spot_types: tuple[str, ...]
    severity: str
    #: Points deducted per instance, before multipliers.
    points: Decimal
    #: Most points this item can deduct from one community in one month.
    cap: Decimal
    #: Optional national classification codes (a mapping aid only; scoring ignores them).
    std_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    #: Relative weight; also the most this category can lose (扣完为止) before scaling to field_total.
    weight: Decimal
    #: Score this category only for communities that have one of these spot types (empty: all).
    applies_only_to: tuple[str, ...]
    items: tuple[Item, ...]

    @property
    def spot_types(self) -> tuple[str, ...]:
        """The spot types this category can be found at: ``applies_only_to`` if given, otherwise every
        spot type one of its items applies to, in :data:`SPOT_TYPES` order."""
        if self.applies_only_to:
            return self.applies_only_to
        used = {spot for item in self.items for spot in item.spot_types}
        return tuple(spot for spot in SPOT_TYPES if spot in used)


@dataclass(frozen=True)
class Checklist:
    label: str
    #: First month ('YYYY-MM', local time) this version is in force.
    effective_month: str
    field_total: Decimal
    rectification_total: Decimal
    #: Multiplier per level that found a problem: third_party, city, district, subdistrict.
    found_by: dict[str, Decimal]
    repeat: RepeatRule
    rectification: RectificationWeights
    red_list_size: int
    black_list_size: int
    #: A community scoring below this is on the black list whatever its rank.
    black_list_below: Decimal
    severity_deadlines: dict[str, Deadline]
    categories: tuple[Category, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item, in file order."""
        return tuple(item for category in self.categories for item in category.items)

    @property
    def total(self) -> Decimal:
        return self.field_total + self.rectification_total

    @property
    def weight_total(self) -> Decimal:
        return sum((category.weight for category in self.categories), Decimal(0))


def find_item(checklist: Checklist, code: str) -> Item | None:
    """The item with this code, or None."""
    for category in checklist.categories:
        for item in category.items:
            if item.code == code:
                return item
    return None


def find_category(checklist: Checklist, item_code: str) -> Category | None:
    """The category holding the item with this code, or None."""
    for category in checklist.categories:
        if any(item.code == item_code for item in category.items):
            return category
    return None


# ---------------------------------------------------------------------------------------------------
# Loading text


class _StrictLoader(yaml.SafeLoader):
    """The safe loader, refusing a key given twice in one mapping (PyYAML keeps the last silently)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:
            continue  # an unhashable key; construct_mapping reports it
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f'key "{key}" is given twice', key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


def _construct_timestamp(loader: _StrictLoader, node: yaml.ScalarNode) -> object:
    """A YAML date such as 2026-02-30 that looks right but does not exist is reported with its line."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f'"{node.value}" is not a valid date ({exc})', node.start_mark
        ) from exc


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load_document(text: str | bytes) -> Any:
    """Load YAML or JSON text (UTF-8 if bytes) with the safe loader; ValueError with a short message
    naming the line if it does not parse or a mapping repeats a key."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError("the file is not UTF-8 text") from exc
    text = text.lstrip("\ufeff")
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ValueError(f"not valid YAML or JSON{where}: {problem}") from exc


# ---------------------------------------------------------------------------------------------------
# Validation helpers: each appends its problems to a list and returns None when the value is unusable.


def _at(where: str, message: str) -> str:
    return f"{where}: {message}" if where else message


class _Problems:
    def __init__(self) -> None:
        self.list: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.list.append(_at(where, message))

    def mapping(self, value: Any, where: str, name: str) -> dict | None:
        if value is None:
            self.add(where, f"missing {name}")
            return None
        if not isinstance(value, dict):
            self.add(where, f"{name} must be a mapping of keys to values")
            return None
        return value

    def unknown_keys(self, data: dict, allowed: tuple[str, ...], where: str) -> None:
        for key in data:
            if key not in allowed:
                self.add(where, f'unknown key "{key}" (allowed: {", ".join(allowed)})')

    def text(self, data: dict, key: str, where: str, max_length: int) -> str | None:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(where, f"missing {key}")
            return None
        if not isinstance(value, str):
            self.add(where, f"{key} must be text, not {value!r}")
            return None
        value = value.strip()
        if len(value) > max_length:
            self.add(where, f"{key} is longer than {max_length} characters")
            return None
        return value

    def number(self, data: dict, key: str, where: str, *, positive: bool = False) -> Decimal | None:
        """A non-negative number (greater than 0 if ``positive``) with at most two decimals."""
        if key not in data or data[key] is None:
            self.add(where, f"missing {key}")
            return None
        raw = data[key]
        value: Decimal | None = None
        if isinstance(raw, bool):
            value = None
        elif isinstance(raw, int):
            value = Decimal(raw)
        elif isinstance(raw, float):
            value = Decimal(repr(raw))
        elif isinstance(raw, str):
            try:
                value = Decimal(raw.strip())
            except InvalidOperation:
                value = None
        if value is None or not value.is_finite():
            self.add(where, f"{key} must be a number, not {raw!r}")
            return None
        if value < 0:
            self.add(where, f"{key} must not be negative")
            return None
        if positive and value == 0:
            self.add(where, f"{key} must be greater than 0")
            return None
        if value > _MAX_NUMBER:
            self.add(where, f"{key} must not exceed {_MAX_NUMBER}")
            return None
        if value != value.quantize(_CENT):
            self.add(where, f"{key} must have at most two decimals ({raw})")
            return None
        return value.quantize(_CENT)

    def whole(self, data: dict, key: str, where: str, *, minimum: int) -> int | None:
        if key not in data or data[key] is None:
            self.add(where, f"missing {key}")
            return None
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(where, f"{key} must be a whole number, not {value!r}")
            return None
        if value < minimum:
            self.add(where, f"{key} must be at least {minimum}")
            return None
        return value

    def text_list(self, value: Any, key: str, where: str) -> list[str] | None:
        """A list of text values; a single text value counts as a list of one."""
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.add(where, f"{key} must be a list, not {value!r}")
            return None
        bad = [entry for entry in value if not isinstance(entry, str) or not entry.strip()]
        if bad:
            self.add(where, f"{key} must be a list of text values, not {bad[0]!r}")
            return None
        return [entry.strip() for entry in value]

    def spot_types(self, value: Any, key: str, where: str) -> tuple[str, ...] | None:
        entries = self.text_list(value, key, where)
        if entries is None:
            return None
        ok = True
        seen: list[str] = []
        for spot in entries:
            if spot not in SPOT_TYPES:
                self.add(where, f'unknown spot type "{spot}" (use {", ".join(SPOT_TYPES)})')
                ok = False
            elif spot in seen:
                self.add(where, f'spot type "{spot}" is listed twice')
                ok = False
            else:
                seen.append(spot)
        return tuple(seen) if ok else None


def parse_deadline(value: Any) -> Deadline:
    """``"2h"`` → hours, ``"3wd"`` → working days, ``"plan"`` → a date approved by the office."""
    if isinstance(value, str):
        text = value.strip()
        if text == "plan":
            return Deadline("plan", None)
        match = _DEADLINE_RE.match(text)
        if match:
            kind = "hours" if match.group(2) == "h" else "working_days"
            return Deadline(kind, int(match.group(1)))
    raise ValueError(f'deadline must look like 2h, 3wd or plan, not "{value}"')


# ---------------------------------------------------------------------------------------------------
# Parsing


def parse_checklist(text: str | bytes, *, effective_month: str | None = None) -> Checklist:
    """Parse and validate checklist text (YAML or JSON).

    ``effective_month`` ('YYYY-MM'), when given (by the loading command), takes precedence over the
    file's own ``effective_month``, which is then ignored; without it the file must have one.
    Raises :class:`ChecklistError` listing every problem found.
    """
    try:
        data = load_document(text)
    except ValueError as exc:
        raise ChecklistError([str(exc)]) from exc
    if not isinstance(data, dict):
        raise ChecklistError(["the checklist must be a mapping (label, effective_month, scoring, ...)"])

    problems = _Problems()
    problems.unknown_keys(data, _TOP_KEYS, "")

    label = problems.text(data, "label", "", _MAX_LABEL)

    month: str | None = None
    month_value = effective_month if effective_month is not None else data.get("effective_month")
    if month_value is None:
        problems.add("", "missing effective_month (give it in the file or when loading)")
    else:
        try:
            month = month_text(month_value.strip() if isinstance(month_value, str) else month_value)
        except BadMonth:
            problems.add("", f"effective_month must look like 2026-01, not {str(month_value)!r}")

    scoring = _parse_scoring(data.get("scoring"), problems)
    deadlines = _parse_deadlines(data.get("severity_deadlines"), problems)
    categories = _parse_categories(data.get("categories"), problems)

    if problems.list:
        raise ChecklistError(problems.list)
    assert label is not None and month is not None and scoring is not None
    assert deadlines is not None and categories is not None
    return Checklist(
        label=label,
        effective_month=month,
        severity_deadlines=deadlines,
        categories=categories,
        **scoring,
    )


def _parse_scoring(value: Any, problems: _Problems) -> dict[str, Any] | None:
    where = "scoring"
    data = problems.mapping(value, "", where)
    if data is None:
        return None
    count = len(problems.list)
    problems.unknown_keys(data, _SCORING_KEYS, where)
    field_total = problems.number(data, "field_total", where, positive=True)
    rectification_total = problems.number(data, "rectification_total", where)

    rectification: RectificationWeights | None = None
    weights = problems.mapping(data.get("rectification"), where, "rectification")
    if weights is not None:
        inner = "scoring.rectification"
        problems.unknown_keys(weights, _RECTIFICATION_KEYS, inner)
        parts = [problems.number(weights, key, inner) for key in _RECTIFICATION_KEYS]
        if all(part is not None for part in parts):
            rectification = RectificationWeights(*parts)  # type: ignore[arg-type]
            if rectification_total is not None and rectification.total != rectification_total:
                problems.add(
                    inner,
                    f"on_time + closure + rework is {rectification.total}, "
                    f"but rectification_total is {rectification_total}",
                )

    found_by: dict[str, Decimal] = {}
    levels = problems.mapping(data.get("found_by"), where, "found_by")
    if levels is not None:
        inner = "scoring.found_by"
        problems.unknown_keys(levels, FOUND_BY_LEVELS, inner)
        for level in FOUND_BY_LEVELS:
            multiplier = problems.number(levels, level, inner, positive=True)
            if multiplier is not None:
                found_by[level] = multiplier

    repeat: RepeatRule | None = None
    rule = problems.mapping(data.get("repeat"), where, "repeat")
    if rule is not None:
        inner = "scoring.repeat"
        problems.unknown_keys(rule, _REPEAT_KEYS, inner)
        window_days = problems.whole(rule, "window_days", inner, minimum=1)
        radius_m = problems.whole(rule, "radius_m", inner, minimum=0)
        multiplier = problems.number(rule, "multiplier", inner, positive=True)
        if window_days is not None and radius_m is not None and multiplier is not None:
            repeat = RepeatRule(window_days, radius_m, multiplier)

    red_list_size = problems.whole(data, "red_list_size", where, minimum=0)
    black_list_size = problems.whole(data, "black_list_size", where, minimum=0)
    black_list_below = problems.number(data, "black_list_below", where)
    if (
        black_list_below is not None
        and field_total is not None
        and rectification_total is not None
        and black_list_below > field_total + rectification_total
    ):
        problems.add(
            where,
            f"black_list_below ({black_list_below}) is above the highest possible score "
            f"({field_total + rectification_total})",
        )

    if len(problems.list) > count:
        return None
    return {
        "field_total": field_total,
        "rectification_total": rectification_total,
        "found_by": found_by,
        "repeat": repeat,
        "rectification": rectification,
        "red_list_size": red_list_size,
        "black_list_size": black_list_size,
        "black_list_below": black_list_below,
    }


def _parse_deadlines(value: Any, problems: _Problems) -> dict[str, Deadline] | None:
    where = "severity_deadlines"
    data = problems.mapping(value, "", where)
    if data is None:
        return None
    count = len(problems.list)
    problems.unknown_keys(data, SEVERITIES, where)
    deadlines: dict[str, Deadline] = {}
    for severity in SEVERITIES:
        if data.get(severity) is None:
            problems.add(where, f"missing {severity}")
            continue
        try:
            deadlines[severity] = parse_deadline(data[severity])
        except ValueError as exc:
            problems.add(where, f"{severity}: {exc}")
    return deadlines if len(problems.list) == count else None


def _parse_categories(value: Any, problems: _Problems) -> tuple[Category, ...] | None:
    if value is None:
        problems.add("", "missing categories")
        return None
    if not isinstance(value, list) or not value:
        problems.add("", "categories must be a non-empty list")
        return None
    count = len(problems.list)
    categories: list[Category] = []
    category_codes: set[str] = set()
    item_codes: set[str] = set()
    for index, raw in enumerate(value, start=1):
        category = _parse_category(raw, index, problems, category_codes, item_codes)
        if category is not None:
            categories.append(category)
    return tuple(categories) if len(problems.list) == count else None


def _parse_category(
    raw: Any, index: int, problems: _Problems, category_codes: set[str], item_codes: set[str]
) -> Category | None:
    where = f"category {index}"
    if not isinstance(raw, dict):
        problems.add(where, "must be a mapping with code, name_zh, name_en, weight and items")
        return None
    count = len(problems.list)
    code = raw.get("code")
    if isinstance(code, str) and _CATEGORY_CODE_RE.match(code) and len(code) <= _MAX_CODE:
        where = f"category {code}"
        if code in category_codes:
            problems.add("", f"duplicate category code {code}")
        category_codes.add(code)
    elif code is None:
        problems.add(where, "missing code")
    else:
        problems.add(where, f'code "{code}" must be capital letters and digits, like ENV')

    problems.unknown_keys(raw, _CATEGORY_KEYS, where)
    name_zh = problems.text(raw, "name_zh", where, _MAX_CATEGORY_NAME)
    name_en = problems.text(raw, "name_en", where, _MAX_CATEGORY_NAME)
    weight = problems.number(raw, "weight", where, positive=True)
    applies_only_to: tuple[str, ...] | None = ()
    if raw.get("applies_only_to") is not None:
        applies_only_to = problems.spot_types(raw["applies_only_to"], "applies_only_to", where)

    items: list[Item] = []
    raw_items = raw.get("items")
    if raw_items is None:
        problems.add(where, "missing items")
    elif not isinstance(raw_items, list) or not raw_items:
        problems.add(where, "items must be a non-empty list")
    else:
        for item_index, raw_item in enumerate(raw_items, start=1):
            item = _parse_item(raw_item, f"{where}, item {item_index}", problems, item_codes)
            if item is None:
                continue
            if applies_only_to:
                outside = [spot for spot in item.spot_types if spot not in applies_only_to]
                if outside:
                    problems.add(
                        f"item {item.code}",
                        f"spot type {', '.join(outside)} is outside its category's applies_only_to "
                        f"({', '.join(applies_only_to)})",
                    )
            items.append(item)

    if len(problems.list) > count:
        return None
    assert isinstance(code, str) and name_zh is not None and name_en is not None and weight is not None
    assert applies_only_to is not None
    return Category(code, name_zh, name_en, weight, applies_only_to, tuple(items))


def _parse_item(raw: Any, where: str, problems: _Problems, item_codes: set[str]) -> Item | None:
    if not isinstance(raw, dict):
        problems.add(
            where, "must be a mapping with code, name_zh, name_en, spot_types, severity, points, cap"
        )
        return None
    count = len(problems.list)
    code = raw.get("code")
    if isinstance(code, str) and _ITEM_CODE_RE.match(code) and len(code) <= _MAX_CODE:
        where = f"item {code}"
        if code in item_codes:
            problems.add("", f"duplicate item code {code}")
        item_codes.add(code)
    elif code is None:
        problems.add(where, "missing code")
    else:
        problems.add(where, f'code "{code}" must look like ENV-02 (capital letters, a hyphen, digits)')

    problems.unknown_keys(raw, _ITEM_KEYS, where)
    name_zh = problems.text(raw, "name_zh", where, _MAX_ITEM_NAME)
    name_en = problems.text(raw, "name_en", where, _MAX_ITEM_NAME)

    spot_types: tuple[str, ...] | None = None
    if raw.get("spot_types") is None:
        problems.add(where, "missing spot_types")
    else:
        spot_types = problems.spot_types(raw["spot_types"], "spot_types", where)
        if spot_types == ():
            problems.add(where, "spot_types must list at least one spot type")
            spot_types = None

    severity = raw.get("severity")
    if severity is None:
        problems.add(where, "missing severity")
    elif severity not in SEVERITIES:
        problems.add(where, f'unknown severity "{severity}" (use S0 to S4)')

    points = problems.number(raw, "points", where)
    cap = problems.number(raw, "cap", where)

    std_codes: list[str] | None = []
    if raw.get("std") is not None:
        std_codes = problems.text_list(raw["std"], "std", where)
        for std in std_codes or ():
            if len(std) > _MAX_STD_CODE:
                problems.add(where, f"std code {std!r} is longer than {_MAX_STD_CODE} characters")

    if len(problems.list) > count:
        return None
    assert isinstance(code, str) and name_zh is not None and name_en is not None
    assert spot_types is not None and points is not None and cap is not None and std_codes is not None
    assert isinstance(severity, str)
    return Item(code, name_zh, name_en, spot_types, severity, points, cap, tuple(std_codes))


# ---------------------------------------------------------------------------------------------------
# Serialising


def _number(value: Decimal) -> str:
    return str(value.quantize(_CENT))


def checklist_to_dict(checklist: Checklist) -> dict[str, Any]:
    """The checklist as plain JSON-serialisable data (numbers with decimals as strings such as "0.50"),
    in the file format: ``parse_checklist(json.dumps(checklist_to_dict(c))) == c``."""
    return {
        "label": checklist.label,
        "effective_month": checklist.effective_month,
        "scoring": {
            "field_total": _number(checklist.field_total),
            "rectification_total": _number(checklist.rectification_total),
            "rectification": {
                "on_time": _number(checklist.rectification.on_time),
                "closure": _number(checklist.rectification.closure),
                "rework": _number(checklist.rectification.rework),
            },
            "found_by": {level: _number(checklist.found_by[level]) for level in FOUND_BY_LEVELS},
            "repeat": {
                "window_days": checklist.repeat.window_days,
                "radius_m": checklist.repeat.radius_m,
                "multiplier": _number(checklist.repeat.multiplier),
            },
            "red_list_size": checklist.red_list_size,
            "black_list_size": checklist.black_list_size,
            "black_list_below": _number(checklist.black_list_below),
        },
        "severity_deadlines": {
            severity: str(checklist.severity_deadlines[severity]) for severity in SEVERITIES
        },
        "categories": [
            {
                "code": category.code,
                "name_zh": category.name_zh,
                "name_en": category.name_en,
                "weight": _number(category.weight),
                "applies_only_to": list(category.applies_only_to),
                "items": [
                    {
                        "code": item.code,
                        "name_zh": item.name_zh,
                        "name_en": item.name_en,
                        "spot_types": list(item.spot_types),
                        "severity": item.severity,
                        "points": _number(item.points),
                        "cap": _number(item.cap),
                        "std": list(item.std_codes),
                    }
                    for item in category.items
                ],
            }
            for category in checklist.categories
        ],
    }
