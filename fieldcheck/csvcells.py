"""CSV cells that spreadsheets open as what they are: every CSV the app writes goes through ``row``.

Excel and WPS treat a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula (and a tab or a
carriage return before one of them as nothing at all), so a community name from a boundary file such as
``=HYPERLINK("http://…")`` would become a live link or a command in the office's spreadsheet. Text cells
beginning with one of those characters are written with a leading apostrophe, which both show as text.
Numbers are numbers: a negative score stays ``-1.5``. Pure: no Flask, no database.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str) -> str:
    """A text cell spreadsheets show as text, never evaluate."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def cell(value) -> str:
    """One CSV cell: None empty, text guarded, anything else (int, Decimal, float, date) as its str."""
    if value is None:
        return ""
    if isinstance(value, str):
        return text_cell(value)
    return str(value)


def row(values: Iterable) -> list[str]:
    return [cell(v) for v in values]


def write(rows: Iterable[Iterable]) -> str:
    """The rows as CSV text with CRLF line ends (the caller adds a BOM where Excel needs one)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for values in rows:
        writer.writerow(row(values))
    return buffer.getvalue()
