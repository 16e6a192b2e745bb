"""The local month as a value: the one parser of 'YYYY-MM' text for the whole app (pure).

Pages, the API, exports, the bulletin, the CLI, checklist files and list filters all read a month with
:meth:`Month.parse`. It accepts exactly four ASCII digits, a dash and two ASCII digits (01..12), for a
year from ``MIN_YEAR`` to ``MAX_YEAR``: ``str.isdigit`` and ``int`` would also take Arabic-Indic or
fullwidth digits and superscripts (``٢٠٢٦-١١``, ``２０２６-11``, ``2026-0²``), and a year such as 9999 or
0 overflows the date arithmetic of its bounds.

A bad month raises :class:`BadMonth`, both a ``ValueError`` (for pure callers) and an ``Invalid`` domain
error, so a view that lets it through answers 400 ``bad_month`` with the usual error shape. Where the
month is a path segment, the routes answer 400 too: the segment is malformed, not a month that names
nothing (a well-formed month without a checklist is 404 ``no_checklist``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo

from .errors import N_, Invalid

__all__ = ["MAX_YEAR", "MIN_YEAR", "BadMonth", "Month"]

#: The years a month may name: generous around the app's life, far from date arithmetic's limits.
MIN_YEAR = 2000
MAX_YEAR = 2100

_ASCII_DIGITS = frozenset("0123456789")
MESSAGE = N_("The month must look like 2026-03 (year, dash, two-digit month).")


class BadMonth(Invalid, ValueError):
    """Text that is not a month the app can use (400 ``bad_month``)."""

    code = "bad_month"

    def __init__(self, value: object = None):
        super().__init__(MESSAGE)
        self.value = value


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month of the city, e.g. ``Month(2026, 3)``; ``str()`` gives '2026-03'."""

    year: int
    number: int

    def __post_init__(self) -> None:
        for part in (self.year, self.number):
            if isinstance(part, bool) or not isinstance(part, int):
                raise BadMonth((self.year, self.number))
        if not MIN_YEAR <= self.year <= MAX_YEAR or not 1 <= self.number <= 12:
            raise BadMonth((self.year, self.number))

    @classmethod
    def parse(cls, value: object) -> Month:
        """The month named by 'YYYY-MM' (ASCII digits, no spaces), or :class:`BadMonth`."""
        if isinstance(value, Month):
            return value
        if not isinstance(value, str) or len(value) != 7 or value[4] != "-":
            raise BadMonth(value)
        digits = value[:4] + value[5:]
        if not set(digits) <= _ASCII_DIGITS:
            raise BadMonth(value)
        return cls(int(value[:4]), int(value[5:]))

    @classmethod
    def of(cls, moment: datetime, tz: tzinfo) -> Month:
        """The local month an aware moment belongs to (00:30 local on the 1st is the new month)."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("moment must be a timezone-aware datetime")
        day = moment.astimezone(tz).date()
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.number:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.number, 1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.number == 12 else Month(self.year, self.number + 1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.number == 1 else Month(self.year, self.number - 1)

    def start(self, tz: tzinfo) -> datetime:
        """Local midnight on the 1st, as an aware UTC datetime."""
        return datetime.combine(self.first_day, time(0), tzinfo=tz).astimezone(UTC)

    def end(self, tz: tzinfo) -> datetime:
        """Local midnight on the 1st of the next month (exclusive), as an aware UTC datetime."""
        following = date(self.year + 1, 1, 1) if self.number == 12 else date(self.year, self.number + 1, 1)
        return datetime.combine(following, time(0), tzinfo=tz).astimezone(UTC)

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """The month in local time as a half-open UTC range [start, end)."""
        return self.start(tz), self.end(tz)


def month_text(value: object) -> str:
    """'YYYY-MM' checked by :meth:`Month.parse` and given back canonical (for services keyed by text)."""
    return str(Month.parse(value))
