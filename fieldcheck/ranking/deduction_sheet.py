"""扣分明细, the XLSX's deduction sheet: one row per deduction, each rendered as one string (pure).

This sheet is nearly all the cells of a month's workbook (200,000 deductions are three million cells), so
what repeats across rows (a community's code and name, an item with its points and multipliers) is escaped
and measured once, and each row is a template filled with the row number. The cells are the ones
``spreadsheet.Sheet.add`` would write. The two report links of a row (API and page) are hyperlinks, up to
Excel's limit per sheet (``spreadsheet.MAX_LINKS``), the page link first.
"""

from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape as _escape_xml

from . import spreadsheet
from .spreadsheet import Sheet, Workbook, text, width

HEADERS = [
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
FOUND_BY_ZH = {"third_party": "第三方", "city": "市级", "district": "区级", "subdistrict": "街道自查"}
EXCLUDED_ZH = {
    "category_not_applicable": "社区无此类点位，不计分",
    "item_not_in_checklist": "检查项不在本月测评体系中",
}
# The deduction's fields that repeat across reports, and the columns (with their indexes) they fill.
_FIXED_KEYS = (
    "item_code",
    "item_name_zh",
    "category_code",
    "instances",
    "points",
    "found_by",
    "found_by_multiplier",
    "repeat_multiplier",
    "amount",
    "excluded",
)
_FIXED_COLUMNS = ("D", "E", "F", "G", "H", "I", "J", "L", "M", "N")
_FIXED_INDEXES = (3, 4, 5, 6, 7, 8, 9, 11, 12, 13)
# The row number's place in a row template: a character no cell text can hold (spreadsheet.text drops it).
ROW = "\x00"


class _Cells:
    """Cell contents measured once per distinct value: (inner XML, display width)."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.known: dict = {}
        self.fixed: dict = {}  # the cells D..J and L..N of a deduction, by their values

    def text(self, value) -> tuple[str, int] | None:
        if value is None or value == "":
            return None
        known = self.known.get(value)
        if known is None:
            known = self.known[value] = (text(str(value)), width(value))
        return known

    def number(self, value: str | None) -> tuple[str, int] | None:
        """A decimal string as a number cell's content and its width (two places shown)."""
        if value is None:
            return None
        known = self.known.get(("n", value))
        if known is None:
            d = Decimal(value)
            known = self.known[("n", value)] = (f"<v>{d:f}</v>", width(f"{d:.2f}"))
        return known

    def _parts(self, key: tuple) -> list:
        item_code, item_name, category, instances, points, found_by, fbm, rm, amount, excluded = key
        return [
            self.text(item_code),
            self.text(item_name),
            self.text(category),
            (f"<v>{instances}</v>", width(instances)) if instances is not None else None,
            self.number(points),
            self.text(FOUND_BY_ZH.get(found_by, found_by)),
            self.number(fbm),
            self.number(rm),
            self.number(amount),
            self.text(EXCLUDED_ZH.get(excluded, excluded)) if excluded else None,
        ]

    def fixed_cells(self, key: tuple) -> tuple[str, str]:
        """The cells D..J and L..N of a deduction (its ``_FIXED_KEYS`` values) as templates with ``ROW`` for
        the row number."""
        parts = self._parts(key)
        rendered = []
        for index, col, part in zip(_FIXED_INDEXES, _FIXED_COLUMNS, parts, strict=True):
            if part is None:
                rendered.append("")
                continue
            self.sheet.fit(index, part[1])
            kind = ' t="inlineStr"' if part[0].startswith("<is>") else ""
            rendered.append(f'<c r="{col}{ROW}"{kind}>{part[0]}</c>')
        cells = self.fixed[key] = ("".join(rendered[:7]), "".join(rendered[7:]))
        return cells


def write(wb: Workbook, document: dict, base_url: str, paths: dict) -> Sheet:
    """Add the deduction sheet of ``document`` to ``wb``; links are ``base_url`` + ``paths``."""
    sheet = wb.sheet("扣分明细", HEADERS)
    cells = _Cells(sheet)
    fixed = cells.fixed
    names = {c["code"]: c["name"] for c in document["communities"]}
    api_base = base_url + paths["report_api"].removesuffix("{id}")
    web_base = base_url + paths["report"].removesuffix("{id}")
    api, web = _escape_xml(api_base), _escape_xml(web_base)
    rows: list[str] = []
    max_rid = 0
    linking = len(sheet.links) < spreadsheet.MAX_LINKS
    for code, breakdown in document["breakdowns"].items():
        code_xml, code_w = cells.text(code) or ("", 0)
        name_xml, name_w = cells.text(names.get(code)) or ("", 0)
        sheet.fit(0, code_w)
        sheet.fit(1, name_w)
        for d in breakdown["deductions"]:
            n = len(rows) + 2
            rid, repeat_of = d["report_id"], d["repeat_of"]
            if rid > max_rid:
                max_rid = rid
            key = (  # _FIXED_KEYS, written out: this loop runs once per deduction
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
            head, tail = fixed.get(key) or cells.fixed_cells(key)
            if repeat_of is not None:
                sheet.fit(10, width(repeat_of))
            rows.append(
                f'<row r="{n}">'
                + (f'<c r="A{n}" t="inlineStr">{code_xml}</c>' if code_xml else "")
                + (f'<c r="B{n}" t="inlineStr">{name_xml}</c>' if name_xml else "")
                + f'<c r="C{n}"><v>{rid}</v></c>'
                + head.replace(ROW, str(n))
                + (f'<c r="K{n}"><v>{repeat_of}</v></c>' if repeat_of is not None else "")
                + tail.replace(ROW, str(n))
                + f'<c r="O{n}" t="inlineStr"><is><t>{api}{rid}</t></is></c>'
                f'<c r="P{n}" t="inlineStr"><is><t>{web}{rid}</t></is></c></row>'
            )
            if linking:
                sheet.link(f"P{n}", f"{web_base}{rid}")
                sheet.link(f"O{n}", f"{api_base}{rid}")
                linking = len(sheet.links) < spreadsheet.MAX_LINKS
            else:  # past Excel's limit: no address built for nothing
                sheet.unlinked += 2
    if rows:
        sheet.fit(2, width(max_rid))
        sheet.fit(14, width(base_url + paths["report_api"].format(id=max_rid)))
        sheet.fit(15, width(base_url + paths["report"].format(id=max_rid)))
    sheet.rows = rows
    return sheet
