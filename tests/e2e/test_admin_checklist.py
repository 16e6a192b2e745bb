"""Issue 15 in Chromium: the admin exports the checklist in force, changes a value in the workbook,
uploads it as next month's version, sees the differences, finds it in the audit log; then edits the
holiday calendar of next year in the form and sees it on the month grid."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from playwright.sync_api import expect

from fieldcheck.checklist.sheet import ITEMS_SHEET
from tests.e2e.conftest import login

DESK = {
    "viewport": {"width": 1280, "height": 900},
    "screen": {"width": 1280, "height": 900},
    "is_mobile": False,
}


def raise_points(path, code: str, points: float) -> bytes:
    book = load_workbook(path)
    sheet = book[ITEMS_SHEET]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 6).value == code)
    sheet.cell(row, 11).value = points
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_admin_loads_next_months_checklist_from_xlsx_and_edits_the_calendar(
    live_server, phone_factory, tmp_path
):
    page = phone_factory(**DESK)
    login(page, live_server.url, "admin")
    expect(page).to_have_url(f"{live_server.url}/admin")

    # The version in force, exported as a workbook, one value changed as an office would in Excel.
    page.locator("#admin-checklists").click()
    page.locator("table.checklist-versions tbody tr").first.locator("a").first.click()
    with page.expect_download() as download:
        page.locator("#export-xlsx").click()
    exported = tmp_path / "checklist.xlsx"
    download.value.save_as(exported)
    edited = tmp_path / "测评体系-next.xlsx"
    edited.write_bytes(raise_points(exported, "ENV-02", 1.5))

    # Uploaded as next month's version (the form proposes next month).
    page.goto(f"{live_server.url}/admin/checklists")
    month = page.locator("#checklist-upload input[name=effective_month]").input_value()
    page.locator("#checklist-upload input[name=file]").set_input_files(str(edited))
    with page.expect_navigation():
        page.locator("#checklist-upload button[type=submit]").click()
    expect(page.locator("#effective-month")).to_have_text(month)
    change = page.locator('#differences tr[data-what="item ENV-02"][data-field="points"]')
    expect(change).to_have_count(1)
    expect(change.locator("td").nth(2)).to_have_text("0.50")
    expect(change.locator("td").nth(3)).to_have_text("1.50")
    expect(page.locator('tr[data-item="ENV-02"] td.points')).to_have_text("1.50")

    # The audit log shows the upload by the admin.
    page.goto(f"{live_server.url}/admin/audit")
    expect(page.locator("main")).to_contain_text("checklist.upload")

    # Next year's holidays, added in the form, appear on the month grid.
    page.goto(f"{live_server.url}/admin")
    page.locator("#admin-calendar").click()
    years = page.locator("ul.years a")
    next_year = years.last.get_attribute("data-year")
    years.last.click()
    form = page.locator("#calendar-form")
    form.locator("input[name=source]").fill(f"国务院办公厅关于{next_year}年部分节假日安排的通知")
    form.locator("input[name=name_0]").fill("元旦")
    form.locator("input[name=from_0]").fill(f"{next_year}-01-01")
    form.locator("input[name=to_0]").fill(f"{next_year}-01-03")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator(f'td[data-day="{next_year}-01-02"]')).to_have_class("day holiday")
    expect(page.locator("#year-not-loaded")).to_have_count(0)
    page.goto(f"{live_server.url}/admin/audit")
    expect(page.locator("main")).to_contain_text("calendar.update")
