"""The ranking document: a month's scoring result as plain JSON-ready data (pure).

Numbers that are points or rates are strings holding exact decimals ("68.25", "0.333333"): scores are
exact fractions in fieldcheck.scoring, written here to six decimal places (rounded half up), with trailing zeros
dropped down to two places. Round to two places only for display. Counts are integers. The same
document is what the API returns, what a snapshot stores and what the exports are written from.
"""

from __future__ import annotations

import gc
import hashlib
import json
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from ..checklist.spec import Checklist
from ..scoring import TIE_BREAKS, TIE_BREAKS_ZH, BreakdownFacts, CommunityScore, Indicators, MonthResult

_PLACES = Decimal("0.000001")
_CENT = Decimal("0.01")


def exact(value: Fraction | Decimal | int | None) -> str | None:
    """A decimal string to six places, trailing zeros dropped down to two: 68.25, 63.333333, 100.00."""
    if value is None:
        return None
    # Equal numbers give equal text, so repeated values (points, multipliers) are formatted once.
    text = _EXACT.get(value)
    if text is None:
        if len(_EXACT) > 100_000:
            _EXACT.clear()
        text = _EXACT[value] = _exact(value)
    return text


_EXACT: dict = {}


def _exact(value: Fraction | Decimal | int) -> str:
    if isinstance(value, Fraction):
        d = (Decimal(value.numerator) / Decimal(value.denominator)).quantize(_PLACES, ROUND_HALF_UP)
        # Division at 28 digits then rounding to 6 places is exact for the magnitudes scores have.
    else:
        d = Decimal(value).quantize(_PLACES, ROUND_HALF_UP)
    text = format(d.normalize(), "f") if d != 0 else "0"
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def display(value: str | None) -> Decimal | None:
    """A document number rounded for display (two places, half up)."""
    return None if value is None else Decimal(value).quantize(_CENT, ROUND_HALF_UP)


def indicators(ind: Indicators) -> dict:
    return {
        "reports": ind.reports,
        "repeats": ind.repeats,
        "due": ind.due,
        "closed": ind.closed,
        "on_time": ind.on_time,
        "overdue_open": ind.overdue_open,
        "rework": ind.rework,
        "reached_verification": ind.reached_verification,
        "closure_rate": exact(ind.closure_rate),
        "on_time_rate": exact(ind.on_time_rate),
        "rework_rate": exact(ind.rework_rate),
        "mean_hours_to_rectify": exact(ind.mean_hours_to_rectify),
    }


def _community(s: CommunityScore) -> dict:
    c = s.community
    return {
        "rank": s.rank,
        "id": c.id,
        "code": c.code,
        "name": c.name,
        "subdistrict_code": c.subdistrict_code,
        "subdistrict": c.subdistrict_name,
        "subdistrict_id": c.subdistrict_id,
        "inspected": s.inspected,
        "score": exact(s.score),
        "field_score": exact(s.field_score),
        "rectification_score": exact(s.rectification_score),
        "deductions": exact(s.deductions),
        **indicators(s.indicators),
    }


def _breakdown(s: CommunityScore, checklist: Checklist, memo: dict) -> dict:
    names = {c.code: c for c in checklist.categories}
    items = {i.code: i for c in checklist.categories for i in c.items}
    categories = []
    for cat in s.categories:
        if not cat.items and cat.applicable:
            continue
        meta = names[cat.code]
        categories.append(
            {
                "code": cat.code,
                "name_zh": meta.name_zh,
                "name_en": meta.name_en,
                "weight": exact(cat.weight),
                "applicable": cat.applicable,
                "raw": exact(cat.raw),
                "deducted": exact(cat.deducted),
                "items": [
                    {
                        "code": i.code,
                        "name_zh": items[i.code].name_zh,
                        "name_en": items[i.code].name_en,
                        "raw": exact(i.raw),
                        "cap": exact(i.cap),
                        "deducted": exact(i.deducted),
                        "report_ids": list(i.report_ids),
                    }
                    for i in cat.items
                ],
            }
        )
    return {"categories": categories, "deductions": [_deduction(e, items, memo) for e in s.entries]}


def _deduction(e, items, memo: dict) -> dict:
    # Everything but the report, its repeat source and the exclusion repeats across many reports:
    # build that part once per combination.
    key = (
        e.item_code,
        e.category_code,
        e.instances,
        e.points,
        e.found_by,
        e.found_by_multiplier,
        e.repeat_multiplier,
        e.amount,
    )
    fixed = memo.get(key)
    if fixed is None:
        fixed = memo[key] = {
            "item_code": e.item_code,
            "item_name_zh": items[e.item_code].name_zh if e.item_code in items else None,
            "category_code": e.category_code,
            "instances": e.instances,
            "points": exact(e.points),
            "found_by": e.found_by,
            "found_by_multiplier": exact(e.found_by_multiplier),
            "repeat_multiplier": exact(e.repeat_multiplier),
            "amount": exact(e.amount),
        }
    return {"report_id": e.report_id, **fixed, "repeat_of": e.repeat_of, "excluded": e.excluded}


