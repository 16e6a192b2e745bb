"""What makes a document formal: the issuing body, a document number, a local date (pure).

A bulletin's number follows the office's pattern (setting ``document.number_pattern``), such as
``涧文明办〔{year}〕{n}号``: ``{n}`` (exactly once) is the bulletin's serial in its year, ``{year}`` (optional)
the year it was published in. A month's number is given when it is first published and kept with it
(``documents.models.BulletinNumber``), so a correction, a later change of the pattern or of the issuing
body never renumbers a bulletin that has gone out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from ..errors import N_

MAX_PATTERN = 60
MAX_ISSUER = 100
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class PatternError(ValueError):
    """A number pattern (or issuing body) that cannot be used; the message (an N_ message) says why."""


TOO_LONG = N_("one line of 1 to 60 characters")
ONE_N = N_("{n} must appear exactly once")
UNKNOWN = N_("only {n} and {year} may stand in braces")
ISSUER_TOO_LONG = N_("one line of at most 100 characters")


def check_pattern(pattern: str) -> str:
    """The pattern, stripped; PatternError unless it has exactly one {n} and no other placeholder but {year}."""
    pattern = pattern.strip()
    if not pattern or len(pattern) > MAX_PATTERN or _CONTROL.search(pattern):
        raise PatternError(TOO_LONG)
    names = _PLACEHOLDER.findall(pattern)
    if names.count("n") != 1:
        raise PatternError(ONE_N)
    rest = _PLACEHOLDER.sub("", pattern)
    if any(name not in ("n", "year") for name in names) or "{" in rest or "}" in rest:
        raise PatternError(UNKNOWN)
    return pattern


def check_issuer(issuer: str) -> str:
    issuer = issuer.strip()
    if len(issuer) > MAX_ISSUER or _CONTROL.search(issuer):
        raise PatternError(ISSUER_TOO_LONG)
    return issuer


def number(pattern: str, serial: int, year: int) -> str:
    """The document number: ``number("涧文明办〔{year}〕{n}号", 3, 2026)`` → ``涧文明办〔2026〕3号``."""
    return check_pattern(pattern).replace("{year}", str(year)).replace("{n}", str(serial))


def local_day(moment: datetime, tz: tzinfo) -> date:
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(tz).date()


def chinese_date(day: date) -> str:
    """The date as official documents write it: 2026年4月1日."""
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class Formal:
    """The formal parts of a document: who issues it, its number (None before it has one), who published
    it (display name), and the local date it is dated."""

    issuer: str
    number: str | None = None
    publisher: str | None = None
    dated: date | None = None
