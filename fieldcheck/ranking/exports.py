"""The ranking document as files the office works in (pure: document in, bytes out).

XLSX (openpyxl, write-only so 200,000 deductions stay fast): sheets 社区排名 (community ranking), 街道排名
(sub-district ranking), 扣分明细 (every deduction, with links to the report in the API and in the web UI),
指标 (indicators per community, sub-district and the whole district), and 说明 (month, checklist version,
publication, the tie-break rules). Chinese headers, the header row frozen, widths fitted to the content,
numbers as numbers (scores exact, shown with two decimals; rates as percentages). The ranking sheets also
state the tie-break rules below the table.

CSV: the community ranking, UTF-8 with a byte-order mark so Excel opens it as UTF-8; exact decimals.
JSON: the document itself, UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"

FOUND_BY_ZH = {"third_party": "第三方", "city": "市级", "district": "区级", "subdistrict": "街道自查"}
EXCLUDED_ZH = {"category_not_applicable": "社区无此类点位，不计分", "item_not_in_checklist": "检查项不在本月测评体系中"}

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
    *[c for c in COMMUNITY_COLUMNS if c[1] in ("reports", "due", "closed", "on_time", "overdue_open", "rework",
                                               "closure_rate", "on_time_rate", "rework_rate", "repeats")],
]
INDICATOR_COLUMNS = [
    ("层级", "level", "text"),
    ("编码", "code", "text"),
    ("名称", "name", "text"),
    *[c for c in COMMUNITY_COLUMNS if c[1] in ("reports", "due", "closed", "on_time", "closure_rate", "on_time_rate",
                                               "rework_rate", "overdue_open", "mean_hours_to_rectify", "repeats")],
]
DEDUCTION_HEADERS = [
    "社区编码", "社区名称", "案件编号", "检查项编码", "检查项名称", "类别", "处数", "每处扣分", "发现层级", "层级系数",
    "回潮（前案编号）", "回潮系数", "扣分（封顶前）", "不计分原因", "案件接口链接", "案件页面链接",
]


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


class _Sheet:
    """A write-only sheet whose widths are fitted from all its rows (so rows are buffered, then written)."""

    def __init__(self, wb: Workbook, title: str, headers: list[str]):
        self.ws = wb.create_sheet(title)
        self.headers = headers
        self.widths = [_width(h) for h in headers]
        self.rows: list[list] = []

    def add(self, values: list, kinds: list[str] | None = None) -> None:
        for i, v in enumerate(values):
            shown = f"{v:.2f}" if isinstance(v, Decimal) else v
            if i < len(self.widths):
                self.widths[i] = max(self.widths[i], _width(shown))
        self.rows.append([values, kinds])

    def write(self, notes: list[str] = ()) -> None:
        for i, width in enumerate(self.widths, 1):
            self.ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 6), 60)
        self.ws.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for h in self.headers:
            cell = WriteOnlyCell(self.ws, h)
            cell.font = bold
            header.append(cell)
        self.ws.append(header)
        for values, kinds in self.rows:
            if kinds is None:
                self.ws.append(values)
                continue
            out = []
            for v, kind in zip(values, kinds, strict=True):
                if kind in ("score", "rate") and v is not None:
                    cell = WriteOnlyCell(self.ws, v)
                    cell.number_format = "0.00" if kind == "score" else "0.00%"
                    out.append(cell)
                else:
                    out.append(v)
            self.ws.append(out)
        if notes:
            self.ws.append([])
            for note in notes:
                self.ws.append([note])


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


def _table(wb: Workbook, title: str, columns, rows: list[dict], notes=()) -> None:
    sheet = _Sheet(wb, title, [c[0] for c in columns])
    kinds = [c[2] for c in columns]
    for row in rows:
        sheet.add([_value(row, key, kind) for _h, key, kind in columns], kinds)
    sheet.write(list(notes))


def to_xlsx(document: dict, *, base_url: str = "") -> bytes:
    """The workbook as bytes; report links are ``base_url`` + /api/v1/reports/ID and /reports/ID."""
    wb = Workbook(write_only=True)
    notes = tie_break_notes(document)
    _table(wb, "社区排名", COMMUNITY_COLUMNS, document["communities"], notes)
    _table(wb, "街道排名", SUBDISTRICT_COLUMNS, document["subdistricts"],
           ["街道得分为其已测评社区总分的平均值；并列时依次比较超期未结数、按期结案率、问题数、街道编码。"])

    deductions = _Sheet(wb, "扣分明细", DEDUCTION_HEADERS)
    names = {c["code"]: c["name"] for c in document["communities"]}
    for code, breakdown in document["breakdowns"].items():
        for d in breakdown["deductions"]:
            rid = d["report_id"]
            deductions.add([
                code, names.get(code), rid, d["item_code"], d["item_name_zh"], d["category_code"], d["instances"],
                _number(d["points"]), FOUND_BY_ZH.get(d["found_by"], d["found_by"]), _number(d["found_by_multiplier"]),
                d["repeat_of"], _number(d["repeat_multiplier"]), _number(d["amount"]),
                EXCLUDED_ZH.get(d["excluded"], d["excluded"]) if d["excluded"] else None,
                f"{base_url}/api/v1/reports/{rid}", f"{base_url}/reports/{rid}",
            ])
    deductions.write()

    indicator_rows = [{"level": "社区", **c} for c in document["communities"]]
    indicator_rows += [{"level": "街道", **s} for s in document["subdistricts"]]
    indicator_rows.append({"level": "全区", "code": "", "name": "合计", **document["indicators"]})
    _table(wb, "指标", INDICATOR_COLUMNS, indicator_rows,
           ["结案率 = 月末前结案数 / 应结案数；按期结案率 = 按期整改并验收数 / 应结案数；"
            "返工率 = 退回过的案件 / 进入验收的案件；应结案 = 整改期限在本月且已到期（不含作废、挂账）。"])

    about = _Sheet(wb, "说明", ["说明"])
    for line in _about(document):
        about.add([line])
    about.write()

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_csv(document: dict) -> bytes:
    """The community ranking as CSV, UTF-8 with BOM, exact decimals, Chinese headers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c[0] for c in COMMUNITY_COLUMNS])
    for row in document["communities"]:
        values = []
        for _h, key, kind in COMMUNITY_COLUMNS:
            value = _value(row, key, kind)
            values.append("" if value is None else str(value))
        writer.writerow(values)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_json(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
