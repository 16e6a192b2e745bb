"""The checklist as an XLSX workbook: exported, edited in a spreadsheet, read back; problems name their row."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from fieldcheck.checklist.files import ChecklistError, parse_checklist
from fieldcheck.checklist.sheet import (
    ITEMS_SHEET,
    SETTINGS_SHEET,
    checklist_from_xlsx,
    checklist_to_xlsx,
    is_xlsx,
)
from fieldcheck.checklist.spec import DEFAULT_CHECKLIST_PATH, Checklist, find_item


@pytest.fixture(scope="module")
def default() -> Checklist:
    return parse_checklist(DEFAULT_CHECKLIST_PATH.read_bytes())


def edited(raw: bytes, change) -> bytes:
    book = load_workbook(io.BytesIO(raw))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row_of(sheet, code: str) -> int:
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 6).value == code)


def test_export_reads_back_as_the_same_checklist(default: Checklist) -> None:
    raw = checklist_to_xlsx(default)
    assert is_xlsx(raw) and not is_xlsx(DEFAULT_CHECKLIST_PATH.read_bytes())
    assert checklist_from_xlsx(raw) == default
    book = load_workbook(io.BytesIO(raw))
    assert book.sheetnames == [ITEMS_SHEET, SETTINGS_SHEET]
    items = book[ITEMS_SHEET]
    assert items.cell(1, 1).value == "类别代码 category"
    assert items.max_row == 1 + len(default.items)
    env02 = row_of(items, "ENV-02")
    assert items.cell(env02, 11).value == 0.5 and items.cell(env02, 9).value == "RES"


def test_a_value_changed_in_the_sheet_is_read(default: Checklist) -> None:
    def change(book):
        items = book[ITEMS_SHEET]
        items.cell(row_of(items, "ENV-02"), 11).value = 1
        items.cell(row_of(items, "ENV-03"), 9).value = "RES、ALY"

    parsed = checklist_from_xlsx(edited(checklist_to_xlsx(default), change), effective_month="2026-02")
    assert find_item(parsed, "ENV-02").points == Decimal("1.00")
    assert find_item(parsed, "ENV-03").spot_types == ("RES", "ALY")
    assert parsed.effective_month == "2026-02"


def test_reordered_columns_are_found_by_header(default: Checklist) -> None:
    def change(book):
        items = book[ITEMS_SHEET]
        items.insert_cols(1)
        for r in range(1, items.max_row + 1):
            items.cell(r, 1).value = items.cell(r, 14).value
            items.cell(r, 14).value = None

    assert checklist_from_xlsx(edited(checklist_to_xlsx(default), change)) == default


def test_problems_name_their_sheet_and_row(default: Checklist) -> None:
    def change(book):
        items, settings = book[ITEMS_SHEET], book[SETTINGS_SHEET]
        items.cell(row_of(items, "PRK-01"), 10).value = "S9"
        items.cell(row_of(items, "ENV-03"), 4).value = 99  # the category's weight differs from its first row
        settings.cell(3, 2).value = "soon"

    with pytest.raises(ChecklistError) as info:
        checklist_from_xlsx(edited(checklist_to_xlsx(default), change))
    items = load_workbook(io.BytesIO(checklist_to_xlsx(default)))[ITEMS_SHEET]
    assert [str(p) for p in info.value.problems] == [
        "sheet 设置 row 3: effective_month must look like 2026-01, not 'soon'",
        f"sheet 测评体系 row {row_of(items, 'ENV-03')}: category ENV: weight is 99 here but 25 on row 2",
        f'sheet 测评体系 row {row_of(items, "PRK-01")}: item PRK-01: unknown severity "S9" (use S0 to S4)',
    ]


@pytest.mark.parametrize("part", ["xl/workbook.xml", "xl/worksheets/sheet1.xml", "[Content_Types].xml"])
@pytest.mark.parametrize("junk", [b"<not xml", b"", None])
def test_a_broken_part_of_the_workbook_is_a_problem_not_a_crash(default: Checklist, part, junk) -> None:
    with zipfile.ZipFile(io.BytesIO(checklist_to_xlsx(default))) as good:
        parts = {name: good.read(name) for name in good.namelist()}
    if junk is None:
        del parts[part]
    else:
        parts[part] = junk
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as broken:
        for name, data in parts.items():
            broken.writestr(name, data)
    with pytest.raises(ChecklistError, match="not an XLSX workbook that can be read|no sheet named 测评体系"):
        checklist_from_xlsx(out.getvalue())


def test_not_a_workbook_or_missing_sheets(default: Checklist) -> None:
    with pytest.raises(ChecklistError, match="not an XLSX workbook"):
        checklist_from_xlsx(b"PK\x03\x04 not really a zip")

    def drop(book):
        del book[SETTINGS_SHEET]

    with pytest.raises(ChecklistError, match="no sheet named 设置"):
        checklist_from_xlsx(edited(checklist_to_xlsx(default), drop))
