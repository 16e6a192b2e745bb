"""The checklist as an XLSX workbook, as offices keep their 测评体系 in Excel: exported, edited, uploaded.

Two sheets. 测评体系 has a header row and one row per item, its category's columns repeated on each row
(an office sorts and filters it like any table):

    类别代码 category | 类别 category_name_zh | Category category_name_en | 权重 weight |
    仅适用点位 applies_only_to | 检查项代码 code | 检查项 name_zh | Item name_en | 点位类型 spot_types |
    严重程度 severity | 每处扣分 points | 月上限 cap | 标准代码 std

设置 has a row per setting: its key (``scoring.found_by.city``, ``severity_deadlines.S2``, ``label``), the
value and a note. Columns are found by their header (the Chinese label, the key, or both as exported), so
they may be reordered; lists (spot types, std codes) are written "RES, ALY". Reading gives the same data
as the YAML file, validated by the same models (:mod:`fieldcheck.checklist.files`); each problem names
its sheet and row.
"""

from __future__ import annotations

import io
import re
import warnings
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from ..datafiles import Path, Place, Source
from .files import ChecklistError, checklist_from_source
from .spec import Checklist, checklist_to_dict

__all__ = ["ITEMS_SHEET", "SETTINGS_SHEET", "checklist_from_xlsx", "checklist_to_xlsx", "is_xlsx"]

ITEMS_SHEET = "测评体系"
SETTINGS_SHEET = "设置"

#: (key, Chinese label) of each column of the items sheet; the first five belong to the category.
ITEM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("category", "类别代码"),
    ("category_name_zh", "类别"),
    ("category_name_en", "Category"),
    ("weight", "权重"),
    ("applies_only_to", "仅适用点位"),
    ("code", "检查项代码"),
    ("name_zh", "检查项"),
    ("name_en", "Item"),
    ("spot_types", "点位类型"),
    ("severity", "严重程度"),
    ("points", "每处扣分"),
    ("cap", "月上限"),
    ("std", "标准代码"),
)
_CATEGORY_FIELDS = {
    "category": "code",
    "category_name_zh": "name_zh",
    "category_name_en": "name_en",
    "weight": "weight",
    "applies_only_to": "applies_only_to",
}
_LISTS = {"applies_only_to", "spot_types", "std"}
_SETTING_NOTES = {
    "label": "版本名称",
    "effective_month": "起施行月份 (YYYY-MM)",
    "scoring.field_total": "实地测评总分",
    "scoring.rectification_total": "整改落实总分",
    "scoring.rectification.on_time": "按期结案率权重",
    "scoring.rectification.closure": "结案率权重",
    "scoring.rectification.rework": "返工率权重",
    "scoring.found_by.third_party": "第三方发现 系数",
    "scoring.found_by.city": "市级发现 系数",
    "scoring.found_by.district": "区级发现 系数",
    "scoring.found_by.subdistrict": "街道自查 系数",
    "scoring.repeat.window_days": "回潮 天数",
    "scoring.repeat.radius_m": "回潮 距离（米）",
    "scoring.repeat.multiplier": "回潮 系数",
    "scoring.red_list_size": "红榜人数",
    "scoring.black_list_size": "黑榜人数",
    "scoring.black_list_below": "低于此分列入黑榜",
}
#: Problems in the settings come before those in the items (the order of the YAML file).
SETTINGS_SHEET_INDEX, ITEMS_SHEET_INDEX = 0, 1
_SPLIT = re.compile(r"[,，、;；\s]+")
MAX_ROWS = 5000
MAX_COLUMNS = 40


def is_xlsx(raw: bytes) -> bool:
    """Whether the bytes are a zip package (XLSX), decided by content, never by the file's name."""
    return raw[:4] == b"PK\x03\x04"


# ---------------------------------------------------------------------------------------------------
# Writing


def _flat(data: dict, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        if key == "categories":
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _flat(value, name + ".")
        else:
            out.append((name, value))
    return out


def _cell(value: Any) -> Any:
    return ", ".join(value) if isinstance(value, list) else value


def checklist_to_xlsx(checklist: Checklist) -> bytes:
    """The checklist as a workbook in the layout above (numbers as numbers, with two decimals shown)."""
    data = checklist_to_dict(checklist, number=lambda value: float(value))
    book = Workbook()
    items = book.active
    items.title = ITEMS_SHEET
    items.append([f"{zh} {key}" for key, zh in ITEM_COLUMNS])
    for category in data["categories"]:
        for item in category["items"]:
            row = {**{column: category[field] for column, field in _CATEGORY_FIELDS.items()}, **item}
            items.append([_cell(row[key]) for key, _zh in ITEM_COLUMNS])
    settings = book.create_sheet(SETTINGS_SHEET)
    settings.append(["设置 key", "值 value", "说明 note"])
    for key, value in _flat(data):
        settings.append([key, value, _SETTING_NOTES.get(key, "")])
    for sheet in (items, settings):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    for letter, width in zip(
        "ABCDEFGHIJKLM", (10, 12, 18, 8, 12, 12, 28, 30, 16, 10, 10, 10, 12), strict=True
    ):
        items.column_dimensions[letter].width = width
    settings.column_dimensions["A"].width = 32
    settings.column_dimensions["C"].width = 24
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------
# Reading


def _value(value: Any, key: str) -> Any:
    """A cell's value as the file format has it: text stripped, whole floats as integers, lists split."""
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date) and key == "effective_month":
        value = f"{value.year:04d}-{value.month:02d}"
    if key in _LISTS and value is not None:
        value = [part for part in _SPLIT.split(str(value)) if part]
    return value


