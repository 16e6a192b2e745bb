"""Plain-dict views of models for the JSON API."""

from __future__ import annotations

from decimal import Decimal

from ..checklist.models import ChecklistVersion
from ..checklist.spec import checklist_to_dict
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
    """The version in the API's shape, made by the one checklist serialiser (numbers as JSON numbers;
    the scoring totals, multipliers and repeat rule at the top; an item's ``std`` as ``std_codes``)."""
    from ..checklist.services import parse_checklist_document

    doc = checklist_to_dict(parse_checklist_document(version), number=number)
    scoring = doc["scoring"]
    for category in doc["categories"]:
        for item in category["items"]:
            item["std_codes"] = item.pop("std")
    return {
        "id": version.id,
        "label": version.label,
        "effective_month": version.effective_month,
        "month": month,
        "field_total": scoring["field_total"],
        "rectification_total": scoring["rectification_total"],
        "found_by": scoring["found_by"],
        "repeat": scoring["repeat"],
        "severity_deadlines": doc["severity_deadlines"],
        "categories": doc["categories"],
    }
