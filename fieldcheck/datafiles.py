"""The office's data files (checklist, calendar): read YAML, JSON or a sheet, validate with pydantic, and
name every problem with its place.

A file is read into a :class:`Source`: the plain data and, for each place in it (a JSON path such as
``("categories", 0, "items", 1, "points")``), where that is in the file: a line and column of YAML or
JSON text, or a row and column of a sheet. The data is then validated by a pydantic model (the one
description of the file's shape); :func:`problems_from` turns pydantic's errors into :class:`Problem` s
that carry the JSON path, the line or sheet row, and a message naming the thing at fault
(``item ENV-02: points must not be negative``). Every problem of a file is reported at once, in the
order of the file.

Validators raise :class:`pydantic_core.PydanticCustomError` of type :data:`FIELD` (the message is
prefixed with the field's name: ``points must not be negative``) or :data:`PLAIN` (the message as it is).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

__all__ = [
    "FIELD",
    "PLAIN",
    "FileProblems",
    "Path",
    "Problem",
    "Source",
    "decimal_value",
    "load_document",
    "load_source",
    "problems_from",
    "text_value",
    "whole_value",
]

#: An error whose message follows the field's name ("points" + " must not be negative").
FIELD = "fieldcheck_field"
#: An error whose message is complete as it is.
PLAIN = "fieldcheck"

Path = tuple[str | int, ...]

_CENT = Decimal("0.01")
_MAX_NUMBER = Decimal(1_000_000)


def path_text(path: Path) -> str:
    """``("categories", 0, "items", 1, "points")`` → ``categories[0].items[1].points``."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


@dataclass(frozen=True)
class Place:
    """Where a value is in the file: a line and column of text, or a sheet's row and column."""

    line: int | None = None
    column: int = 0
    sheet: str | None = None
    sheet_index: int = 0
    row: int | None = None

    @property
    def order(self) -> tuple[int, int, int]:
        return (self.sheet_index, self.row or self.line or 0, self.column)


@dataclass(frozen=True)
class Problem:
    """One problem in a file: ``message`` names the thing at fault; the rest says where it is."""

    message: str
    path: str = ""
    line: int | None = None
    sheet: str | None = None
    row: int | None = None

    @property
    def place(self) -> str:
        if self.sheet is not None and self.row is not None:
            return f"sheet {self.sheet} row {self.row}"
        if self.line is not None:
            return f"line {self.line}"
        return self.path

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message

    def as_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "sheet": self.sheet,
            "row": self.row,
        }


class FileProblems(ValueError):
    """A file that cannot be used; ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: Iterable[Problem | str]):
        self.problems: list[Problem] = [p if isinstance(p, Problem) else Problem(p) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def messages(self) -> list[str]:
        """The problems without their places."""
        return [p.message for p in self.problems]


@dataclass
class Source:
    """A file's data and where each part of it is (see the module docstring)."""

    data: Any
    places: dict[Path, Place] = field(default_factory=dict)
    #: Whether the text fits on one line (minified JSON): its places are JSON paths rather than lines.
    one_line: bool = False
    #: Problems found while reading (a sheet's rows that disagree), reported with the model's.
    problems: list[tuple[Path, str]] = field(default_factory=list)

    def place(self, path: Path) -> Place | None:
        """The place of ``path``, or of the nearest enclosing part the file has (a missing key is
        reported where its mapping is)."""
        for end in range(len(path), -1, -1):
            found = self.places.get(path[:end])
            if found is not None:
                return found
        return None

    def problem(self, path: Path, message: str) -> Problem:
        place = self.place(path)
        if place is None or (self.one_line and place.sheet is None):
            return Problem(message, path_text(path))
        return Problem(message, path_text(path), place.line, place.sheet, place.row)

    def order(self, path: Path) -> tuple[int, int, int]:
        place = self.place(path)
        return place.order if place is not None else (0, 0, 0)


# ---------------------------------------------------------------------------------------------------
# Reading YAML and JSON text (JSON is YAML: one safe loader reads both)


class _StrictLoader(yaml.SafeLoader):
    """The safe loader, refusing a key given twice in one mapping (PyYAML keeps the last silently) and
    aliases (``*name``: no data file needs them, and a few lines of nested aliases expand into millions of
    values for whoever walks them)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, f"an alias (*{event.anchor}) is not allowed here", event.start_mark
            )
        return super().compose_node(parent, index)


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:
            continue  # an unhashable key; construct_mapping reports it
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f'key "{key}" is given twice', key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


def _construct_timestamp(loader: _StrictLoader, node: yaml.ScalarNode) -> object:
    """A YAML date such as 2026-02-30 that looks right but does not exist is reported with its line."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f'"{node.value}" is not a valid date ({exc})', node.start_mark
        ) from exc


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _mark(mark: Any) -> Place:
    return Place(line=mark.line + 1, column=mark.column + 1)


