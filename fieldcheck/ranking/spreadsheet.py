"""A small XLSX writer: plain tables as SpreadsheetML text, four cell styles, real hyperlinks (pure).

The ranking's workbook is written here rather than through openpyxl: a month of 200,000 deductions is
three million cells, and openpyxl builds an object per cell (measured: 16 s of CPU time for that sheet,
12 s with lxml), where writing each row as one string takes well under a second. openpyxl stays what the
tests read the files back with.

Hyperlinks are the worksheet's ``<hyperlinks>`` with one external relationship each (what Excel, WPS and
openpyxl's ``cell.hyperlink`` read). Excel refuses more than 65,530 hyperlinks in one worksheet
(``MAX_LINKS``); past that a sheet keeps the address as text only and counts what it left unlinked.
"""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape as _escape_xml

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAX_LINKS = 65_530

# Cell styles (cellXfs): 0 plain, 1 bold (headers), 2 number 0.00 (scores), 3 percentage 0.00% (rates).
BOLD, SCORE, RATE = 1, 2, 3
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
# Characters XML 1.0 cannot carry at all; dropped from text (openpyxl would refuse the whole workbook).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def width(value) -> int:
    """Display width in Excel's character units: CJK characters count double."""
    text = str(value) if value is not None else ""
    return len(text) if text.isascii() else sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def column(n: int) -> str:
    """Column letters of the 1-based column n: 1 → A, 27 → AA."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def text(value: str) -> str:
    """Escaped content of an inline string cell (spaces at either end kept)."""
    escaped = _escape_xml(_ILLEGAL.sub("", value))
    if escaped[:1].isspace() or escaped[-1:].isspace():
        return f'<is><t xml:space="preserve">{escaped}</t></is>'
    return f"<is><t>{escaped}</t></is>"


def cell(ref: str, value, style: int = 0) -> str:
    """One cell: numbers as numbers (Decimal written exactly), text inline, None as nothing."""
    if value is None or value == "":  # as openpyxl does: an empty string is an empty cell
        return ""
    s = f' s="{style}"' if style else ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    if isinstance(value, Decimal):
        return f'<c r="{ref}"{s}><v>{value:f}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr">{text(str(value))}</c>'


class Sheet:
    """One table: a bold header row (frozen), rows, notes below; column widths fitted to every row.

    Rows are kept as rendered XML strings (``add`` for a few rows of any values, ``add_xml`` for a row the
    caller rendered itself, with ``fit`` for its widths), and written out when the workbook is saved.
    ``link`` makes a cell a hyperlink (up to ``MAX_LINKS``; ``unlinked`` counts the rest).
    """

    def __init__(self, title: str, headers: list[str]):
        self.title, self.headers = title, headers
        self.columns = [column(i) for i in range(1, len(headers) + 1)]
        self.widths = [width(h) for h in headers]
        self.rows: list[str] = []
        self.notes: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.unlinked = 0

    @property
    def next_row(self) -> int:
        return len(self.rows) + 2

    def fit(self, index: int, shown: int) -> None:
        if shown > self.widths[index]:
            self.widths[index] = shown

    def link(self, ref: str, url: str) -> bool:
        """Make the cell at ``ref`` a hyperlink to ``url``; False (and counted) past Excel's limit."""
        if not url:
            return False
        if len(self.links) >= MAX_LINKS:
            self.unlinked += 1
            return False
        self.links.append((ref, url))
        return True

    def add(self, values: list, styles: list[int] | None = None) -> None:
        n = self.next_row
        cells = []
        for i, v in enumerate(values):
            shown = f"{v:.2f}" if isinstance(v, Decimal) else v
            if i < len(self.widths):
                self.fit(i, width(shown))
            cells.append(cell(f"{column(i + 1)}{n}", v, styles[i] if styles and v is not None else 0))
        self.rows.append(f'<row r="{n}">{"".join(cells)}</row>')

    def add_xml(self, row: str) -> None:
        self.rows.append(row)

    def chunks(self):
        """The worksheet XML, in pieces."""
        last_row = len(self.rows) + 1 + (len(self.notes) + 1 if self.notes else 0)
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{min(max(w + 2, 6), 60)}" customWidth="1"/>'
            for i, w in enumerate(self.widths, 1)
        )
        yield (
            f'{_HEAD}<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
            f'<dimension ref="A1:{self.columns[-1]}{last_row}"/>'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
            + '<row r="1">'
            + "".join(cell(f"{c}1", h, BOLD) for c, h in zip(self.columns, self.headers, strict=True))
            + "</row>"
        )
        for start in range(0, len(self.rows), 5000):
            yield "".join(self.rows[start : start + 5000])
        if self.notes:
            n = len(self.rows) + 2
            yield f'<row r="{n}"/>' + "".join(
                f'<row r="{n + i}">{cell(f"A{n + i}", note)}</row>' for i, note in enumerate(self.notes, 1)
            )
        yield "</sheetData>"
        if self.links:
            yield (
                "<hyperlinks>"
                + "".join(
                    f'<hyperlink ref="{ref}" r:id="rId{i}"/>' for i, (ref, _url) in enumerate(self.links, 1)
                )
                + "</hyperlinks>"
            )
        yield "</worksheet>"

    def relationships(self) -> str | None:
        """The worksheet's relationships part: one external target per hyperlink (None without links)."""
        if not self.links:
            return None
        return (
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{REL}/hyperlink" '
                f'Target="{_escape_xml(url, {chr(34): "&quot;"})}" TargetMode="External"/>'
                for i, (_ref, url) in enumerate(self.links, 1)
            )
            + "</Relationships>"
        )


def _package_parts(sheets: list[Sheet]) -> dict[str, str]:
    n = len(sheets)
    return {
        "[Content_Types].xml": (
            f"{_HEAD}"
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>'
                for i in range(1, n + 1)
            )
            + "</Types>"
        ),
        "_rels/.rels": (
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'{_HEAD}<workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
            + "".join(
                f'<sheet name="{_escape_xml(s.title, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                for i, s in enumerate(sheets, 1)
            )
            + "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, n + 1)
            )
            + f'<Relationship Id="rId{n + 1}" Type="{REL}/styles" Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": _STYLES,
    }


class Workbook:
    """Sheets written as one XLSX package (zip): workbook, styles, worksheets, relationships."""

    def __init__(self):
        self.sheets: list[Sheet] = []

    def sheet(self, title: str, headers: list[str]) -> Sheet:
        sheet = Sheet(title, headers)
        self.sheets.append(sheet)
        return sheet

    def save(self) -> bytes:
        out = io.BytesIO()
        # Level 1: most of the size gain of deflating for a fraction of the time (the text is repetitive).
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for name, part in _package_parts(self.sheets).items():
                zf.writestr(name, part)
            for i, sheet in enumerate(self.sheets, 1):
                with zf.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as f:
                    for chunk in sheet.chunks():
                        f.write(chunk.encode("utf-8"))
                rels = sheet.relationships()
                if rels is not None:
                    zf.writestr(f"xl/worksheets/_rels/sheet{i}.xml.rels", rels)
        return out.getvalue()
