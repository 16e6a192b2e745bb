"""The spot registry (点位): listing, adding, changing, deactivating and importing spots.

Shared by the administration pages, the admin API and the capture page. Every change stages its audit
entry with it (fieldcheck.audit); the caller commits (``with writing(exclusive=True)``: a code is checked
free before it is taken, and the unique key guards it too). The rules of the fields and of the import
files are in ``fieldcheck.spots.rules``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import func, select

from .. import audit
from ..errors import N_, Invalid, NotFound
from ..extensions import db
from ..geography.models import Community, Spot
from . import rules

PAGE_SIZE = 50


@dataclass(frozen=True)
class SpotFilter:
    type: str = ""
    community: str = ""  # a community code
    active: str = ""  # "", "yes" or "no"


def spot_fields(spot: Spot) -> dict:
    """A spot's fields by their names in ``rules.FIELDS`` (audit entries, the admin API, the forms)."""
    return {
        "code": spot.code,
        "name": spot.name,
        "type": spot.spot_type,
        "community": spot.community.code,
        "lat": spot.lat,
        "lon": spot.lon,
        "responsible_unit": spot.responsible_unit or "",
        "contact": spot.contact or "",
        "active": spot.active,
    }


def spot_dict(spot: Spot) -> dict:
    return spot_fields(spot) | {"community_name": spot.community.name}


def _filtered(f: SpotFilter):
    stmt = select(Spot)
    if f.type:
        stmt = stmt.where(Spot.spot_type == f.type)
    if f.community:
        stmt = stmt.join(Community, Spot.community_id == Community.id).where(Community.code == f.community)
    if f.active in ("yes", "no"):
        stmt = stmt.where(Spot.active.is_(f.active == "yes"))
    return stmt


def list_spots(
    f: SpotFilter, *, after: str = "", limit: int = PAGE_SIZE
) -> tuple[list[Spot], str | None, int]:
    """One page of spots by code after the code ``after`` (keyset), the code to continue after (None on
    the last page), and how many spots the filter matches."""
    stmt = _filtered(f)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if after:
        stmt = stmt.where(Spot.code > after)
    rows = list(db.session.scalars(stmt.order_by(Spot.code).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].code if more and rows else None), total


def all_spots(f: SpotFilter) -> list[Spot]:
    """Every spot the filter matches, by code (the map)."""
    return list(db.session.scalars(_filtered(f).order_by(Spot.code)))


def spot_named(code: str) -> Spot:
    spot = db.session.scalar(select(Spot).where(Spot.code == code.strip().upper()))
    if spot is None:
        raise NotFound(N_("No spot with code %(value)s."), code="unknown_spot", value=code)
    return spot


def _community(code: str) -> Community:
    community = db.session.scalar(select(Community).where(Community.code == code))
    if community is None:
        raise Invalid(
            N_("No community with code %(value)s."),
            code="invalid_community",
            details={"field": "community"},
            value=code,
        )
    return community


def _apply(spot: Spot, values: dict, community: Community | None) -> None:
    names = {"type": "spot_type"}
    for field, value in values.items():
        if field == "community":
            spot.community = community
        elif field != "code":
            setattr(spot, names.get(field, field), value)


def create_spot(raw: dict, *, actor=None) -> Spot:
    """Check and stage a new spot with its audit entry (the caller commits)."""
    values = rules.check_fields(raw)
    community = _community(values["community"])
    if db.session.scalar(select(Spot.id).where(Spot.code == values["code"])) is not None:
        raise Invalid(
            N_("Spot code %(value)s is already taken."),
            code="spot_taken",
            details={"field": "code"},
            value=values["code"],
        )
    spot = Spot(code=values["code"], community=community)
    _apply(spot, values, community)
    db.session.add(spot)
    db.session.flush()
    audit.record(actor, "spot.create", f"spot:{spot.code}", audit.diff({}, spot_fields(spot)))
    return spot


