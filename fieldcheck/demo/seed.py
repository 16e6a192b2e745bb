"""The demo district: boundaries, spots, the default checklist and calendar, and demo accounts."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from ..auth.models import User
from ..auth.services import NewUser, add_user
from ..calendar import services as calendar_services
from ..checklist import services as checklist_services
from ..extensions import db
from ..geography import services as geo_services
from ..geography.models import Community
from .geo import demo_spots, generate_district, to_feature_collection

DEMO_PASSWORD = "demo-2026-wmb"


def demo_accounts(first: Community, second: Community) -> list[NewUser]:
    """The accounts listed in README.md; both community accounts belong to the same sub-district."""
    sub = first.subdistrict.code
    return [
        NewUser("admin", DEMO_PASSWORD, "admin", display_name="系统管理员"),
        NewUser("office", DEMO_PASSWORD, "office", display_name="区文明办"),
        NewUser("inspector", DEMO_PASSWORD, "inspector", level="city", display_name="市级督查员"),
        NewUser(
            "subdistrict",
            DEMO_PASSWORD,
            "subdistrict",
            subdistrict=sub,
            display_name=f"{first.subdistrict.name}",
        ),
        NewUser("community", DEMO_PASSWORD, "community", community=first.code, display_name=first.name),
        NewUser("community2", DEMO_PASSWORD, "community", community=second.code, display_name=second.name),
    ]


def is_empty() -> bool:
    return db.session.scalar(select(func.count(User.id))) == 0


def seed_demo(seed: int = 2026) -> dict:
    """Stage the whole demo district (the caller commits); returns a summary."""
    features = generate_district(seed)
    collection = to_feature_collection(features)
    version = geo_services.import_boundaries(
        json.dumps(collection, ensure_ascii=False).encode("utf-8"), "demo-district.geojson"
    )
    spots = demo_spots(features, seed)
    geo_services.add_spots(spots)
    checklist_services.import_checklist(checklist_services.default_checklist_text())
    calendar_services.import_calendar(calendar_services.default_calendar_text(), "calendar-2026.yaml")
    ordered = db.session.scalars(select(Community).order_by(Community.code)).all()
    first = ordered[0]
    second = next(c for c in ordered[1:] if c.subdistrict_id == first.subdistrict_id)
    for spec in demo_accounts(first, second):
        add_user(spec)
    db.session.flush()
    return {
        "boundary_version": version.id,
        "communities": len(ordered),
        "subdistricts": len({c.subdistrict_id for c in ordered}),
        "spots": len(spots),
    }
