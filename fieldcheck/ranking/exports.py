"""The ranking document as files the office works in (pure: document in, bytes out).

XLSX: sheets 社区排名 (community ranking), 街道排名 (sub-district ranking), 扣分明细 (every deduction, with
links to the report in the API and in the web UI), 指标 (indicators per community, sub-district and the
whole district), and 说明 (month, checklist version, publication, the tie-break rules). Chinese headers in
bold, the header row frozen, widths fitted to the content, numbers as numbers (scores exact, shown with two
decimals; rates as percentages). The ranking sheets also state the tie-break rules below the table.

The workbook is written here as SpreadsheetML text (``_Workbook``: five plain tables, four cell styles)
rather than through openpyxl: a month of 200,000 deductions is three million cells, and openpyxl builds an
object per cell (measured: 16 s of CPU time for that sheet, 12 s with lxml), where writing each row as one
string takes well under a second. openpyxl stays what the tests read the files back with.

Links: every export links to the app by ``base_url`` (``fieldcheck.links.public_base``: FIELDCHECK_PUBLIC_URL,
or the request's own address) followed by the app's paths (``PATHS``, checked against the routes by the
tests): the deduction sheet to each report, the ranking sheet and CSV to each community's page, the JSON
(when a base is given) in a ``links`` member beside the document.

CSV: the community ranking, UTF-8 with a byte-order mark so Excel opens it as UTF-8; exact decimals; text
cells that a spreadsheet would take for a formula guarded (``fieldcheck.csvcells``).
JSON: the document itself, UTF-8.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from decimal import Decimal
from urllib.parse import quote
from xml.sax.saxutils import escape as _escape_xml

from .. import csvcells
from .document import collector_paused

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Flask adds "; charset=utf-8" to a text/* mimetype itself (giving it here doubled it).
CSV_MIME = "text/csv"

# The app's paths the exports link to (ranking.month_page, ranking.bulletin, ranking.community_page,
# workflow.item, api.get_report), after the public base.
PATHS = {
    "ranking": "/ranking/{month}",
    "bulletin": "/ranking/{month}/bulletin",
    "community": "/ranking/{month}/{code}",
    "report": "/reports/{id}",
    "report_api": "/api/v1/reports/{id}",
}
LINK_HEADER = "社区页面链接"

FOUND_BY_ZH = {"third_party": "第三方", "city": "市级", "district": "区级", "subdistrict": "街道自查"}
EXCLUDED_ZH = {
    "category_not_applicable": "社区无此类点位，不计分",
    "item_not_in_checklist": "检查项不在本月测评体系中",
}

# (header, key, kind): kind "score" → number 0.00, "rate" → percentage, "int", "text", "bool".
COMMUNITY_COLUMNS = [
    ("排名", "rank", "int"),
    ("社区编码", "code", "text"),
    ("社区名称", "name", "text"),
    ("街道", "subdistrict", "text"),
    ("总分", "score", "score"),
    ("实地测评得分", "field_score", "score"),
    ("整改落实得分", "rectification_score", "score"),
    ("实地扣分", "deductions", "score"),
    ("问题数", "reports", "int"),
    ("应结案数", "due", "int"),
    ("结案数", "closed", "int"),
    ("按期结案数", "on_time", "int"),
    ("超期未结数", "overdue_open", "int"),
    ("返工数", "rework", "int"),
    ("结案率", "closure_rate", "rate"),
    ("按期结案率", "on_time_rate", "rate"),
    ("返工率", "rework_rate", "rate"),
    ("回潮数", "repeats", "int"),
    ("平均整改时长（工作小时）", "mean_hours_to_rectify", "score"),
    ("是否测评", "inspected", "bool"),
]
SUBDISTRICT_COLUMNS = [
    ("排名", "rank", "int"),
    ("街道编码", "code", "text"),
    ("街道名称", "name", "text"),
    ("平均分", "score", "score"),
    ("社区数", "communities", "int"),
    ("已测评社区数", "inspected", "int"),
    *[
        c
        for c in COMMUNITY_COLUMNS
        if c[1]
        in (
            "reports",
            "due",
            "closed",
            "on_time",
            "overdue_open",
            "rework",
            "closure_rate",
            "on_time_rate",
            "rework_rate",
            "repeats",
        )
    ],
]
INDICATOR_COLUMNS = [
    ("层级", "level", "text"),
    ("编码", "code", "text"),
    ("名称", "name", "text"),
    *[
        c
        for c in COMMUNITY_COLUMNS
        if c[1]
        in (
            "reports",
            "due",
            "closed",
            "on_time",
            "closure_rate",
            "on_time_rate",
            "rework_rate",
            "overdue_open",
            "mean_hours_to_rectify",
            "repeats",
        )
    ],
]
DEDUCTION_HEADERS = [
    "社区编码",
    "社区名称",
    "案件编号",
    "检查项编码",
    "检查项名称",
    "类别",
    "处数",
    "每处扣分",
    "发现层级",
    "层级系数",
    "回潮（前案编号）",
    "回潮系数",
    "扣分（封顶前）",
    "不计分原因",
    "案件接口链接",
    "案件页面链接",
]


def community_link(base_url: str, month: str, code: str) -> str:
    return base_url + PATHS["community"].format(month=month, code=quote(code, safe=""))


def links_of(document: dict, base_url: str) -> dict:
    """The links of a ranking document: its pages, each community's, and report link templates ({id})."""
    month = document["month"]
    return {
        "ranking": base_url + PATHS["ranking"].format(month=month),
        "bulletin": base_url + PATHS["bulletin"].format(month=month),
        "communities": {
            c["code"]: community_link(base_url, month, c["code"]) for c in document["communities"]
        },
        "report": base_url + PATHS["report"],
        "report_api": base_url + PATHS["report_api"],
    }


