"""The ranking document as files the office works in (pure: document in, bytes out).

XLSX: sheets 社区排名 (community ranking), 街道排名 (sub-district ranking), 扣分明细 (every deduction, with
links to the report in the API and in the web UI), 指标 (indicators per community, sub-district and the
whole district), and 说明 (month, checklist version, publication, the tie-break rules). Chinese headers in
bold, the header row frozen, widths fitted to the content, numbers as numbers (scores exact, shown with two
decimals; rates as percentages). The ranking sheets also state the tie-break rules below the table.

The workbook is written by ``spreadsheet`` (SpreadsheetML text, not openpyxl: see there why); the
deduction sheet, nearly all the cells, by ``deduction_sheet``. Links to the app are real hyperlinks.

Formal parts (``documents.formal.Formal``, given by the caller): 说明 starts with the issuing body, the
document number (given when the month is published) and the local date; the publisher is named by display
name; every time is the city's local time, never a UTC timestamp.

Links: every export links to the app by ``base_url`` (``fieldcheck.links.public_base``: FIELDCHECK_PUBLIC_URL,
or the request's own address) followed by the app's paths (``PATHS``, checked against the routes by the
tests): the deduction sheet to each report, the ranking sheet and CSV to each community's page, the JSON
(when a base is given) in a ``links`` member beside the document.

CSV: the community ranking, UTF-8 with a byte-order mark so Excel opens it as UTF-8; exact decimals; text
cells that a spreadsheet would take for a formula guarded (``fieldcheck.csvcells``).
JSON: the document itself, UTF-8.
"""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from .. import csvcells
from ..calendar import local_text
from ..documents.formal import Formal, chinese_date
from . import deduction_sheet
from .document import collector_paused
from .spreadsheet import RATE, SCORE, Sheet, Workbook

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


_STYLE_OF = {"score": SCORE, "rate": RATE}


def tie_break_notes(document: dict) -> list[str]:
    rules = "；".join(f"{i}. {rule}" for i, rule in enumerate(document["tie_breaks_zh"], 1))
    return [
        f"排名规则：{rules}。",
        "本月既无问题也无巡查记录的社区为“未测评”，不排名、不计总分，不按满分对待。",
        "分数为精确值，表中显示两位小数；问题数不含已作废案件。",
    ]


def named(document: dict, codes: list[str]) -> str:
    """Communities by name and code, as the red and black lists print them: 王城社区（C001）、…"""
    names = {c["code"]: c["name"] for c in document["communities"]}
    return "、".join(f"{names[code]}（{code}）" if names.get(code) else code for code in codes) or "无"


def _formal_lines(document: dict, formal: Formal | None) -> list[str]:
    if formal is None:
        return []
    lines = [f"发文机关：{formal.issuer or '（未设置）'}"]
    if formal.number:
        lines.append(f"文号：{formal.number}")
    elif not document.get("published"):
        lines.append("文号：（发布时编号）")
    if formal.dated is not None:
        lines.append(f"日期：{chinese_date(formal.dated)}")
    return lines


def _state(document: dict, formal: Formal | None) -> str:
    published = document.get("published")
    if not published:
        return "未发布（实时计算）"
    when = local_text(published["created_at"], ZoneInfo(document["timezone"]))
    who = (formal.publisher if formal and formal.publisher else None) or published["created_by"]
    state = f"已发布（第 {published['sequence']} 版，{when}，发布人 {who}）"
    if document.get("source") == "live":
        state += "；本表为重新计算结果"
    if published.get("differs"):
        state += f"；重新计算与发布结果不同的社区：{len(published['differences'])} 个"
    return state


def _about(document: dict, formal: Formal | None = None) -> list[str]:
    checklist = document["checklist"]
    coverage = document["coverage"]
    return [
        *_formal_lines(document, formal),
        f"月份：{document['month']}（{document['timezone']} 当地时间）",
        f"测评体系：{checklist['label']}（版本 {checklist['id']}，{checklist['effective_month']} 起施行；"
        f"实地测评 {checklist['field_total']} 分，整改落实 {checklist['rectification_total']} 分）",
        f"状态：{_state(document, formal)}",
        f"测评覆盖：{coverage['inspected']} / {coverage['communities']} 个社区",
        f"红榜：{named(document, document['red_list'])}；黑榜：{named(document, document['black_list'])}",
        *tie_break_notes(document),
    ]


def _table(wb: Workbook, title: str, columns, rows: list[dict], notes=()) -> Sheet:
    sheet = wb.sheet(title, [c[0] for c in columns])
    styles = [_STYLE_OF.get(c[2], 0) for c in columns]
    for row in rows:
        sheet.add([_value(row, key, kind) for _h, key, kind in columns], styles)
    sheet.notes = list(notes)
    return sheet


def to_xlsx(document: dict, *, base_url: str = "", formal: Formal | None = None) -> bytes:
    """The workbook as bytes; report links are ``base_url`` + /api/v1/reports/ID and /reports/ID."""
    with collector_paused():  # a few hundred thousand rows and breakdowns, none of them in a cycle
        return _xlsx(document, base_url, formal)


def _xlsx(document: dict, base_url: str, formal: Formal | None) -> bytes:
    wb = Workbook()
    notes = tie_break_notes(document)
    month = document["month"]
    linked = [{**c, "link": community_link(base_url, month, c["code"])} for c in document["communities"]]
    ranking = _table(wb, "社区排名", [*COMMUNITY_COLUMNS, (LINK_HEADER, "link", "text")], linked, notes)
    link_column = ranking.columns[-1]
    for n, row in enumerate(linked, 2):
        ranking.link(f"{link_column}{n}", row["link"])
    _table(
        wb,
        "街道排名",
        SUBDISTRICT_COLUMNS,
        document["subdistricts"],
        ["街道得分为其已测评社区总分的平均值；并列时依次比较超期未结数、按期结案率、问题数、街道编码。"],
    )
    deductions = deduction_sheet.write(wb, document, base_url, PATHS)
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
    for line in _about(document, formal):
        about.add([line])
    if deductions.unlinked:
        about.add(
            [
                f"扣分明细的链接超过 Excel 每张表 {len(deductions.links)} 个超链接的上限，其余 {deductions.unlinked} 个为文本。"
            ]
        )
    online = f"{base_url}{PATHS['ranking'].format(month=month)}"
    about.add([f"在线查看：{online}"])
    about.link(f"A{about.next_row - 1}", online)
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
