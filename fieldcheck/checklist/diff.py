"""The differences between two checklist versions, for the office to read before a version takes effect.

Made from the one serialiser (``checklist_to_dict``), so every value in the file is compared: settings
(totals, multipliers, the repeat rule, deadlines, list sizes), categories (names, weight, spot types)
and items (names, spot types, severity, points, cap, std codes). Items are matched by code, categories
by code; an item that moved to another category is a change of its ``category``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .spec import Checklist, checklist_to_dict

__all__ = ["Change", "checklist_diff"]


@dataclass(frozen=True)
class Change:
    """``what`` was added, removed, or had ``field`` changed from ``before`` to ``after``."""

    kind: str  # "added", "removed" or "changed"
    what: str  # "item ENV-02", "category MKT", "scoring.found_by.city", "label"
    field: str = ""
    before: Any = None
    after: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "what": self.what,
            "field": self.field,
            "before": self.before,
            "after": self.after,
        }


def _flat(data: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("categories", "effective_month"):
            continue
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _rows(data: dict) -> tuple[dict[str, dict], dict[str, dict]]:
    categories, items = {}, {}
    for category in data["categories"]:
        categories[category["code"]] = {k: v for k, v in category.items() if k != "items"}
        for item in category["items"]:
            items[item["code"]] = {**item, "category": category["code"]}
    return categories, items


def _compare(kind: str, before: dict[str, dict], after: dict[str, dict]) -> list[Change]:
    changes = [Change("removed", f"{kind} {code}") for code in before if code not in after]
    for code, row in after.items():
        if code not in before:
            changes.append(Change("added", f"{kind} {code}", after=row.get("name_zh")))
            continue
        changes += [
            Change("changed", f"{kind} {code}", field, before[code].get(field), value)
            for field, value in row.items()
            if field != "code" and before[code].get(field) != value
        ]
    return changes


def checklist_diff(before: Checklist | None, after: Checklist) -> list[Change]:
    """Every difference from ``before`` to ``after`` (everything is added when there is no ``before``):
    settings first, then categories, then items, each in ``after``'s order (removals first)."""
    new = checklist_to_dict(after)
    if before is None:
        return [Change("added", f"item {item.code}", after=item.name_zh) for item in after.items]
    old = checklist_to_dict(before)
    old_settings, new_settings = _flat(old), _flat(new)
    changes = [
        Change("changed", key, "", old_settings.get(key), value)
        for key, value in new_settings.items()
        if old_settings.get(key) != value
    ]
    old_categories, old_items = _rows(old)
    new_categories, new_items = _rows(new)
    return (
        changes
        + _compare("category", old_categories, new_categories)
        + _compare("item", old_items, new_items)
    )
