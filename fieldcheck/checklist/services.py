"""Storing checklist versions and finding the one in force."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources

from sqlalchemy import select

from .. import audit
from ..errors import Invalid
from ..extensions import db
from .files import ChecklistError, parse_checklist
from .models import ChecklistCategory, ChecklistItem, ChecklistVersion
from .spec import Checklist, checklist_to_dict


def default_checklist_text() -> str:
    return resources.files("fieldcheck").joinpath("data/checklist-default.yaml").read_text("utf-8")


def import_checklist(text: str | bytes, *, effective_month: str | None = None) -> ChecklistVersion:
    """Validate a checklist file and stage it as a new version (the caller commits)."""
    try:
        checklist = parse_checklist(text, effective_month=effective_month)
    except ChecklistError as exc:
        raise Invalid(str(exc), details={"problems": [p.as_dict() for p in exc.problems]}) from None
    raw = text.encode("utf-8") if isinstance(text, str) else text
    version = store_checklist(checklist, hashlib.sha256(raw).hexdigest())
    audit.record(
        None,
        "checklist.upload",
        f"checklist:{version.id}",
        {"label": [None, version.label], "effective_month": [None, version.effective_month]},
    )
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


def version_in_force(month: str) -> ChecklistVersion | None:
    """The newest version whose first month is on or before ``month`` (YYYY-MM)."""
    return db.session.scalar(
        select(ChecklistVersion)
        .where(ChecklistVersion.effective_month <= month)
        .order_by(ChecklistVersion.effective_month.desc(), ChecklistVersion.id.desc())
        .limit(1)
    )


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
