"""Settings the office changes while the app runs, kept in the database (table ``setting``).

A setting is a key with a JSON value; ``SPECS`` lists every key the app knows with its default, so a key
never written reads as its default and an unknown key is refused. Values are read once per request (the
pages and serializers ask often) and written by ``set_values``, which records who changed them and when.

Formal documents: ``document.issuer`` is the issuing body printed on the bulletin, its XLSX and the
整改通知单 (e.g. 涧西区创建全国文明城市工作领导小组办公室); ``document.number_pattern`` numbers the
bulletins (e.g. 涧文明办〔{year}〕{n}号, exactly one {n}; see ``documents.formal``). Administrators change
them on the settings page; the office reads it.

Unannounced inspection (暗访): who found a problem, and where and with what phone the photo was taken, can
give away who inspects. Community and sub-district staff, whose work is judged, see the level that found a
problem (市级督查) but not the inspector, and no EXIF of the photos, unless the office discloses them
(``disclosure.inspector`` and ``disclosure.photo_metadata``). The office, administrators and the inspector
who filed a report always see both. Original files (with their full metadata) stay the office's alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import g, has_request_context
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from . import audit
from . import permissions as perm
from .documents import formal
from .errors import N_, Invalid
from .extensions import db
from .types import UTCDateTime, utcnow


class Setting(db.Model):
    """One run-time setting: ``value`` is JSON text; a key without a row has its default (``SPECS``)."""

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)


@dataclass(frozen=True)
class Spec:
    key: str
    default: object
    label: str  # N_() message: what the form shows
    help: str = ""
    #: For a text setting: the value as stored, or ValueError saying what is wrong (in English).
    clean: Callable[[str], str] | None = None

    @property
    def is_flag(self) -> bool:
        return isinstance(self.default, bool)

    def check(self, value):
        """The value as stored, or Invalid: a setting keeps the type of its default."""
        if self.is_flag:
            if isinstance(value, bool):
                return value
            raise Invalid(N_("%(key)s must be true or false."), code="invalid_setting", key=self.key)
        if not isinstance(value, str):
            raise Invalid(N_("%(key)s must be text."), code="invalid_setting", key=self.key)
        try:
            return self.clean(value) if self.clean else value.strip()
        except ValueError as exc:
            raise Invalid(
                N_("%(label)s: %(problem)s."),
                code="invalid_setting",
                label=self.label,
                problem=str(exc),
                details={"field": self.key},
            ) from None


INSPECTOR = "disclosure.inspector"
PHOTO_METADATA = "disclosure.photo_metadata"
ISSUER = "document.issuer"
NUMBER_PATTERN = "document.number_pattern"
DEFAULT_PATTERN = "〔{year}〕{n}号"

SPECS: dict[str, Spec] = {
    spec.key: spec
    for spec in (
        Spec(
            INSPECTOR,
            False,
            N_("Community and sub-district staff see who inspected"),
            N_(
                "Off: they see the level that found the problem (e.g. city inspection), not the inspector's name."
            ),
        ),
        Spec(
            PHOTO_METADATA,
            False,
            N_("Community and sub-district staff see the photos' EXIF"),
            N_("Off: no camera make and model, GPS position or time from the photos' metadata."),
        ),
        Spec(
            ISSUER,
            "",
            N_("Issuing body"),
            N_("Printed on the bulletin, its XLSX and the rectification notices."),
            clean=formal.check_issuer,
        ),
        Spec(
            NUMBER_PATTERN,
            DEFAULT_PATTERN,
            N_("Bulletin number pattern"),
            N_(
                "{n} is the bulletin's number in its year (exactly once), {year} the year it is published in; "
                "a bulletin keeps the number it was published with."
            ),
            clean=formal.check_pattern,
        ),
    )
}


def _stored() -> dict:
    rows = db.session.execute(select(Setting.key, Setting.value)).all()
    return {key: json.loads(value) for key, value in rows if key in SPECS}


def values() -> dict:
    """Every known setting's value (defaults filled in), read once per request."""
    if has_request_context() and "fieldcheck_settings" in g:
        return g.fieldcheck_settings
    current = {key: spec.default for key, spec in SPECS.items()} | _stored()
    if has_request_context():
        g.fieldcheck_settings = current
    return current


def get(key: str):
    return values()[SPECS[key].key]


def set_values(changes: dict, *, user_id: int | None, now: datetime | None = None) -> dict:
    """Stage new values (checked against their specs) with who changed them; the caller commits."""
    checked = {}
    for key, value in changes.items():
        spec = SPECS.get(key)
        if spec is None:
            raise Invalid(N_("Unknown setting %(key)s."), code="unknown_setting", key=key)
        checked[key] = spec.check(value)
    now = now or utcnow()
    changed = audit.diff(values(), checked)
    if changed:
        audit.record(user_id, "setting.change", "settings", changed, at=now)
    for key, value in checked.items():
        row = db.session.get(Setting, key)
        if row is None:
            row = Setting(key=key)
            db.session.add(row)
        row.value = json.dumps(value)
        row.updated_at = now
        row.updated_by_id = user_id
    db.session.flush()
    if has_request_context():
        g.pop("fieldcheck_settings", None)
    return checked


@dataclass(frozen=True)
class Disclosure:
    """What one reader may see of an unannounced inspection."""

    inspector: bool
    photo_metadata: bool


FULL = Disclosure(inspector=True, photo_metadata=True)


def disclosure_for(p: perm.Principal) -> Disclosure:
    current = values()
    return Disclosure(
        inspector=perm.sees_inspector(p, disclosed=current[INSPECTOR]),
        photo_metadata=perm.sees_photo_metadata(p, disclosed=current[PHOTO_METADATA]),
    )
