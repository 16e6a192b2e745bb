"""Keyset paging: a page ends with an opaque cursor naming its last row, and the next page starts after
it. Unlike OFFSET, a deep page costs what the first does, and rows filed meanwhile neither repeat a row
nor skip one. Pure: no Flask, no database.

A cursor is the last row's sort key as URL-safe base64 of a JSON array. It carries no permission: the
query it continues is scoped as the first page was, so an edited cursor can only move within what the
reader may see.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence

from .errors import N_, Invalid

MAX_CURSOR = 200  #: characters; a real cursor is about 40


def encode(key: Sequence[int | str]) -> str:
    """The cursor after a row whose sort key is ``key`` (ints and short strings)."""
    raw = json.dumps(list(key), separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, shape: Sequence[type]) -> tuple:
    """The sort key a cursor names, checked against ``shape`` (e.g. ``(int, int)``); 400 otherwise."""
    bad = Invalid(N_("cursor is not one this list gave."), code="invalid_cursor")
    if not cursor or len(cursor) > MAX_CURSOR:
        raise bad
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(key, list) or len(key) != len(shape):
        raise bad
    for value, kind in zip(key, shape, strict=True):
        # bool is an int to Python; JSON's true is not a row id.
        if type(value) is not kind or (kind is int and abs(value) >= 2**63):
            raise bad
        if kind is str and "\x00" in value:  # PostgreSQL takes no NUL in a text parameter
            raise bad
    return tuple(key)