@contextmanager
def collector_paused():
    """Pause the cyclic garbage collector while a month is loaded and scored, or its breakdowns built.

    A month is a few hundred thousand new tuples, lists and dicts that all stay alive until the result is
    built; each collection triggered by their allocation walks all of them again (measured: about 40 % of
    the ranking's CPU time on a 200,000-report month), and none of them forms a cycle to collect. Memory is
    still freed by reference counting. Process-wide: another thread's collections pause too (and one
    thread ending its computation turns collection back on for all), which costs time, never results.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_PENDING = object()


class Breakdowns(dict):
    """A document's ``breakdowns``: community code → breakdown, each built from the scoring result the
    first time it is read, then kept.

    Most readers of a document never look at breakdowns (the ranking page, the CSV, the API without
    ``breakdowns=1``), and building all of them is most of the work on a large month. This is a real
    dict, so the JSON encoders, ``dict(...)``, ``{**...}``, comparisons, copies and templates all see every
    entry with its breakdown (building what is missing); ``only(codes)`` gives a view of some of the
    communities that shares what is built.
    """

    def __init__(self, scores: dict, checklist: Checklist, *, _build=None):
        super().__init__(dict.fromkeys(scores, _PENDING))
        if _build is None:
            memo: dict = {}  # deduction fields shared by many reports, built once per document

            def _build(code):
                return _breakdown(scores[code], checklist, memo)

        self._build = _build

    def __getitem__(self, code):
        value = dict.__getitem__(self, code)
        if value is _PENDING:
            value = self._build(code)
            dict.__setitem__(self, code, value)
        return value

    def get(self, code, default=None):
        return self[code] if dict.__contains__(self, code) else default

    def __iter__(self):  # a Python-level __iter__ also makes dict(...) and {**...} go through __getitem__
        return dict.__iter__(self)

    def values(self):
        with collector_paused():
            return [self[code] for code in dict.__iter__(self)]

    def items(self):
        with collector_paused():
            return [(code, self[code]) for code in dict.__iter__(self)]

    def copy(self) -> dict:
        return dict(self.items())

    def materialized(self) -> dict:
        """A plain dict of every breakdown."""
        return dict(self.items())

    def only(self, codes) -> Breakdowns:
        """The breakdowns of those of ``codes`` that are here, built (once, shared) when read."""
        keep = {code: None for code in dict.__iter__(self) if code in codes}
        return Breakdowns(keep, None, _build=self.__getitem__)

    def __eq__(self, other):
        return dict(self.items()) == (dict(other.items()) if isinstance(other, dict) else other)

    def __ne__(self, other):
        return not self == other

    def __or__(self, other):
        return {**self, **other}

    def __ror__(self, other):
        return {**other, **self}

    def built(self) -> int:
        """How many of the breakdowns are built so far."""
        return sum(1 for v in dict.values(self) if v is not _PENDING)

    def __repr__(self) -> str:
        return f"<Breakdowns of {len(self)} communities, {self.built()} built>"

    __hash__ = None

    def __reduce__(self):
        return (dict, (self.materialized(),))

    def setdefault(self, code, default=None):
        if dict.__contains__(self, code):
            return self[code]
        dict.__setitem__(self, code, default)
        return default

    def pop(self, code, *default):
        if dict.__contains__(self, code):
            value = self[code]
            dict.__delitem__(self, code)
            return value
        if default:
            return default[0]
        raise KeyError(code)

    def popitem(self):
        code = next(reversed(dict.keys(self)))
        return code, self.pop(code)


def build(result: MonthResult, checklist: Checklist, version_id: int, timezone: str) -> dict:
    """The full document of a month's result, breakdowns included (what a snapshot stores); each
    community's breakdown is built when first read (see ``Breakdowns``)."""
    inspected, total = result.coverage
    return {
        "month": result.month,
        "timezone": timezone,
        "reference": result.reference.isoformat(),
        "checklist": {
            "id": version_id,
            "label": checklist.label,
            "effective_month": checklist.effective_month,
            "field_total": exact(checklist.field_total),
            "rectification_total": exact(checklist.rectification_total),
        },
        "tie_breaks": list(TIE_BREAKS),
        "tie_breaks_zh": list(TIE_BREAKS_ZH),
        "coverage": {
            "communities": total,
            "inspected": inspected,
            "rate": exact(Fraction(inspected, total)) if total else None,
        },
        "communities": [_community(s) for s in result.communities],
        "subdistricts": [
            {
                "rank": sd.rank,
                "id": sd.id,
                "code": sd.code,
                "name": sd.name,
                "score": exact(sd.score),
                "communities": sd.communities,
                "inspected": sd.inspected,
                **indicators(sd.indicators),
            }
            for sd in result.subdistricts
        ],
        "red_list": result.red_list,
        "black_list": result.black_list,
        "indicators": indicators(result.indicators),
        "breakdowns": Breakdowns({s.community.code: s for s in result.communities}, checklist),
    }


