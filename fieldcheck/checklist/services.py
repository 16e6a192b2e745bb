"""Storing checklist versions and finding the one in force."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources

import yaml
from sqlalchemy import and_, bindparam, func, or_, select

from .. import audit
from ..errors import N_, Conflict, Invalid, NotFound
from ..extensions import db
from ..months import Month, month_text
from .diff import Change, checklist_diff
from .files import ChecklistError, parse_checklist
from .models import ChecklistCategory, ChecklistItem, ChecklistVersion
from .sheet import checklist_from_xlsx, is_xlsx
from .spec import Checklist, checklist_to_dict

#: The differences an upload's audit entry lists (the page shows them all).
AUDITED = 100


def default_checklist_text() -> str:
    return resources.files("fieldcheck").joinpath("data/checklist-default.yaml").read_text("utf-8")


def read_checklist(raw: str | bytes, *, effective_month: str | None = None) -> Checklist:
    """A checklist from YAML, JSON or an XLSX in the exported layout (decided by content); a file with
    problems is refused with every problem, its place, and the list in ``details["problems"]``."""
    try:
        if isinstance(raw, bytes) and is_xlsx(raw):
            return checklist_from_xlsx(raw, effective_month=effective_month)
        return parse_checklist(raw, effective_month=effective_month)
    except ChecklistError as exc:
        raise Invalid(str(exc), details={"problems": [p.as_dict() for p in exc.problems]}) from None


def import_checklist(
    text: str | bytes, *, effective_month: str | None = None, source_name: str = ""
) -> ChecklistVersion:
    """Validate a checklist file and stage it as a new version (the caller commits)."""
    checklist = read_checklist(text, effective_month=effective_month)
    raw = text.encode("utf-8") if isinstance(text, str) else text
    version = store_checklist(checklist, hashlib.sha256(raw).hexdigest())
    changes = {"label": [None, version.label], "effective_month": [None, version.effective_month]}
    if source_name:
        changes["file"] = [None, source_name]
    previous = previous_version(version)
    if previous is not None:  # a first version is all new: its entry names it, the page lists it
        changes["previous"] = [None, previous.id]
        for change in checklist_diff(parse_checklist_document(previous), checklist)[:AUDITED]:
            changes[f"{change.what} {change.field}".strip()] = [change.before, change.after]
    audit.record(None, "checklist.upload", f"checklist:{version.id}", changes)
    return version


def store_checklist(checklist: Checklist, sha256: str) -> ChecklistVersion:
    document = checklist_to_dict(checklist)
    version = ChecklistVersion(
        label=checklist.label,
        effective_month=checklist.effective_month,
        field_total=checklist.field_total,
        rectification_total=checklist.rectification_total,
        settings=document,
        sha256=sha256,
    )
    db.session.add(version)
    position = 0
    for cpos, cat in enumerate(checklist.categories):
        category = ChecklistCategory(
            version=version,
            code=cat.code,
            name_zh=cat.name_zh,
            name_en=cat.name_en,
            weight=cat.weight,
            applies_only_to=list(cat.applies_only_to),
            position=cpos,
        )
        db.session.add(category)
        for item in cat.items:
            db.session.add(
                ChecklistItem(
                    version=version,
                    category=category,
                    code=item.code,
                    name_zh=item.name_zh,
                    name_en=item.name_en,
                    spot_types=list(item.spot_types),
                    severity=item.severity,
                    points=item.points,
                    cap=item.cap,
                    std_codes=list(item.std_codes),
                    position=position,
                )
            )
            position += 1
    db.session.flush()
    return version


# Built once: every filing asks (see ``auth.lookups``).
_VERSION_IN_FORCE = (
    select(ChecklistVersion)
    .where(ChecklistVersion.effective_month <= bindparam("month"))
    .order_by(ChecklistVersion.effective_month.desc(), ChecklistVersion.id.desc())
    .limit(1)
)


def version_in_force(month: str) -> ChecklistVersion | None:
    """The newest version whose first month is on or before ``month`` (YYYY-MM)."""
    return db.session.scalar(_VERSION_IN_FORCE, {"month": month})


def versions_in_force(months: list[str]) -> dict[str, ChecklistVersion | None]:
    """``version_in_force`` of each month, from one query (the versions are few)."""
    if not months:
        return {}
    versions = db.session.scalars(
        select(ChecklistVersion)
        .where(ChecklistVersion.effective_month <= max(months))
        .order_by(ChecklistVersion.effective_month.desc(), ChecklistVersion.id.desc())
    ).all()
    return {month: next((v for v in versions if v.effective_month <= month), None) for month in months}


def checklist_in_force(month: str) -> Checklist | None:
    version = version_in_force(month)
    return parse_checklist_document(version) if version is not None else None


def parse_checklist_document(version: ChecklistVersion) -> Checklist:
    return _parse_stored(json.dumps(version.settings, ensure_ascii=False))


@lru_cache(maxsize=16)
def _parse_stored(text: str) -> Checklist:
    """A stored version's settings, parsed once per process: a Checklist is immutable, and the same text
    always gives the same one (parsing takes a noticeable part of a ranking: about 0.1 s)."""
    return parse_checklist(text)


def checklist_yaml(version: ChecklistVersion) -> str:
    """The version's checklist as the YAML its export page sends (the upload's format)."""
    return _yaml_of(json.dumps(version.settings, ensure_ascii=False))


@lru_cache(maxsize=16)
def _yaml_of(text: str) -> str:
    """Written once per stored text (as its parse is): the same text always gives the same YAML, and
    PyYAML's emitter took about 19 ms per export (the hostile-input walk asks for it dozens of times)."""
    return yaml.safe_dump(checklist_to_dict(_parse_stored(text)), allow_unicode=True, sort_keys=False)