def _walk(node: yaml.Node, path: Path, places: dict[Path, Place]) -> None:
    places.setdefault(path, _mark(node.start_mark))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                # The key's place: an unknown key and a bad value are both reported on the key's line.
                places.setdefault((*path, key_node.value), _mark(key_node.start_mark))
                _walk(value_node, (*path, key_node.value), places)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _walk(child, (*path, index), places)


def load_source(text: str | bytes) -> Source:
    """Load YAML or JSON text (UTF-8 if bytes) with the safe loader, with the place of every part;
    ValueError with a short message naming the line if it does not parse or a mapping repeats a key."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError("the file is not UTF-8 text") from exc
    text = text.lstrip("\ufeff")
    loader = _StrictLoader(text)  # a SafeLoader subclass: safe
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise ValueError(f"not valid YAML or JSON{where}: {problem}") from exc
    finally:
        loader.dispose()
    places: dict[Path, Place] = {}
    if node is not None:
        _walk(node, (), places)
    return Source(data, places, one_line=len(text.strip().splitlines()) <= 1)


def load_document(text: str | bytes) -> Any:
    """The data of YAML or JSON text (see :func:`load_source`)."""
    return load_source(text).data


# ---------------------------------------------------------------------------------------------------
# Values, with the messages every file shares


def text_value(value: Any, max_length: int) -> str:
    """Text, stripped, non-empty, at most ``max_length`` characters."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PydanticCustomError("missing", "missing")
    if not isinstance(value, str):
        raise PydanticCustomError(FIELD, "must be text, not {value}", {"value": repr(value)})
    value = value.strip()
    if len(value) > max_length:
        raise PydanticCustomError(FIELD, "is longer than {n} characters", {"n": max_length})
    return value


def decimal_value(raw: Any, *, positive: bool = False) -> Decimal:
    """A non-negative number (greater than 0 if ``positive``) with at most two decimals."""
    value: Decimal | None = None
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        value = Decimal(repr(raw))
    elif isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            value = None
    elif isinstance(raw, Decimal):
        value = raw
    if value is None or not value.is_finite():
        raise PydanticCustomError(FIELD, "must be a number, not {value}", {"value": repr(raw)})
    if value < 0:
        raise PydanticCustomError(FIELD, "must not be negative")
    if positive and value == 0:
        raise PydanticCustomError(FIELD, "must be greater than 0")
    if value > _MAX_NUMBER:
        raise PydanticCustomError(FIELD, "must not exceed {n}", {"n": str(_MAX_NUMBER)})
    if value != value.quantize(_CENT):
        raise PydanticCustomError(FIELD, "must have at most two decimals ({value})", {"value": str(raw)})
    return value.quantize(_CENT)


def whole_value(value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError(FIELD, "must be a whole number, not {value}", {"value": repr(value)})
    if value < minimum:
        raise PydanticCustomError(FIELD, "must be at least {n}", {"n": minimum})
    return value


# ---------------------------------------------------------------------------------------------------
# Pydantic's errors as problems

_SHAPES = {
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
    "dict_type": "must be a mapping of keys to values",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "too_short": "must be a non-empty list",
}


def _model_at(model: type[BaseModel], path: Sequence[str | int]) -> type[BaseModel] | None:
    """The model that describes the mapping at ``path``, found through the fields' annotations."""
    current: Any = model
    for step in path:
        if isinstance(step, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or step not in fields:
            return None
        current = _inner_model(fields[step].annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _message(error: Any, model: type[BaseModel]) -> str:
    loc = tuple(error["loc"])
    name = str(loc[-1]) if loc and isinstance(loc[-1], str) else ""
    kind = error["type"]
    if kind == "missing":
        return f"missing {name}"
    if kind == "extra_forbidden":
        parent = _model_at(model, loc[:-1])
        allowed = (
            ", ".join(f.alias or name for name, f in parent.model_fields.items())
            if parent is not None
            else ""
        )
        return f'unknown key "{loc[-1]}" (allowed: {allowed})'
    if kind == PLAIN:
        return str(error["msg"])
    if kind == FIELD:
        return f"{name} {error['msg']}".strip()
    if kind in _SHAPES:
        return f"{name} {_SHAPES[kind]}".strip()
    return f"{name}: {error['msg']}" if name else str(error["msg"])


Describe = Callable[[Path], tuple[str, Path]]


def problems_from(
    error: ValidationError, model: type[BaseModel], source: Source, describe: Describe
) -> list[tuple[Path, str]]:
    """pydantic's errors as (path, "where: message") pairs; ``describe(loc)`` names the thing at
    ``loc`` ("item ENV-02") and gives the path the message belongs to."""
    out = []
    for item in error.errors(include_url=False):
        loc: Path = tuple(item["loc"])
        where, _owner = describe(loc)
        message = _message(item, model)
        out.append((loc, f"{where}: {message}" if where else message))
    return out


def located(source: Source, found: Iterable[tuple[Path, str]]) -> list[Problem]:
    """Problems in file order (a stable sort: problems at one place keep the order they were found)."""
    pairs = list(found)
    ordered = sorted(range(len(pairs)), key=lambda k: source.order(pairs[k][0]))
    return [source.problem(*pairs[k]) for k in ordered]
