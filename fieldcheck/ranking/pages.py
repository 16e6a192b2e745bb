"""What the ranking pages show beyond the ranking document: the change from the previous month, the
photos of the reports behind each deduction, the main deductions of the month, and a user's own standing.

Read-only helpers over ``services.ranking`` documents (plain dicts); the views stay thin. Numbers stay
the document's exact decimal strings; templates round them for display only (``document.display``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..calendar import local_month
from ..checklist.models import ChecklistItem
from ..errors import NotFound
from ..extensions import db
from ..months import BadMonth
from ..permissions import Principal, is_staff_of_office
from ..reports.models import Photo
from . import document as rdoc
from . import services


def this_month(now: datetime, tz_name: str) -> str:
    """The city's current month, 'YYYY-MM'."""
    return local_month(now, ZoneInfo(tz_name))


def changes_from_previous(month: str, document: dict, *, now: datetime, tz_name: str) -> dict[str, dict]:
    """Per community code: the previous month's rank and score (as published, if it was), the score delta
    (exact string) and the rank change (positive = moved up). Empty when the previous month has no
    checklist in force."""
    try:
        before = services.standing(services.previous_month(month), now=now, tz_name=tz_name)
    except (NotFound, BadMonth):  # no checklist then, or before the first month the app accepts
        return {}
    previous = {c["code"]: c for c in before["communities"]}
    out = {}
    for row in document["communities"]:
        old = previous.get(row["code"])
        if old is None:
            continue
        delta = None
        if row["score"] is not None and old["score"] is not None:
            delta = rdoc.exact(Decimal(row["score"]) - Decimal(old["score"]))
        moved = None
        if row["rank"] is not None and old["rank"] is not None:
            moved = old["rank"] - row["rank"]
        out[row["code"]] = {"rank": old["rank"], "score": old["score"], "delta": delta, "moved": moved}
    return out


def photos_of(report_ids) -> dict[int, dict]:
    """Per report id: the ids of its first before-photo and its latest after-photo (one query)."""
    ids = sorted(set(report_ids))
    out: dict[int, dict] = {}
    if not ids:
        return out
    rows = db.session.execute(
        select(Photo.report_id, Photo.id, Photo.kind)
        .where(Photo.report_id.in_(ids), Photo.kind.in_(("before", "after")))
        .order_by(Photo.report_id, Photo.id)
    )
    for report_id, photo_id, kind in rows:
        entry = out.setdefault(report_id, {"before": None, "after": None})
        if kind == "before" and entry["before"] is None:
            entry["before"] = photo_id
        elif kind == "after":
            entry["after"] = photo_id  # ordered by id: the last one is the latest
    return out


def item_names(document: dict) -> dict[str, ChecklistItem]:
    """The items of the document's checklist version by code, for their names in either language (one
    query; a published document keeps only the Chinese name on each deduction)."""
    version_id = (document.get("checklist") or {}).get("id")
    if version_id is None:
        return {}
    rows = db.session.scalars(select(ChecklistItem).where(ChecklistItem.version_id == version_id))
    return {item.code: item for item in rows}


def main_deductions(document: dict, *, items: int = 10, typical: int = 6) -> dict:
    """The month's largest deductions across the visible communities: by item (after item caps), by
    category (after category caps), and the single reports with the largest amounts (typical problems)."""
    by_item: dict[str, dict] = {}
    by_category: dict[str, dict] = {}
    names = {c["code"]: c["name"] for c in document["communities"]}
    reports = []
    for code, breakdown in document["breakdowns"].items():
        for cat in breakdown["categories"]:
            if not cat["applicable"]:
                continue
            c = by_category.setdefault(
                cat["code"],
                {
                    "code": cat["code"],
                    "name_zh": cat["name_zh"],
                    "name_en": cat["name_en"],
                    "deducted": Decimal(0),
                    "communities": 0,
                },
            )
            c["deducted"] += Decimal(cat["deducted"])
            c["communities"] += 1
            for item in cat["items"]:
                i = by_item.setdefault(
                    item["code"],
                    {
                        "code": item["code"],
                        "name_zh": item["name_zh"],
                        "name_en": item["name_en"],
                        "deducted": Decimal(0),
                        "reports": 0,
                        "communities": 0,
                    },
                )
                i["deducted"] += Decimal(item["deducted"])
                i["reports"] += len(item["report_ids"])
                i["communities"] += 1
        for d in breakdown["deductions"]:
            if d["excluded"] is None:
                reports.append({**d, "community_code": code, "community": names.get(code, code)})

    def ranked(rows):
        rows = sorted(rows, key=lambda r: (-r["deducted"], r["code"]))
        return [{**r, "deducted": rdoc.exact(r["deducted"])} for r in rows if r["deducted"] > 0]

    reports.sort(key=lambda d: (-Decimal(d["amount"]), d["report_id"]))
    return {
        "items": ranked(by_item.values())[:items],
        "categories": ranked(by_category.values()),
        "typical": reports[:typical],
    }


def public_lists(document: dict, p: Principal) -> dict | None:
    """The red and black lists by name, from the whole document: a published month's lists are public
    notices, shown to everyone who may see the ranking; the office sees the provisional lists too. None
    (leave the section out) for anyone else while the month is provisional: a list cut down to the
    reader's communities would show "none" where there are entries. ``link`` says whether the reader
    may open the community's breakdown."""
    if not (document.get("published") or is_staff_of_office(p)):
        return None
    rows = {c["code"]: c for c in document["communities"]}
    visible = {c["code"] for c in services.visible_to(document, p, breakdowns=False)["communities"]}

    def entries(codes: list[str]) -> list[dict]:
        return [
            {
                "code": code,
                "name": rows[code]["name"],
                "subdistrict": rows[code]["subdistrict"],
                "score": rows[code]["score"],
                "link": code in visible,
            }
            for code in codes
            if code in rows
        ]

    return {"red": entries(document["red_list"]), "black": entries(document["black_list"])}


def own_standing(p: Principal, *, now: datetime, tz_name: str) -> dict | None:
    """This month's score and rank of the community (or the sub-district) a staff member belongs to,
    for their landing page; None when no checklist is in force."""
    month = this_month(now, tz_name)
    try:
        document = services.ranking(month, now=now, tz_name=tz_name)
    except NotFound:
        return None
    shown = services.visible_to(document, p, breakdowns=False)
    return {
        "month": month,
        "source": shown["source"],
        "ranked": sum(1 for c in document["communities"] if c["rank"] is not None),
        "subdistricts_ranked": sum(1 for s in document["subdistricts"] if s["rank"] is not None),
        "community": next((c for c in shown["communities"] if c["id"] == p.community_id), None),
        "communities": shown["communities"],
        "subdistrict": next((s for s in shown["subdistricts"] if s["id"] == p.subdistrict_id), None)
        or (shown["subdistricts"][0] if len(shown["subdistricts"]) == 1 else None),
    }


def percent(rate: str | None) -> Decimal | None:
    """A rate (0..1, exact string) as a percentage rounded to two places for display."""
    return None if rate is None else rdoc.display(str(Decimal(rate) * 100))