def _number(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _value(row: dict, key: str, kind: str):
    value = row.get(key)
    if kind in ("score", "rate"):
        return _number(value)
    if kind == "bool":
        return "是" if value else "否"
    return value


def _width(value) -> int:
    """Display width in Excel's character units: CJK characters count double."""
    text = str(value) if value is not None else ""
    return len(text) if text.isascii() else sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


# ---------------------------------------------------------------------------------------------------
# SpreadsheetML


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
# Cell styles (cellXfs): 0 plain, 1 bold (headers), 2 number 0.00 (scores), 3 percentage 0.00% (rates).
_BOLD, _SCORE, _RATE = 1, 2, 3
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN}">'
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


def _column(n: int) -> str:
    """Column letters of the 1-based column n: 1 → A, 27 → AA."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str) -> str:
    """Escaped content of an inline string cell (spaces at either end kept)."""
    text = _escape_xml(_ILLEGAL.sub("", value))
    if text[:1].isspace() or text[-1:].isspace():
        return f'<is><t xml:space="preserve">{text}</t></is>'
    return f"<is><t>{text}</t></is>"


def _cell(ref: str, value, style: int = 0) -> str:
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
    return f'<c r="{ref}"{s} t="inlineStr">{_text(str(value))}</c>'


class _Sheet:
    """One table: a bold header row (frozen), rows, notes below; column widths fitted to every row.

    Rows are kept as rendered XML strings (``add`` for a few rows of any values, ``add_xml`` for a row the
    caller rendered itself, with ``fit`` for its widths), and written out when the workbook is saved.
    """

    def __init__(self, title: str, headers: list[str]):
        self.title, self.headers = title, headers
        self.columns = [_column(i) for i in range(1, len(headers) + 1)]
        self.widths = [_width(h) for h in headers]
        self.rows: list[str] = []
        self.notes: list[str] = []

    @property
    def next_row(self) -> int:
        return len(self.rows) + 2

    def fit(self, index: int, width: int) -> None:
        if width > self.widths[index]:
            self.widths[index] = width

    def add(self, values: list, styles: list[int] | None = None) -> None:
        n = self.next_row
        cells = []
        for i, v in enumerate(values):
            shown = f"{v:.2f}" if isinstance(v, Decimal) else v
            if i < len(self.widths):
                self.fit(i, _width(shown))
            cells.append(_cell(f"{_column(i + 1)}{n}", v, styles[i] if styles and v is not None else 0))
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
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f'<dimension ref="A1:{self.columns[-1]}{last_row}"/>'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
            + '<row r="1">'
            + "".join(_cell(f"{c}1", h, _BOLD) for c, h in zip(self.columns, self.headers, strict=True))
            + "</row>"
        )
        for start in range(0, len(self.rows), 5000):
            yield "".join(self.rows[start : start + 5000])
        if self.notes:
            n = len(self.rows) + 2
            yield f'<row r="{n}"/>' + "".join(
                f'<row r="{n + i}">{_cell(f"A{n + i}", note)}</row>' for i, note in enumerate(self.notes, 1)
            )
        yield "</sheetData></worksheet>"


class _Workbook:
    """Sheets written as one XLSX package (zip): workbook, styles, worksheets, relationships."""

    def __init__(self):
        self.sheets: list[_Sheet] = []

    def sheet(self, title: str, headers: list[str]) -> _Sheet:
        sheet = _Sheet(title, headers)
        self.sheets.append(sheet)
        return sheet

    def save(self) -> bytes:
        out = io.BytesIO()
        n = len(self.sheets)
        parts = {
            "[Content_Types].xml": (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
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
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
                f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
            "xl/workbook.xml": (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
                '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
                + "".join(
                    f'<sheet name="{_escape_xml(s.title, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                    for i, s in enumerate(self.sheets, 1)
                )
                + "</sheets></workbook>"
            ),
            "xl/_rels/workbook.xml.rels": (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
                + "".join(
                    f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                    for i in range(1, n + 1)
                )
                + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
            ),
            "xl/styles.xml": _STYLES,
        }
        # Level 1: most of the size gain of deflating for a fraction of the time (the text is repetitive).
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for name, text in parts.items():
                zf.writestr(name, text)
            for i, sheet in enumerate(self.sheets, 1):
                with zf.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as f:
                    for chunk in sheet.chunks():
                        f.write(chunk.encode("utf-8"))
        return out.getvalue()


_STYLE_OF = {"score": _SCORE, "rate": _RATE}


def tie_break_notes(document: dict) -> list[str]:
    rules = "；".join(f"{i}. {rule}" for i, rule in enumerate(document["tie_breaks_zh"], 1))
    return [
        f"排名规则：{rules}。",
        "本月既无问题也无巡查记录的社区为“未测评”，不排名、不计总分，不按满分对待。",
        "分数为精确值，表中显示两位小数；问题数不含已作废案件。",
    ]


def _about(document: dict) -> list[str]:
    checklist = document["checklist"]
    published = document.get("published")
    if published:
        state = f"已发布（第 {published['sequence']} 版，{published['created_at']}，发布人 {published['created_by']}）"
        if document.get("source") == "live":
            state += "；本表为重新计算结果"
        if published.get("differs"):
            state += f"；重新计算与发布结果不同的社区：{len(published['differences'])} 个"
    else:
        state = "未发布（实时计算）"
    coverage = document["coverage"]
    return [
        f"月份：{document['month']}（{document['timezone']} 当地时间）",
        f"测评体系：{checklist['label']}（版本 {checklist['id']}，{checklist['effective_month']} 起施行；"
        f"实地测评 {checklist['field_total']} 分，整改落实 {checklist['rectification_total']} 分）",
        f"状态：{state}",
        f"测评覆盖：{coverage['inspected']} / {coverage['communities']} 个社区",
        f"红榜：{'、'.join(document['red_list']) or '无'}；黑榜：{'、'.join(document['black_list']) or '无'}",
        *tie_break_notes(document),
    ]


def _table(wb: _Workbook, title: str, columns, rows: list[dict], notes=()) -> _Sheet:
    sheet = wb.sheet(title, [c[0] for c in columns])
    styles = [_STYLE_OF.get(c[2], 0) for c in columns]
    for row in rows:
        sheet.add([_value(row, key, kind) for _h, key, kind in columns], styles)
    sheet.notes = list(notes)
    return sheet


def _deductions(wb: _Workbook, document: dict, base_url: str) -> None:
    """扣分明细: one row per deduction, rendered as one string each (this sheet is nearly all the cells).

    The same cells as ``_Sheet.add`` would write; what repeats across rows (a community's code and name,
    an item with its points and multipliers) is escaped and measured once.
    """
    sheet = wb.sheet("扣分明细", DEDUCTION_HEADERS)
    names = {c["code"]: c["name"] for c in document["communities"]}
    api = _escape_xml(base_url + PATHS["report_api"].removesuffix("{id}"))
    web = _escape_xml(base_url + PATHS["report"].removesuffix("{id}"))
    texts: dict = {}  # value → (inline string XML, width)

    def text(value) -> tuple[str, int] | None:
        if value is None or value == "":
            return None
        known = texts.get(value)
        if known is None:
            known = texts[value] = (_text(str(value)), _width(value))
        return known

    def number(value: str | None) -> tuple[str, int]:
        """A decimal string as a number cell's content and its width (two places shown)."""
        known = texts.get(("n", value))
        if known is None:
            d = Decimal(value)
            known = texts[("n", value)] = (f"<v>{d:f}</v>", _width(f"{d:.2f}"))
        return known

    fixed: dict = {}  # the cells D..J and L..N of a deduction, by their values
    n = 2
    rows = []
    max_rid = 0
    for code, breakdown in document["breakdowns"].items():
        code_xml, code_w = text(code) or ("", 0)
        name_xml, name_w = text(names.get(code)) or ("", 0)
        sheet.fit(0, code_w)
        sheet.fit(1, name_w)
        for d in breakdown["deductions"]:
            key = (
                d["item_code"],
                d["item_name_zh"],
                d["category_code"],
                d["instances"],
                d["points"],
                d["found_by"],
                d["found_by_multiplier"],
                d["repeat_multiplier"],
                d["amount"],
                d["excluded"],
            )
            cells = fixed.get(key)
            if cells is None:
                item_code, item_name, category, instances, points, found_by, fbm, rm, amount, excluded = key
                parts = [
                    text(item_code),
                    text(item_name),
                    text(category),
                    (f"<v>{instances}</v>", _width(instances)) if instances is not None else None,
                    number(points) if points is not None else None,
                    text(FOUND_BY_ZH.get(found_by, found_by)),
                    number(fbm) if fbm is not None else None,
                    number(rm) if rm is not None else None,
                    number(amount) if amount is not None else None,
                    text(EXCLUDED_ZH.get(excluded, excluded)) if excluded else None,
                ]
                for column, part in zip((3, 4, 5, 6, 7, 8, 9, 11, 12, 13), parts, strict=True):
                    if part is not None:
                        sheet.fit(column, part[1])
                # Templates with {n} for the row number; a string part is t="inlineStr".
                cols = ("D", "E", "F", "G", "H", "I", "J", "L", "M", "N")
                rendered = []
                for col, part in zip(cols, parts, strict=True):
                    if part is None:
                        rendered.append("")
                    elif part[0].startswith("<is>"):
                        rendered.append(f'<c r="{col}{{n}}" t="inlineStr">{part[0]}</c>')
                    else:
                        rendered.append(f'<c r="{col}{{n}}">{part[0]}</c>')
                cells = fixed[key] = ("".join(rendered[:7]), "".join(rendered[7:]))
            head, tail = cells
            rid = d["report_id"]
            repeat_of = d["repeat_of"]
            if rid > max_rid:
                max_rid = rid
            rows.append(
                f'<row r="{n}">'
                + (f'<c r="A{n}" t="inlineStr">{code_xml}</c>' if code_xml else "")
                + (f'<c r="B{n}" t="inlineStr">{name_xml}</c>' if name_xml else "")
                + f'<c r="C{n}"><v>{rid}</v></c>'
                + head.replace("{n}", str(n))
                + (f'<c r="K{n}"><v>{repeat_of}</v></c>' if repeat_of is not None else "")
                + tail.replace("{n}", str(n))
                + f'<c r="O{n}" t="inlineStr"><is><t>{api}{rid}</t></is></c>'
                f'<c r="P{n}" t="inlineStr"><is><t>{web}{rid}</t></is></c></row>'
            )
            if repeat_of is not None:
                sheet.fit(10, _width(repeat_of))
            n += 1
    if rows:
        sheet.fit(2, _width(max_rid))
        sheet.fit(14, _width(base_url + PATHS["report_api"].format(id=max_rid)))
        sheet.fit(15, _width(base_url + PATHS["report"].format(id=max_rid)))
    sheet.rows = rows


