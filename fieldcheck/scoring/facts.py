"""What a month is scored from (plain data): the communities, the reports and the month's bounds.

Reports come in one of three shapes, all in ``ReportFact``'s field order:

- ``ReportFact`` rows (or plain tuples), timestamps as aware datetimes: what the tests and the bench's
  naive baseline build;
- the same with the five timestamps as ints, microseconds since 1970-01-01 UTC (``MonthFacts.micros``);
- ``ReportColumns``: one numpy array per field, what the loader reads from the database without building
  an object per report (``MonthFacts.micros`` too).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, overload

import numpy as np

VOIDED, SUSPENDED, CLOSED, APPEALED = "voided", "suspended", "closed", "appealed"


class ReportFact(NamedTuple):
    """The facts of one report that scoring reads (a named tuple: built fast for 200,000 rows)."""

    id: int
    community_id: int | None
    item_code: str
    status: str
    observed_at: datetime
    instances: int = 1
    found_by: str = "district"
    spot_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    dispatched_at: datetime | None = None
    due_at: datetime | None = None
    rectified_at: datetime | None = None
    closed_at: datetime | None = None
    rework_count: int = 0


@dataclass(frozen=True)
class CommunityFact:
    id: int
    code: str
    name: str
    subdistrict_code: str
    subdistrict_name: str
    #: Spot types the community has; empty means not recorded, and every category applies.
    spot_types: tuple[str, ...] = ()
    subdistrict_id: int | None = None


@dataclass(frozen=True)
class MonthFacts:
    """Everything a month is scored from. ``start``/``end``: the city's month as aware UTC bounds."""

    month: str
    start: datetime
    end: datetime
    communities: Sequence[CommunityFact]
    #: ``ReportFact`` rows or plain tuples in its field order, or (timestamps in microseconds only)
    #: ``ReportColumns``, what the loader passes: no object per report.
    reports: Sequence[tuple] | ReportColumns
    #: Communities with a visit (an inspection that found nothing) in the month.
    visited: frozenset[int] = frozenset()
    #: True when the reports' five timestamps are ints, microseconds since 1970-01-01 UTC (what the loader
    #: passes: no datetime built per row), rather than aware datetimes; ``start`` and ``end`` stay datetimes.
    micros: bool = False


# ---------------------------------------------------------------------------------------------------
# Timestamps as microseconds

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
TIMES = (4, 10, 11, 12, 13)  #: the timestamps' places in a row: observed, dispatched, due, rectified, closed


@overload
def micros(moment: datetime) -> int: ...
@overload
def micros(moment: None) -> None: ...
@overload
def micros(moment: datetime | None) -> int | None: ...
def micros(moment: datetime | None) -> int | None:
    """An aware datetime as microseconds since 1970-01-01 UTC (exact), None as None."""
    return None if moment is None else (moment - _EPOCH) // _US


def from_micros(value: int | None) -> datetime | None:
    return None if value is None else _EPOCH + timedelta(microseconds=value)


def in_micros(facts: MonthFacts) -> MonthFacts:
    """The same month with the reports' timestamps in microseconds (``MonthFacts.micros``)."""
    if facts.micros:
        return facts
    rows = [tuple(micros(v) if i in TIMES else v for i, v in enumerate(r)) for r in facts.reports]
    return MonthFacts(
        facts.month, facts.start, facts.end, facts.communities, rows, facts.visited, micros=True
    )


def in_datetimes(rows: Iterable[Sequence]) -> list[tuple]:
    """Rows with timestamps in microseconds as the same rows with aware datetimes."""
    return [tuple(from_micros(v) if i in TIMES else v for i, v in enumerate(r)) for r in rows]


# ---------------------------------------------------------------------------------------------------
# The reports as columns

NO_TIME = int(np.iinfo(np.int64).min)  #: a missing timestamp in ``ReportColumns``


def _vocabulary(values: Iterable) -> tuple[np.ndarray, tuple]:
    """Each value as the index of its first appearance, and the values in that order."""
    seen: dict = {}
    codes = [seen.setdefault(v, len(seen)) for v in values]
    return np.array(codes, dtype=np.int64), tuple(seen)


