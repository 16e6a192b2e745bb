"""A community's breakdown down to each report (``CommunityScore.entries`` and ``categories``), built from
what ``score_month`` kept when first read: most readers of a month never ask for it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import numpy as np

from ..checklist.spec import Checklist
from .arrays import RowsBy
from .facts import CommunityFact
from .points import Points
from .results import BreakdownFacts, CategoryScore, Deduction, ItemScore
from .rules import category_deduction, found_by_multiplier, item_deduction, repeat_multiplier

_ZERO = Decimal(0)


class Breakdowns:
    """What a community's breakdown is built from, kept by ``score_month`` for ``CommunityScore``'s
    ``entries`` and ``categories``: the month's field reports by community and the repeats found."""

    def __init__(
        self,
        checklist: Checklist,
        points: Points,
        field_by: dict[int, list] | RowsBy,
        repeats: dict[int, int],
        applies: dict[tuple, dict[str, bool]],
    ):
        self.checklist, self.points, self.field_by, self.repeats, self._applies = (
            checklist,
            points,
            field_by,
            repeats,
            applies,
        )

    def applies(self, community: CommunityFact) -> dict[str, bool]:
        """Category code → whether it applies to the community (``rules.category_applies``)."""
        return self._applies[community.spot_types]

    def exclusion(self, item_code: str, applies: dict[str, bool]) -> str | None:
        """Why a field report of the item deducts nothing for a community (``applies``), or None."""
        hit = self.points.items.get(item_code)
        if hit is None:
            return "item_not_in_checklist"
        return None if applies[hit[1].code] else "category_not_applicable"

    def facts(self, community: CommunityFact) -> tuple[list[tuple], list[str]]:
        """See ``CommunityScore.breakdown_facts``."""
        applies = self.applies(community)
        out = []
        for r in sorted(self.field_by.get(community.id, ()), key=_first):
            rid, _cid, code, _status, _obs, instances, found_by = r[:7]
            excluded = self.exclusion(code, applies)
            repeat_of = None if excluded == "item_not_in_checklist" else self.repeats.get(rid)
            out.append((rid, code, instances, found_by, repeat_of, excluded))
        return out, [c.code for c in self.checklist.categories if not applies[c.code]]

    def fact_columns(self, communities: Sequence[CommunityFact]) -> BreakdownFacts:
        """``facts`` of every community at once (see ``BreakdownFacts``): over arrays when the field
        reports are columns (``RowsBy``), else one community at a time."""
        rows_by = self.field_by
        if not isinstance(rows_by, RowsBy):
            facts = {c.code: self.facts(c) for c in communities}
            return BreakdownFacts.from_rows(
                {code: rows for code, (rows, _n) in facts.items()},
                {code: n for code, (_r, n) in facts.items()},
            )
        reports, order = rows_by.reports, sorted(communities, key=lambda c: c.code)
        at, community = _positions(rows_by, order)
        rid = reports.id[at]
        # Items and finders as their codes' places among the codes present, in code order.
        item_codes, item = _places(reports.item_codes, reports.item[at])
        finders, finder = _places(reports.finders, reports.found_by[at])
        repeat_of = _looked_up(self.repeats, rid)
        excluded = self._excluded(order, item_codes)[community, item]
        repeat_of[
            excluded == BreakdownFacts.EXCLUSIONS.index("item_not_in_checklist")
        ] = -1  # as ``facts`` has it
        columns = np.stack([community, rid, item, reports.instances[at], finder, repeat_of, excluded])
        columns = columns[:, np.lexsort((rid, community))]
        categories = self.checklist.categories
        not_applicable = {
            c.code: [cat.code for cat in categories if not self.applies(c)[cat.code]] for c in order
        }
        return BreakdownFacts([c.code for c in order], not_applicable, item_codes, finders, columns)

    def _excluded(self, order: Sequence[CommunityFact], item_codes: list[str]) -> np.ndarray:
        """``exclusion`` per (community, item) as its place in ``BreakdownFacts.EXCLUSIONS``."""
        table = np.zeros((len(order), max(len(item_codes), 1)), dtype=np.int64)
        for k, c in enumerate(order):
            applies = self.applies(c)
            table[k, : len(item_codes)] = [
                BreakdownFacts.EXCLUSIONS.index(self.exclusion(code, applies)) for code in item_codes
            ]
        return table

    def entries(self, community: CommunityFact) -> tuple[Deduction, ...]:
        """See ``CommunityScore.entries``."""
        applies = self.applies(community)
        items, points, repeats = self.points.items, self.points, self.repeats
        out = []
        for r in sorted(self.field_by.get(community.id, ()), key=_first):
            rid, _cid, code, _status, _obs, instances, found_by = r[:7]
            excluded = self.exclusion(code, applies)
            if excluded == "item_not_in_checklist":
                out.append(
                    Deduction(
                        rid,
                        community.id,
                        code,
                        None,
                        instances,
                        _ZERO,
                        found_by,
                        found_by_multiplier(self.checklist, found_by),
                        None,
                        repeat_multiplier(self.checklist, False),
                        _ZERO,
                        excluded,
                    )
                )
                continue
            item, category = items[code]
            repeat_of = repeats.get(rid)
            multiplier, amount, rmult = points.amount(item, found_by, instances, repeat_of is not None)
            out.append(
                Deduction(
                    rid,
                    community.id,
                    code,
                    category.code,
                    instances,
                    item.points,
                    found_by,
                    multiplier,
                    repeat_of,
                    rmult,
                    amount,
                    excluded,
                )
            )
        return tuple(out)

    def categories(self, community: CommunityFact, entries: Sequence[Deduction]) -> tuple[CategoryScore, ...]:
        """See ``CommunityScore.categories``."""
        applies = self.applies(community)
        by_item: dict[str, list[Deduction]] = defaultdict(list)
        for e in entries:
            if e.excluded is None:
                by_item[e.item_code].append(e)
        categories = []
        for category in self.checklist.categories:
            item_scores = []
            for item in category.items:
                hits = by_item.get(item.code)
                if hits:
                    raw = sum([e.amount for e in hits], _ZERO)
                    item_scores.append(
                        ItemScore(
                            item.code,
                            raw,
                            item.cap,
                            item_deduction(raw, item.cap),
                            tuple([e.report_id for e in hits]),
                        )
                    )
            raw = sum([i.deducted for i in item_scores], _ZERO)
            applicable = applies[category.code]
            deducted = category_deduction(raw, category.weight) if applicable else _ZERO
            categories.append(
                CategoryScore(category.code, category.weight, applicable, raw, deducted, tuple(item_scores))
            )
        return tuple(categories)