def canonical(document: dict) -> str:
    """The stored form: sorted keys, no spaces, UTF-8 text (so equal documents hash equally)."""
    with collector_paused():
        return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(document: dict) -> str:
    return hashlib.sha256(canonical(document).encode("utf-8")).hexdigest()


def summary(document: dict) -> dict:
    """The document without its breakdowns: what a snapshot keeps apart for GETs that show no breakdown
    (the ranking, the CSV, the landing cards): a few hundred kilobytes of a 57 MB month."""
    return {key: value for key, value in document.items() if key != "breakdowns"}


def facts_digest(breakdowns: dict) -> str:
    """The digest of what built breakdowns are built from (``scoring.BreakdownFacts``): per community, the
    categories that do not apply and each field report's ``(report_id, item_code, instances, found_by,
    repeat_of, excluded)``. Equal to ``result_facts_digest`` of the result they were built from."""
    rows, not_applicable = {}, {}
    for code, b in breakdowns.items():
        not_applicable[code] = [c["code"] for c in b["categories"] if not c["applicable"]]
        rows[code] = [
            (d["report_id"], d["item_code"], d["instances"], d["found_by"], d["repeat_of"], d["excluded"])
            for d in b["deductions"]
        ]
    return BreakdownFacts.from_rows(rows, not_applicable).digest()


def result_facts_digest(result: MonthResult) -> str:
    """``facts_digest`` of the breakdowns ``result`` would build, without building them (over arrays)."""
    return result.breakdown_facts().digest()


def same_as_summary(published: dict, published_facts: str, live: dict, result: MonthResult) -> bool:
    """``same_as_published`` from what a snapshot keeps apart: its summary (``published`` compared but for
    its breakdowns, which are not read) and its facts digest."""
    return same_but_breakdowns(published, live) and published_facts == result_facts_digest(result)


def same_but_breakdowns(published: dict, live: dict) -> bool:
    """The same keys, and every value but the breakdowns equal."""
    return published.keys() == live.keys() and all(
        published[key] == value for key, value in live.items() if key != "breakdowns"
    )


def same_as_published(published: dict, live: dict, result: MonthResult) -> bool:
    """Whether ``live`` (built from ``result`` with the snapshot's checklist version) equals the published
    document, breakdowns included, as equal digests would say, without building a breakdown.

    Everything but the breakdowns is compared as it stands. A breakdown is built from the checklist (the
    same version: a snapshot keeps its own) and the community's field reports with their item, instances,
    finder, repeat source and exclusion, and the categories that do not apply; those are compared with
    what the published breakdown lists (``CommunityScore.breakdown_facts``): about a tenth of the cost of
    building every breakdown and hashing the document, which a GET of a published month would otherwise
    pay to find out whether anything changed.
    """
    if not same_but_breakdowns(published, live):
        return False
    frozen = published["breakdowns"]
    scores = {s.community.code: s for s in result.communities}
    if frozen.keys() != scores.keys():
        return False
    for code, s in scores.items():
        facts, not_applicable = s.breakdown_facts()
        b = frozen[code]
        if [c["code"] for c in b["categories"] if not c["applicable"]] != not_applicable:
            return False
        if [
            (d["report_id"], d["item_code"], d["instances"], d["found_by"], d["repeat_of"], d["excluded"])
            for d in b["deductions"]
        ] != facts:
            return False
    return True


def differences(published: dict, live: dict) -> list[dict]:
    """Communities whose score, rank or inspection differs between two documents, with the change."""
    before = {c["code"]: c for c in published["communities"]}
    after = {c["code"]: c for c in live["communities"]}
    out = []
    for code in sorted(before.keys() | after.keys()):
        b, a = before.get(code), after.get(code)
        fields = ("score", "rank", "inspected", "field_score", "rectification_score")
        if b is not None and a is not None and all(b[f] == a[f] for f in fields):
            continue
        b_score = b["score"] if b else None
        a_score = a["score"] if a else None
        delta = (
            exact(Decimal(a_score) - Decimal(b_score))
            if a_score is not None and b_score is not None
            else None
        )
        out.append(
            {
                "code": code,
                "name": (a or b)["name"],
                "published_score": b_score,
                "score": a_score,
                "delta": delta,
                "published_rank": b["rank"] if b else None,
                "rank": a["rank"] if a else None,
                "published_inspected": b["inspected"] if b else None,
                "inspected": a["inspected"] if a else None,
            }
        )
    return out