@dataclass(frozen=True, eq=False)
class ReportColumns:
    """A month's reports as columns of equal length (numpy arrays): what the loader reads from the database
    without building an object per report, and what ``score_month``'s pass over arrays reads.

    Timestamps are int64 microseconds since 1970-01-01 UTC (``NO_TIME`` when missing); a missing community or
    spot is -1, a missing position nan. Texts are small ints into their vocabularies (``item_codes``,
    ``statuses``, ``finders``); a vocabulary may hold a text twice (the loader's items are item ids, and
    two checklist versions may share a code). ``columns[i]`` is row i as a plain tuple in ``ReportFact``'s
    field order, timestamps in microseconds and missing values None, as ``MonthFacts.micros`` rows are.
    """

    id: np.ndarray
    community_id: np.ndarray
    item: np.ndarray
    item_codes: tuple[str, ...]
    status: np.ndarray
    statuses: tuple[str, ...]
    observed_at: np.ndarray
    instances: np.ndarray
    found_by: np.ndarray
    finders: tuple[str, ...]
    spot_id: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    dispatched_at: np.ndarray
    due_at: np.ndarray
    rectified_at: np.ndarray
    closed_at: np.ndarray
    rework_count: np.ndarray

    @classmethod
    def from_rows(cls, rows: Sequence) -> ReportColumns:
        """Columns from tuples in ``ReportFact``'s field order with timestamps in microseconds."""
        rows = list(rows)
        n = len(rows)
        cols = list(zip(*rows, strict=True)) if n else [()] * 15

        def ints(k: int, none: int) -> np.ndarray:
            return np.fromiter((none if v is None else v for v in cols[k]), dtype=np.int64, count=n)

        def floats(k: int) -> np.ndarray:
            return np.fromiter((np.nan if v is None else v for v in cols[k]), dtype=np.float64, count=n)

        item, item_codes = _vocabulary(cols[2])
        status, statuses = _vocabulary(cols[3])
        found_by, finders = _vocabulary(cols[6])
        return cls(
            ints(0, 0),
            ints(1, -1),
            item,
            item_codes,
            status,
            statuses,
            ints(4, NO_TIME),
            ints(5, 0),
            found_by,
            finders,
            ints(7, -1),
            floats(8),
            floats(9),
            ints(10, NO_TIME),
            ints(11, NO_TIME),
            ints(12, NO_TIME),
            ints(13, NO_TIME),
            ints(14, 0),
        )

    def __len__(self) -> int:
        return len(self.id)

    def __getitem__(self, i: int) -> tuple:
        return self.rows(np.array([i], dtype=np.int64))[0]

    def __iter__(self):
        return iter(self.rows(np.arange(len(self))))

    def is_status(self, name: str) -> np.ndarray:
        """Where the status is ``name``."""
        return self.status == (self.statuses.index(name) if name in self.statuses else -1)

    def item_in(self, codes: dict[str, int]) -> np.ndarray:
        """Each row's item as its value in ``codes`` (item code → int), -1 for a code not there."""
        return np.array([codes.get(code, -1) for code in self.item_codes] or [-1], dtype=np.int64)[self.item]

    def rows(self, at: np.ndarray) -> list[tuple]:
        """Rows ``at`` (positions) as tuples, each value a plain Python value."""

        def ids(column: np.ndarray) -> list:
            return [None if v < 0 else v for v in column[at].tolist()]

        def times(column: np.ndarray) -> list:
            return [None if v == NO_TIME else v for v in column[at].tolist()]

        def floats(column: np.ndarray) -> list:
            return [None if v != v else v for v in column[at].tolist()]

        def words(column: np.ndarray, vocabulary: tuple) -> list:
            return [vocabulary[k] for k in column[at].tolist()]

        return list(
            zip(
                self.id[at].tolist(),
                ids(self.community_id),
                words(self.item, self.item_codes),
                words(self.status, self.statuses),
                times(self.observed_at),
                self.instances[at].tolist(),
                words(self.found_by, self.finders),
                ids(self.spot_id),
                floats(self.lat),
                floats(self.lon),
                times(self.dispatched_at),
                times(self.due_at),
                times(self.rectified_at),
                times(self.closed_at),
                self.rework_count[at].tolist(),
                strict=True,
            )
        )
