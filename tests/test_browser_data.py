"""The data page in a real headless Chromium: the admin downloads an XLSX and a CSV export and
reads them, uploads a check-in table of 松坪村, reads the preview, confirms it and sees the
calls counted; the page fits a phone. Every page is saved as a screenshot.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Browser, FilePayload, Page, expect
from sqlalchemy import Engine, select

from browser import (
    ADMIN,
    IMG,
    LEAD_VILLAGE,
    Dashboard,
    Dialogs,
    assert_nothing_injected,
    assert_nothing_ran,
    log_in,
    shot,
)
from lianxin.store import schema as t

FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def export(page: Page, table: str, fmt: str, period: str = "", village: str = "") -> Path:
    """Fill the export form, download the file through the browser, return where it landed."""
    form = page.locator("#export form")
    form.locator('select[name="table"]').select_option(table)
    form.locator(f'input[name="format"][value="{fmt}"]').check()
    form.locator('input[name="period"]').fill(period)
    form.locator('input[name="village"]').fill(village)
    with page.expect_download() as info:
        form.locator('button[type="submit"]').click()
    download = info.value
    assert download.failure() is None
    path = Path(download.path())
    return path.rename(path.with_name(download.suggested_filename))


def uncalled(engine: Engine, village: str, period: str) -> list[tuple[str, str]]:
    """Return (name, phone) of two of `village`'s workers whose call of `period` is still owed."""
    o, w = t.obligations, t.workers
    query = (
        select(w.c.name, w.c.phone)
        .join(o, o.c.subject == w.c.key)
        .where(o.c.kind == "monthly_checkin", o.c.period == period, o.c.status == "open")
        .where(w.c.village == village, w.c.phone.is_not(None))
        .order_by(w.c.name)
        .limit(2)
    )
    with engine.connect() as conn:
        return [(name, phone) for name, phone in conn.execute(query)]


def call_status(engine: Engine, names: list[str], period: str) -> set[str]:
    o, w = t.obligations, t.workers
    query = (
        select(o.c.status)
        .join(w, o.c.subject == w.c.key)
        .where(o.c.kind == "monthly_checkin", o.c.period == period, w.c.name.in_(names))
    )
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())


def test_the_admin_exports_xlsx_and_csv_and_imports_a_checkin_table(
    page: Page, dialogs: Dialogs, dashboard: Dashboard
) -> None:
    log_in(page, dashboard, ADMIN, "data-admin")
    page.goto(f"{dashboard.url}/data")
    expect(page.locator("h1")).to_have_text("导入导出")
    shot(page, "data-page")

    workbook = export(page, "workers", "xlsx")
    assert workbook.name == "workers.xlsx"
    sheet = load_workbook(workbook).active
    assert sheet is not None
    rows = [[str(c.value or "") for c in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["乡镇", "村", "户主", "姓名"]
    names = {row[3] for row in rows[1:]}
    assert "谭莹" in names and len(rows) > 100  # the county's roster
    assert not any(FULL_PHONE.search(cell) for row in rows for cell in row), "masked for admin"

    period = dashboard.store.period
    table = export(page, "checkins", "csv", period=period, village=LEAD_VILLAGE)
    assert table.name == f"checkins-{period}-{LEAD_VILLAGE}.csv"
    content = table.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["月份", "村", "姓名"]
    assert {line[1] for line in lines[1:]} == {LEAD_VILLAGE}
    assert "谭莹" in {line[2] for line in lines[1:]}

    owed = uncalled(dashboard.engine, LEAD_VILLAGE, period)
    assert len(owed) == 2
    upload = io.StringIO()
    writer = csv.writer(upload)
    writer.writerow("序号 村 姓名 联系电话 回访时间 是否接通 上月收入 备注".split())
    for i, (name, phone) in enumerate(owed, start=1):
        writer.writerow([i, LEAD_VILLAGE, name, phone, f"{period}-05", "是", "4100", IMG])
    writer.writerow([3, LEAD_VILLAGE, "", "", f"{period}-05", "是", "", ""])  # no name: fails
    chosen: FilePayload = {
        "name": f"{LEAD_VILLAGE}回访补录.csv",
        "mimeType": "text/csv",
        "buffer": upload.getvalue().encode("utf-8-sig"),
    }
    page.locator('#import input[name="file"]').set_input_files(files=[chosen])
    page.locator('#import select[name="kind"]').select_option("checkin_table")
    page.locator('#import button[type="submit"]').click()

    expect(page.locator("h1")).to_contain_text("导入预览")
    expect(page.locator('[data-count="added"] .n')).to_have_text("2")
    expect(page.locator('[data-count="matched"] .n')).to_have_text("2")
    expect(page.locator('[data-count="failed"] .n')).to_have_text("1")
    expect(page.locator("#failed tbody tr")).to_have_count(1)
    assert not FULL_PHONE.search(page.locator("main").inner_text()), "the preview masks phones"
    shot(page, "data-preview")
    assert call_status(dashboard.engine, [n for n, _ in owed], period) == {"open"}

    page.locator('form.confirm button[type="submit"]').click()

    expect(page).to_have_url(re.compile(r"/data\?done=data\.imported"))
    expect(page.locator("#data-result")).to_have_text("已导入 2 条记录；1 行未导入。")
    shot(page, "data-imported")
    assert call_status(dashboard.engine, [n for n, _ in owed], period) == {"done"}
    assert_nothing_ran(page, dialogs)
    assert_nothing_injected(page)


def test_the_data_page_fits_a_phone(browser: Browser, dashboard: Dashboard) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        phone = context.new_page()
        log_in(phone, dashboard, ADMIN, "data-phone")
        phone.goto(f"{dashboard.url}/data")
        expect(phone.locator("#import")).to_be_visible()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a 390px screen"
        shot(phone, "data-phone")
    finally:
        context.close()