# ---------------------------------------------------------------------------------------------------
# Versions as the administration pages see them


def versions() -> list[ChecklistVersion]:
    """Every version, the latest first month first (a handful per year)."""
    return list(
        db.session.scalars(
            select(ChecklistVersion).order_by(
                ChecklistVersion.effective_month.desc(), ChecklistVersion.id.desc()
            )
        )
    )


def version(version_id: int) -> ChecklistVersion:
    found = db.session.get(ChecklistVersion, version_id) if 0 < version_id < 2**31 else None
    if found is None:
        raise NotFound(N_("No such checklist version."))
    return found


def previous_version(current: ChecklistVersion) -> ChecklistVersion | None:
    """The version this one supersedes: the latest that takes effect before it (or the same month,
    loaded earlier)."""
    return db.session.scalar(
        select(ChecklistVersion)
        .where(
            or_(
                ChecklistVersion.effective_month < current.effective_month,
                and_(
                    ChecklistVersion.effective_month == current.effective_month,
                    ChecklistVersion.id < current.id,
                ),
            )
        )
        .order_by(ChecklistVersion.effective_month.desc(), ChecklistVersion.id.desc())
        .limit(1)
    )


def published_months() -> dict[int, list[str]]:
    """Version id → the published months scored with it (a snapshot per month and correction)."""
    from ..ranking.models import RankingSnapshot

    rows = db.session.execute(
        select(RankingSnapshot.checklist_version_id, RankingSnapshot.month)
        .distinct()
        .order_by(RankingSnapshot.month)
    ).all()
    out: dict[int, list[str]] = {}
    for version_id, month in rows:
        out.setdefault(version_id, []).append(month)
    return out


def last_published_month() -> str | None:
    from ..ranking.models import RankingSnapshot

    return db.session.scalar(select(func.max(RankingSnapshot.month)))


def _check_first_month(month: str) -> None:
    """A published month keeps its version: a version may only take effect after the last one."""
    last = last_published_month()
    if last is not None and month <= last:
        raise Conflict(
            N_(
                "%(month)s is published and keeps its checklist: a new version can take effect from %(next)s."
            ),
            month=last,
            next=str(Month.parse(last).next()),
        )


def upload_checklist(raw: bytes, *, effective_month: str, source_name: str) -> ChecklistVersion:
    """A version uploaded by the office (YAML, JSON or XLSX), taking effect in ``effective_month``."""
    month = month_text(effective_month)
    _check_first_month(month)
    return import_checklist(raw, effective_month=month, source_name=source_name)


def schedule(target: ChecklistVersion, effective_month: str) -> None:
    """Move a version's first month; a version a published month was scored with cannot change."""
    month = month_text(effective_month)
    used = published_months().get(target.id)
    if used:
        raise Conflict(
            N_("Version %(id)s scored the published month %(month)s: it cannot change, only be superseded."),
            id=target.id,
            month=used[-1],
        )
    _check_first_month(month)
    if month == target.effective_month:
        return
    audit.record(
        None,
        "checklist.schedule",
        f"checklist:{target.id}",
        {"effective_month": [target.effective_month, month]},
    )
    target.effective_month = month
    settings = dict(target.settings)
    settings["effective_month"] = month
    target.settings = settings
    db.session.flush()


def version_diff(target: ChecklistVersion) -> tuple[ChecklistVersion | None, list[Change]]:
    """The version ``target`` supersedes, and every difference from it."""
    previous = previous_version(target)
    before = parse_checklist_document(previous) if previous is not None else None
    return previous, checklist_diff(before, parse_checklist_document(target))
