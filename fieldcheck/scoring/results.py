"""What scoring a month gives (plain data): each community's score with its indicators and, built when
first read, its breakdown down to each report; the sub-districts, the lists and the district's totals."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar, NamedTuple

import numpy as np

from .facts import CommunityFact
from .rules import rate

if TYPE_CHECKING:
    from .breakdown import Breakdowns


class Deduction(NamedTuple):
    """One field report's deduction before caps (``amount``); ``excluded`` says why it deducts nothing."""

    report_id: int
    community_id: int
    item_code: str
    category_code: str | None
    instances: int
    points: Decimal
    found_by: str
    found_by_multiplier: Decimal
    repeat_of: int | None
    repeat_multiplier: Decimal
    amount: Decimal
    excluded: str | None = None  # "category_not_applicable" | "item_not_in_checklist"


@dataclass(frozen=True)
class ItemScore:
    code: str
    raw: Decimal
    cap: Decimal
    deducted: Decimal
    report_ids: tuple[int, ...]


@dataclass(frozen=True)
class CategoryScore:
    code: str
    weight: Decimal
    applicable: bool
    raw: Decimal  # sum of the capped item deductions
    deducted: Decimal  # min(raw, weight); 0 when not applicable
    items: tuple[ItemScore, ...]


@dataclass
class Indicators:
    """Counts for one community, one sub-district or the whole district; rates are exact fractions."""

    reports: int = 0
    repeats: int = 0
    due: int = 0
    closed: int = 0
    on_time: int = 0
    overdue_open: int = 0
    reached_verification: int = 0
    rework: int = 0
    rectified_timed: int = 0
    rectify_seconds: int = 0  # working seconds from dispatch to rectification, summed

    def add(self, other: Indicators) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def closure_rate(self) -> Fraction | None:
        """Items closed by the reference time / items due."""
        return rate(self.closed, self.due)

    @property
    def on_time_rate(self) -> Fraction | None:
        """Items closed by the reference time and rectified by their deadline / items due."""
        return rate(self.on_time, self.due)

    @property
    def rework_rate(self) -> Fraction | None:
        """Items returned at least once / items that reached verification."""
        return rate(self.rework, self.reached_verification)

    @property
    def mean_hours_to_rectify(self) -> Fraction | None:
        """Working hours from the latest dispatch to the rectification, on average."""
        return rate(self.rectify_seconds, 3600 * self.rectified_timed)


@dataclass
class CommunityScore:
    """One community's month. ``categories`` and ``entries`` (the breakdown down to each report) are
    built on first use: the scores are computed without them, and most callers never ask."""

    community: CommunityFact
    inspected: bool
    field_score: Fraction | None
    rectification_score: Fraction
    score: Fraction | None
    #: Field points lost: field_total − field score (0 when not inspected).
    deductions: Fraction
    indicators: Indicators
    rank: int | None = None
    _detail: Breakdowns | None = field(default=None, repr=False, compare=False)

    @cached_property
    def entries(self) -> tuple[Deduction, ...]:
        """Every field report of the month, by report id, with its deduction before caps."""
        return self._detail.entries(self.community) if self._detail else ()

    @cached_property
    def categories(self) -> tuple[CategoryScore, ...]:
        """Every category of the checklist with its capped items (from ``entries``)."""
        return self._detail.categories(self.community, self.entries) if self._detail else ()

    def breakdown_facts(self) -> tuple[list[tuple], list[str]]:
        """What ``entries`` and ``categories`` are built from, without building them: per field report by
        id ``(report_id, item_code, instances, found_by, repeat_of, excluded)``, and the codes of the
        categories that do not apply, in checklist order. With the checklist these determine both."""
        if self._detail is None:
            return [], []
        return self._detail.facts(self.community)


@dataclass(frozen=True, eq=False)
class BreakdownFacts:
    """What every community's breakdown is built from (``CommunityScore.breakdown_facts``, all at once):
    ``codes`` the communities in code order, ``not_applicable`` their categories that do not apply, and
    ``columns`` one column per field report (int64, rows sorted by community then report id): the
    community's place in ``codes``, report id, item (place in ``item_codes``), instances, finder (place
    in ``finders``), repeat source (-1: none) and exclusion (place in ``EXCLUSIONS``)."""

    EXCLUSIONS: ClassVar[tuple] = (None, "item_not_in_checklist", "category_not_applicable")
    codes: list[str]
    not_applicable: dict[str, list[str]]
    item_codes: list[str]
    finders: list[str]
    columns: np.ndarray

    @classmethod
    def from_rows(cls, rows: dict[str, Sequence], not_applicable: dict[str, list[str]]) -> BreakdownFacts:
        """From each community's ``(report_id, item_code, instances, found_by, repeat_of, excluded)`` rows."""
        codes = sorted(rows)
        item_codes = sorted({r[1] for code in codes for r in rows[code]})
        finders = sorted({r[3] for code in codes for r in rows[code]})
        out = [
            (
                k,
                r[0],
                item_codes.index(r[1]),
                r[2],
                finders.index(r[3]),
                -1 if r[4] is None else r[4],
                cls.EXCLUSIONS.index(r[5]),
            )
            for k, code in enumerate(codes)
            for r in rows[code]
        ]
        columns = np.array(out, dtype=np.int64).reshape(-1, 7).T
        columns = columns[:, np.lexsort((columns[1], columns[0]))]
        return cls(codes, {code: list(not_applicable[code]) for code in codes}, item_codes, finders, columns)

    def digest(self) -> str:
        """SHA-256 of the facts: equal facts, equal digests (and so equal breakdowns, with the checklist)."""
        head = json.dumps(
            [[[c, self.not_applicable[c]] for c in self.codes], self.item_codes, self.finders],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        h = hashlib.sha256(head.encode("utf-8"))
        h.update(np.ascontiguousarray(self.columns, dtype="<i8").tobytes())
        return h.hexdigest()


@dataclass
class SubdistrictScore:
    id: int | None
    code: str
    name: str
    score: Fraction | None
    communities: int
    inspected: int
    indicators: Indicators
    rank: int | None = None


@dataclass
class MonthResult:
    month: str
    reference: datetime
    #: Ranked communities in rank order, then the ones not inspected by code.
    communities: list[CommunityScore]
    subdistricts: list[SubdistrictScore]
    red_list: list[str]
    black_list: list[str]
    indicators: Indicators
    coverage: tuple[int, int] = field(default=(0, 0))  # (inspected, communities)

    def community(self, code: str) -> CommunityScore | None:
        return next((s for s in self.communities if s.community.code == code), None)

    def communities_by_code(self) -> list[CommunityScore]:
        return sorted(self.communities, key=lambda s: s.community.code)

    def breakdown_facts(self) -> BreakdownFacts:
        """Every community's ``breakdown_facts`` at once, as columns."""
        detail = next((s._detail for s in self.communities if s._detail is not None), None)
        if detail is None:
            codes = [s.community.code for s in self.communities]
            empty: dict = dict.fromkeys(codes, ())
            return BreakdownFacts.from_rows(empty, dict(empty))
        return detail.fact_columns([s.community for s in self.communities])
