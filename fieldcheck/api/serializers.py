"""Plain-dict views of models for the JSON API."""

from __future__ import annotations

from decimal import Decimal

from ..checklist.models import ChecklistVersion
from ..geography.models import Community


def number(value: Decimal) -> float | int:
    """Points as JSON numbers: integers stay integers, the rest keep their two decimals."""
    return int(value) if value == value.to_integral_value() else float(value)


def user(u) -> dict:
    scope = None
    if u.community_id is not None:
        scope = {"type": "community", "code": u.community.code, "name": u.community.name}
    elif u.subdistrict_id is not None:
        scope = {"type": "subdistrict", "code": u.subdistrict.code, "name": u.subdistrict.name}
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "level": u.level,
        "scope": scope,
    }


def community(
    c: Community, centroid: tuple[float, float] | None = None, geometry: dict | None = None
) -> dict:
    out = {
        "id": c.id,
        "code": c.code,
        "name": c.name,
        "subdistrict": {"code": c.subdistrict.code, "name": c.subdistrict.name},
        "spot_types": list(c.spot_types or []),
    }
    if centroid is not None:
        out["centroid"] = {"lat": round(centroid[0], 7), "lon": round(centroid[1], 7)}
    if geometry is not None:
        out["boundary"] = geometry
    return out


def checklist(version: ChecklistVersion, month: str) -> dict:
    settings = version.settings
    scoring = settings.get("scoring", {})
    return {
        "id": version.id,
        "label": version.label,
        "effective_month": version.effective_month,
        "month": month,
        "field_total": number(version.field_total),
        "rectification_total": number(version.rectification_total),
        "found_by": {k: number(Decimal(v)) for k, v in scoring.get("found_by", {}).items()},
        "repeat": scoring.get("repeat", {}),
        "severity_deadlines": settings.get("severity_deadlines", {}),
        "categories": [
            {
                "code": cat.code,
                "name_zh": cat.name_zh,
                "name_en": cat.name_en,
                "weight": number(cat.weight),
                "applies_only_to": list(cat.applies_only_to or []),
                "items": [
                    {
                        "code": item.code,
                        "name_zh": item.name_zh,
                        "name_en": item.name_en,
                        "spot_types": list(item.spot_types),
                        "severity": item.severity,
                        "points": number(item.points),
                        "cap": number(item.cap),
                        "std_codes": list(item.std_codes or []),
                    }
                    for item in cat.items
                ],
            }
            for cat in version.categories
        ],
    }