def update_spot(spot: Spot, raw: dict, *, actor=None) -> dict:
    """Check and stage changes to a spot (any field but its code); the changes made, as the audit has
    them (``{field: [before, after]}``). A change of ``active`` alone is a deactivation or reactivation."""
    values = rules.check_fields(raw, partial=True)
    if "code" in values and values["code"] != spot.code:
        raise Invalid(
            N_("A spot's code cannot change: add a new spot and deactivate this one."),
            code="invalid_code",
            details={"field": "code"},
        )
    community = _community(values["community"]) if "community" in values else None
    before = spot_fields(spot)
    _apply(spot, values, community)
    db.session.flush()
    changes = audit.diff(before, spot_fields(spot))
    if changes:
        action = "spot.update"
        if set(changes) == {"active"}:
            action = "spot.activate" if spot.active else "spot.deactivate"
        audit.record(actor, action, f"spot:{spot.code}", changes)
    return changes


# --- import ------------------------------------------------------------------------------------------


def preview_import(text: str) -> list[rules.ImportRow]:
    """Every row of a CSV or GeoJSON file checked, none stored: each with its problem, or its action
    (new, changed, unchanged) against the registry. A file that cannot be read at all is refused."""
    rows = rules.read_file(text)
    if not rows:
        raise Invalid(N_("The file has no rows."), code="empty_file")
    communities = db.session.scalars(select(Community.code)).all()
    checked = rules.check_rows(rows, communities)
    codes = [r.values["code"] for r in checked if r.values is not None]
    existing: dict[str, dict] = {}
    for start in range(0, len(codes), 500):
        for spot in db.session.scalars(select(Spot).where(Spot.code.in_(codes[start : start + 500]))):
            existing[spot.code] = spot_fields(spot)
    return [rules.compare(r, existing.get(r.values["code"]) if r.values else None) for r in checked]


def import_spots(text: str, source: str = "", *, actor=None) -> dict:
    """Stage every new or changed spot of an import file, or none: the error names every row at fault.
    Returns the counts of new, changed and unchanged spots."""
    rows = preview_import(text)
    bad = [r for r in rows if r.problem is not None]
    if bad:
        lines = [f"{r.where}: {r.problem.message}" for r in bad]
        raise Invalid(
            N_("%(problems)s"), code="import_rows", details={"rows": lines}, problems="; ".join(lines)
        )
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    for row in rows:
        counts[row.action] += 1
        assert row.values is not None
        if row.action == "new":
            create_spot(row.values, actor=actor)
        elif row.action == "changed":
            update_spot(spot_named(row.values["code"]), dict(row.values), actor=actor)
    audit.record(
        actor,
        "spot.import",
        f"spots:{source}"[:200],
        {"rows": [None, len(rows)]} | {k: [None, v] for k, v in counts.items()},
    )
    return counts


# --- the capture page's picker -----------------------------------------------------------------------


def picker_data() -> bytes:
    """The active spots for the capture page's picker, as compact JSON: ``{"spots": [[code, name, type,
    community code, lat, lon], ...]}`` by code, positions rounded to about a metre (None when unknown)."""
    rows = db.session.execute(
        select(Spot.code, Spot.name, Spot.spot_type, Community.code, Spot.lat, Spot.lon)
        .join(Community, Spot.community_id == Community.id)
        .where(Spot.active.is_(True))
        .order_by(Spot.code)
    ).all()
    spots = [
        [code, name, kind, community, _round(lat), _round(lon)]
        for code, name, kind, community, lat, lon in rows
    ]
    return json.dumps({"spots": spots}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 5)


def data_version(data: bytes) -> str:
    """The version of the picker's data that its address carries (a new list, a new address)."""
    return hashlib.sha256(data).hexdigest()[:16]


# --- the spot types a community has (the ranking) ----------------------------------------------------


def spot_types_found(named: set[tuple[int, int]]) -> dict[int, set[str]]:
    """Community id → the types of its active registered spots and of the spots named by reports
    (``named``: (community id, spot id) pairs of the month's reports); see ``rules.community_spot_types``."""
    found: dict[int, set[str]] = {}
    for community_id, kind in db.session.execute(
        select(Spot.community_id, Spot.spot_type).where(Spot.active.is_(True)).distinct()
    ):
        found.setdefault(community_id, set()).add(kind)
    spot_ids = sorted({spot for _community, spot in named})
    kinds: dict[int, str] = {}
    for start in range(0, len(spot_ids), 500):
        chunk = spot_ids[start : start + 500]
        kinds.update(
            (i, k) for i, k in db.session.execute(select(Spot.id, Spot.spot_type).where(Spot.id.in_(chunk)))
        )
    for community_id, spot in named:
        if spot in kinds:
            found.setdefault(community_id, set()).add(kinds[spot])
    return found
