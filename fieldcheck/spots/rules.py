"""The spot registry's rules (点位): one spot's fields, the import files, and the spot types a community has.

Pure module: plain data in, plain data out; no Flask, no database.

A spot's fields, as the admin API, the forms and the import files name them:

- ``code``: unique, letters, digits, ``-``, ``_`` and ``.`` (upper-cased), at most 48 characters;
- ``name``: 1 to 100 characters; ``type``: one of ``SPOT_TYPES`` (DOMAIN.md);
- ``community``: the code of the community the spot belongs to;
- ``lat`` and ``lon``: WGS-84, both or neither;
- ``responsible_unit`` (包保/责任单位) and ``contact``: at most 100 characters each, may be empty;
- ``active``: true or false (text: yes/no, true/false, 1/0, 是/否).

Import files: a UTF-8 CSV with a header naming these columns (``code``, ``name``, ``type`` and
``community`` required; rows numbered by their line), or a GeoJSON FeatureCollection of Point features
(or features without a geometry) with the same properties (numbered from 1 in file order).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import N_, Invalid
from ..geo import CODE_PATTERN, SPOT_TYPES
from ..inputs import parse_position

FIELDS = ("code", "name", "type", "community", "lat", "lon", "responsible_unit", "contact", "active")
REQUIRED = ("code", "name", "type", "community")
MAX_CODE = 48
MAX_TEXT = 100
_YES = {"1", "true", "yes", "y", "是"}
_NO = {"0", "false", "no", "n", "否"}


def _bad(field: str, template: str, **params) -> Invalid:
    return Invalid(template, code=f"invalid_{field}", details={"field": field}, field=field, **params)


def _text(raw: Mapping[str, Any], field: str) -> str:
    value = raw.get(field)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _bad(field, N_("%(field)s must be text."))
    return str(value).strip()


def _code(raw: Mapping[str, Any], field: str, limit: int) -> str:
    value = _text(raw, field).upper()
    if not value:
        raise _bad(field, N_("%(field)s is missing."))
    if len(value) > limit or not CODE_PATTERN.fullmatch(value):
        raise _bad(
            field,
            N_(
                "%(field)s: use at most %(n)s letters, digits, '-', '_' or '.', beginning with a letter or digit."
            ),
            n=limit,
        )
    return value


def _bounded(raw: Mapping[str, Any], field: str, *, required: bool = False) -> str:
    value = _text(raw, field)
    if required and not value:
        raise _bad(field, N_("%(field)s is missing."))
    if len(value) > MAX_TEXT:
        raise _bad(field, N_("%(field)s is longer than %(n)s characters."), n=MAX_TEXT)
    return value


def parse_active(value: Any) -> bool:
    """``active`` as a boolean: a JSON boolean, or yes/no, true/false, 1/0, 是/否 as text."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise _bad("active", N_("%(field)s must be yes or no."))


def _type(raw: Mapping[str, Any]) -> str:
    kind = _text(raw, "type").upper()
    if kind not in SPOT_TYPES:
        raise _bad("type", N_("%(field)s must be one of %(types)s."), types=", ".join(SPOT_TYPES))
    return kind


_CHECKS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "code": lambda raw: _code(raw, "code", MAX_CODE),
    "name": lambda raw: _bounded(raw, "name", required=True),
    "type": _type,
    "community": lambda raw: _code(raw, "community", 32),
    "responsible_unit": lambda raw: _bounded(raw, "responsible_unit"),
    "contact": lambda raw: _bounded(raw, "contact"),
}