def to_xlsx(document: dict, *, base_url: str = "") -> bytes:
    """The workbook as bytes; report links are ``base_url`` + /api/v1/reports/ID and /reports/ID."""
    with collector_paused():  # a few hundred thousand rows and breakdowns, none of them in a cycle
        return _xlsx(document, base_url)


def _xlsx(document: dict, base_url: str) -> bytes:
    wb = _Workbook()
    notes = tie_break_notes(document)
    month = document["month"]
    linked = [{**c, "link": community_link(base_url, month, c["code"])} for c in document["communities"]]
    _table(wb, "社区排名", [*COMMUNITY_COLUMNS, (LINK_HEADER, "link", "text")], linked, notes)
    _table(
        wb,
        "街道排名",
        SUBDISTRICT_COLUMNS,
        document["subdistricts"],
        ["街道得分为其已测评社区总分的平均值；并列时依次比较超期未结数、按期结案率、问题数、街道编码。"],
    )
    _deductions(wb, document, base_url)
    indicator_rows = [{"level": "社区", **c} for c in document["communities"]]
    indicator_rows += [{"level": "街道", **s} for s in document["subdistricts"]]
    indicator_rows.append({"level": "全区", "code": "", "name": "合计", **document["indicators"]})
    _table(
        wb,
        "指标",
        INDICATOR_COLUMNS,
        indicator_rows,
        [
            "结案率 = 月末前结案数 / 应结案数；按期结案率 = 按期整改并验收数 / 应结案数；"
            "返工率 = 退回过的案件 / 进入验收的案件；应结案 = 整改期限在本月且已到期（不含作废、挂账）。"
        ],
    )
    about = wb.sheet("说明", ["说明"])
    for line in _about(document):
        about.add([line])
    about.add([f"在线查看：{base_url}{PATHS['ranking'].format(month=month)}"])
    return wb.save()


def to_csv(document: dict, *, base_url: str = "") -> bytes:
    """The community ranking as CSV, UTF-8 with BOM, exact decimals, Chinese headers, each community's link
    last; text never a formula."""
    month = document["month"]
    rows = [[*(c[0] for c in COMMUNITY_COLUMNS), LINK_HEADER]]
    rows += [
        [
            *(_value(row, key, kind) for _h, key, kind in COMMUNITY_COLUMNS),
            community_link(base_url, month, row["code"]),
        ]
        for row in document["communities"]
    ]
    return ("\ufeff" + csvcells.write(rows)).encode("utf-8")


def to_json(document: dict, *, base_url: str | None = None) -> bytes:
    """The document as JSON; with a ``base_url`` (even ''), its ``links`` (``links_of``) as a last member."""
    if base_url is not None:
        document = {**document, "links": links_of(document, base_url)}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