def _header_keys(header: tuple, known: list[tuple[str, str]]) -> dict[int, str]:
    """Column index → key, for each header cell naming a known column (by label, key or both)."""
    out = {}
    for index, text in enumerate(header):
        words = str(text or "").split()
        for key, zh in known:
            if words and (words[-1] == key or words[0] == zh):
                out[index] = key
                break
    return out


def checklist_from_xlsx(raw: bytes, *, effective_month: str | None = None) -> Checklist:
    """Read a workbook in the exported layout; :class:`ChecklistError` names every problem's sheet and row."""
    # A workbook is a zip of XML parts read by openpyxl: broken bytes fail deep inside it in many ways
    # (zip, XML, KeyError for a missing part, ...), each of which is a file that cannot be read.
    try:
        with warnings.catch_warnings():  # e.g. "no stylesheet": nothing the office can act on
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:
        raise ChecklistError([f"not an XLSX workbook that can be read ({type(exc).__name__})"]) from None
    try:
        names = book.sheetnames
        missing = [name for name in (ITEMS_SHEET, SETTINGS_SHEET) if name not in names]
        if missing:
            raise ChecklistError([f"the workbook has no sheet named {name}" for name in missing])
        source = Source({}, {}, problems=[])
        _read_settings(book[SETTINGS_SHEET], source)
        _read_items(book[ITEMS_SHEET], source)
    except ChecklistError:
        raise
    except Exception as exc:
        raise ChecklistError([f"not an XLSX workbook that can be read ({type(exc).__name__})"]) from None
    finally:
        book.close()
    return checklist_from_source(source, effective_month=effective_month)


def _rows(sheet: Any) -> list[tuple[int, tuple]]:
    rows = []
    for number, row in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
        if number > MAX_ROWS:
            raise ChecklistError([f"sheet {sheet.title} has more than {MAX_ROWS} rows"])
        if any(cell is not None and str(cell).strip() for cell in row):
            rows.append((number, row))
    return rows


def _read_settings(sheet: Any, source: Source) -> None:
    rows = _rows(sheet)
    index = SETTINGS_SHEET_INDEX
    for number, row in rows[1:]:
        key = str(row[0]).strip() if row and row[0] is not None else ""
        value = row[1] if len(row) > 1 else None
        if not key:
            continue
        path: Path = tuple(key.split("."))
        target = source.data
        for step in path[:-1]:
            nested = target.setdefault(step, {})
            if not isinstance(nested, dict):
                break
            target = nested
        else:
            target[path[-1]] = _value(value, str(path[-1]))
        for end in range(1, len(path) + 1):
            source.places.setdefault(path[:end], Place(sheet=sheet.title, sheet_index=index, row=number))


def _read_items(sheet: Any, source: Source) -> None:
    rows = _rows(sheet)
    if not rows:
        source.problems.append((("categories",), f"sheet {ITEMS_SHEET} is empty"))
        return
    header_row, header = rows[0]
    columns = _header_keys(header, list(ITEM_COLUMNS))
    lost = [f"{zh} {key}" for key, zh in ITEM_COLUMNS if key not in columns.values() and key != "std"]
    if lost:
        where = Place(sheet=sheet.title, sheet_index=ITEMS_SHEET_INDEX, row=header_row)
        source.places[("categories",)] = where
        source.problems.append((("categories",), f"sheet {ITEMS_SHEET} has no column {', '.join(lost)}"))
        return
    categories: list[dict] = []
    by_code: dict[Any, int] = {}
    source.data["categories"] = categories
    for number, row in rows[1:]:
        cells = {key: _value(row[i] if i < len(row) else None, key) for i, key in columns.items()}
        place = Place(sheet=sheet.title, sheet_index=ITEMS_SHEET_INDEX, row=number)
        code = cells.get("category")
        ci = by_code.get(code) if code is not None else None
        if ci is None:
            ci = len(categories)
            by_code.setdefault(code, ci)
            category = {field: cells[c] for c, field in _CATEGORY_FIELDS.items() if cells.get(c) is not None}
            categories.append({**category, "items": []})
            for key in (*_CATEGORY_FIELDS.values(), "items"):
                source.places[("categories", ci, key)] = place
            source.places[("categories", ci)] = place
        else:
            _same_category(categories[ci], cells, ci, source)
        item = {key: cells[key] for key, _zh in ITEM_COLUMNS[5:] if cells.get(key) is not None}
        ii = len(categories[ci]["items"])
        categories[ci]["items"].append(item)
        source.places[("categories", ci, "items", ii)] = place
        for key, _zh in ITEM_COLUMNS[5:]:
            source.places[("categories", ci, "items", ii, key)] = place


def _same_category(category: dict, cells: dict, ci: int, source: Source) -> None:
    """A later row of a category must repeat its first row's category columns."""
    for column, field in _CATEGORY_FIELDS.items():
        if cells.get(column) != category.get(field):
            row = source.places[("categories", ci)].row
            source.problems.append(
                (
                    ("categories", ci, "items", len(category["items"])),
                    f"category {category.get('code')}: {field} is {cells.get(column)!r} here "
                    f"but {category.get(field)!r} on row {row}",
                )
            )