def check_fields(raw: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """The fields of ``raw`` checked and cleaned, by their names in ``FIELDS`` (``lat`` and ``lon`` as
    floats or None, ``active`` as a boolean). ``partial``: only the fields present (a change); otherwise
    every required field must be there. Unknown fields are refused; the error names the field at fault."""
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise Invalid(
            N_("Unknown field %(field)s."),
            code="unknown_field",
            details={"field": unknown[0]},
            field=unknown[0],
        )
    wanted = [f for f in FIELDS if f in raw] if partial else list(FIELDS)
    out: dict[str, Any] = {field: _CHECKS[field](raw) for field in wanted if field in _CHECKS}
    if "active" in wanted:
        value = raw.get("active")
        out["active"] = True if not partial and value in (None, "") else parse_active(value)
    if not partial or "lat" in raw or "lon" in raw:
        position = parse_position(raw.get("lat"), raw.get("lon"))
        out["lat"], out["lon"] = position if position is not None else (None, None)
    return out


# --- import files ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    """One row (a CSV line or a GeoJSON feature) of an import file: where it is, what it says, and its
    problem (None when it can be stored). ``action``: "new", "changed" or "unchanged" once compared with
    the registry."""

    where: str
    raw: dict
    values: dict | None
    problem: Invalid | None
    action: str = ""


def read_csv(text: str) -> list[tuple[str, dict]]:
    """Rows of a CSV file as (``line N``, fields); a header without the required columns is refused."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(name or "").strip().lower() for name in reader.fieldnames or ()]
    header = ["type" if name == "spot_type" else name for name in header]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise Invalid(
            N_("The CSV header lacks %(missing)s (columns: %(columns)s)."),
            code="csv_header",
            missing=", ".join(missing),
            columns=", ".join(FIELDS),
        )
    rows = []
    for line, cells in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        if line == 1 or not any(cell.strip() for cell in cells):
            continue
        fields = {
            name: cell for name, cell in zip(header, cells, strict=False) if name in FIELDS and cell != ""
        }
        rows.append((f"line {line}", fields))
    return rows


def read_geojson(text: str) -> list[tuple[str, dict]]:
    """Features of a GeoJSON FeatureCollection as (``feature N``, fields): the properties, and the Point's
    coordinates as lat and lon."""
    try:
        data = json.loads(text)
    except ValueError:
        raise Invalid(N_("The file is neither CSV nor GeoJSON."), code="bad_file") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise Invalid(N_("The GeoJSON is not a FeatureCollection."), code="bad_file")
    features = data.get("features")
    if not isinstance(features, list):
        raise Invalid(N_("The GeoJSON is not a FeatureCollection."), code="bad_file")
    rows = []
    for n, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        fields = {k: v for k, v in (props or {}).items() if v is not None and v != ""}
        if "spot_type" in fields and "type" not in fields:
            fields["type"] = fields.pop("spot_type")
        fields = {k: v for k, v in fields.items() if k in FIELDS and k not in ("lat", "lon")}
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if geometry is not None:
            coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
            if (
                not isinstance(geometry, dict)
                or geometry.get("type") != "Point"
                or not isinstance(coords, list)
                or len(coords) < 2
            ):
                fields["lat"], fields["lon"] = "not a Point", "not a Point"
            else:
                fields["lon"], fields["lat"] = coords[0], coords[1]
        rows.append((f"feature {n}", fields))
    return rows


def read_file(text: str) -> list[tuple[str, dict]]:
    """The rows of an import file, GeoJSON when it begins with ``{``, CSV otherwise."""
    return read_geojson(text) if text.lstrip("\ufeff \t\r\n").startswith("{") else read_csv(text)


def check_rows(rows: Iterable[tuple[str, dict]], communities: Iterable[str]) -> list[ImportRow]:
    """Each row checked on its own and against the others (a code twice) and the known community codes."""
    known = set(communities)
    seen: set[str] = set()
    out = []
    for where, fields in rows:
        try:
            values = check_fields(fields)
            if values["code"] in seen:
                raise _bad("code", N_("%(field)s %(value)s is listed twice."), value=values["code"])
            if values["community"] not in known:
                raise _bad("community", N_("No community with code %(value)s."), value=values["community"])
        except Invalid as exc:
            out.append(ImportRow(where, fields, None, exc))
            code = str(fields.get("code") or "").strip().upper()
        else:
            out.append(ImportRow(where, fields, values, None))
            code = values["code"]
        if code:
            seen.add(code)
    return out


def compare(row: ImportRow, existing: Mapping[str, Any] | None) -> ImportRow:
    """The row with its action: a spot not in the registry is new; one whose fields differ is changed."""
    if row.values is None:
        return row
    if existing is None:
        action = "new"
    else:
        action = "unchanged" if all(existing.get(k) == v for k, v in row.values.items()) else "changed"
    return ImportRow(row.where, row.raw, row.values, None, action)


# --- the spot types a community has (scoring) ---------------------------------------------------------


def community_spot_types(recorded: Iterable[str], *found: Iterable[str]) -> tuple[str, ...]:
    """The spot types a community has, for deciding which categories it is scored on: those recorded
    with its boundary, and those of its spots (the registry's active spots, and the spot each of the
    month's reports names), in ``SPOT_TYPES`` order. Nothing recorded and nothing found stays empty (not
    recorded: every category applies); a report at a registered market therefore always counts, even
    where the boundary file forgot the market."""
    have = set(recorded)
    for types in found:
        have.update(types)
    return tuple(kind for kind in SPOT_TYPES if kind in have)
