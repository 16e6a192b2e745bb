"""A checklist version (测评体系) as plain data: categories, items, scoring rules, deadlines.

Read from a file by :mod:`fieldcheck.checklist.files` (YAML, JSON) and :mod:`fieldcheck.checklist.sheet`
(XLSX), whose docstrings give the formats. Every number scoring uses comes from the file; nothing here
hard-codes a point value.

Category weights are relative: they need not add up to ``field_total``. Scoring scales them so that the
categories that apply to a community add up to ``field_total`` (a weight of 25 out of 100 with a field
total of 70 is worth 17.5 points). Points per instance and caps are in the same units as the weights.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_CHECKLIST_PATH",
    "FOUND_BY_LEVELS",
    "SEVERITIES",
    "SPOT_TYPES",
    "Category",
    "Checklist",
    "Deadline",
    "Item",
    "RectificationWeights",
    "RepeatRule",
    "checklist_to_dict",
    "find_category",
    "find_item",
    "parse_deadline",
]

#: The default checklist shipped with the project (our own point values, not the official 操作手册).
DEFAULT_CHECKLIST_PATH = Path(__file__).resolve().parents[1] / "data" / "checklist-default.yaml"

#: Spot types (点位类型), in display order.
SPOT_TYPES: tuple[str, ...] = ("RES", "ALY", "ROAD", "MKT", "XING", "WC", "CEN", "PARK")
SEVERITIES: tuple[str, ...] = ("S0", "S1", "S2", "S3", "S4")
#: Who found a problem; each level has a multiplier on field deductions.
FOUND_BY_LEVELS: tuple[str, ...] = ("third_party", "city", "district", "subdistrict")

_CENT = Decimal("0.01")
_DEADLINE_RE = re.compile(r"^([1-9][0-9]*)(h|wd)$")


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
# Serialising: the one place a checklist becomes plain data


def _text_number(value: Decimal) -> str:
    return str(value.quantize(_CENT))


def checklist_to_dict(
    checklist: Checklist, number: Callable[[Decimal], Any] = _text_number
) -> dict[str, Any]:
    """The checklist as plain JSON-serialisable data in the file format, numbers with two decimals as
    text ("0.50") unless ``number`` formats them otherwise:
    ``parse_checklist(json.dumps(checklist_to_dict(c))) == c``. The stored version, the API, the
    exported sheet and the differences between versions are all made from this (the API's shape too, with ``number`` giving JSON numbers)."""
    return {
        "label": checklist.label,
        "effective_month": checklist.effective_month,
        "scoring": {
            "field_total": number(checklist.field_total),
            "rectification_total": number(checklist.rectification_total),
            "rectification": {
                "on_time": number(checklist.rectification.on_time),
                "closure": number(checklist.rectification.closure),
                "rework": number(checklist.rectification.rework),
            },
            "found_by": {level: number(checklist.found_by[level]) for level in FOUND_BY_LEVELS},
            "repeat": {
                "window_days": checklist.repeat.window_days,
                "radius_m": checklist.repeat.radius_m,
                "multiplier": number(checklist.repeat.multiplier),
            },
            "red_list_size": checklist.red_list_size,
            "black_list_size": checklist.black_list_size,
            "black_list_below": number(checklist.black_list_below),
        },
        "severity_deadlines": {
            severity: str(checklist.severity_deadlines[severity]) for severity in SEVERITIES
        },
        "categories": [
            {
                "code": category.code,
                "name_zh": category.name_zh,
                "name_en": category.name_en,
                "weight": number(category.weight),
                "applies_only_to": list(category.applies_only_to),
                "items": [
                    {
                        "code": item.code,
                        "name_zh": item.name_zh,
                        "name_en": item.name_en,
                        "spot_types": list(item.spot_types),
                        "severity": item.severity,
                        "points": number(item.points),
                        "cap": number(item.cap),
                        "std": list(item.std_codes),
                    }
                    for item in category.items
                ],
            }
            for category in checklist.categories
        ],
    }
