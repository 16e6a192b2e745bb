"""What a new boundary version changes against the version in force.

Pure module: plain data in, plain data out; no Flask, no database.

Communities are matched by code. A community is *added* when only the new version has its code,
*removed* when only the version in force has it, *renamed* when its name differs, *moved* when its
sub-district code differs, and its area *changed* when the new area differs from the old by more than
``AREA_TOLERANCE`` (5 %) of the old. One community may be renamed, moved and changed in area at once.
Every list is sorted by community code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

AREA_TOLERANCE = 0.05
KINDS = ("added", "removed", "renamed", "moved", "area_changed")


@dataclass(frozen=True)
class Outline:
    """A community as one boundary version has it."""

    code: str
    name: str
    subdistrict_code: str
    area_m2: float


def diff(current: Iterable[Outline], new: Iterable[Outline]) -> dict[str, list[dict[str, Any]]]:
    """``{"added", "removed", "renamed", "moved", "area_changed"}``, each a list of plain dicts."""
    old = {c.code: c for c in current}
    fresh = {c.code: c for c in new}
    out: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for code in sorted(fresh.keys() - old.keys()):
        c = fresh[code]
        out["added"].append({"code": code, "name": c.name, "subdistrict": c.subdistrict_code})
    for code in sorted(old.keys() - fresh.keys()):
        c = old[code]
        out["removed"].append({"code": code, "name": c.name, "subdistrict": c.subdistrict_code})
    for code in sorted(old.keys() & fresh.keys()):
        before, after = old[code], fresh[code]
        if before.name != after.name:
            out["renamed"].append({"code": code, "from": before.name, "to": after.name})
        if before.subdistrict_code != after.subdistrict_code:
            out["moved"].append(
                {
                    "code": code,
                    "name": after.name,
                    "from": before.subdistrict_code,
                    "to": after.subdistrict_code,
                }
            )
        if area_changed(before.area_m2, after.area_m2):
            out["area_changed"].append(
                {
                    "code": code,
                    "name": after.name,
                    "from_m2": round(before.area_m2),
                    "to_m2": round(after.area_m2),
                    "change_pct": round((after.area_m2 - before.area_m2) / before.area_m2 * 100, 1),
                }
            )
    return out


def area_changed(before_m2: float, after_m2: float) -> bool:
    """True when the area moved by more than AREA_TOLERANCE of the old area (a vanished area counts)."""
    if before_m2 <= 0:
        return after_m2 > 0
    return abs(after_m2 - before_m2) > AREA_TOLERANCE * before_m2


def changes_by_code(d: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    """``{code: [kind, ...]}`` for every community the diff names (for colouring a map)."""
    out: dict[str, list[str]] = {}
    for kind in KINDS:
        for entry in d.get(kind, []):
            out.setdefault(entry["code"], []).append(kind)
    return out


def counts(d: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    return {kind: len(d.get(kind, [])) for kind in KINDS}