def _first(row) -> int:
    return row[0]


def _positions(rows_by: RowsBy, order: Sequence[CommunityFact]) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the field reports of the communities ``order``, and each one's community's place in
    ``order``."""
    found = [(k, rows_by.positions.get(c.id)) for k, c in enumerate(order)]
    parts: list[tuple[int, np.ndarray]] = [(k, at) for k, at in found if at is not None and len(at)]
    at: np.ndarray = np.concatenate([a for _k, a in parts] + [np.zeros(0, dtype=np.int64)])
    return at, np.repeat(np.array([k for k, _a in parts], dtype=np.int64), [len(a) for _k, a in parts])


def _places(vocabulary: tuple[str, ...], values: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The codes ``values`` (places in ``vocabulary``) name, in code order, and each value as its code's
    place among them."""
    codes = sorted({vocabulary[k] for k in np.unique(values).tolist()})
    place = {code: i for i, code in enumerate(codes)}
    return codes, np.array([place.get(c, -1) for c in vocabulary] or [-1], dtype=np.int64)[values]


def _looked_up(mapping: dict[int, int], keys: np.ndarray) -> np.ndarray:
    """``mapping[key]`` for each key, -1 where there is none."""
    out = np.full(len(keys), -1, dtype=np.int64)
    if mapping and len(keys):
        known = np.fromiter(mapping.keys(), dtype=np.int64, count=len(mapping))
        values = np.fromiter(mapping.values(), dtype=np.int64, count=len(mapping))
        by_key = np.argsort(known)
        known, values = known[by_key], values[by_key]
        found = np.minimum(np.searchsorted(known, keys), len(known) - 1)
        hit = known[found] == keys
        out[hit] = values[found[hit]]
    return out
