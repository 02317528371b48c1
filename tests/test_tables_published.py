"""Tables as people publish them (issue 13): months where a day fits, and every file kind.

Cadre 李建国 of 石桥镇 looks after 张伟, 刘洋, 陈静 and 王磊 of 青山村 (tests/personas.py), here
with made-up start months. The files are written here: openpyxl (.xlsx), xlwt (.xls), python-docx
(.docx), fpdf2 with Debian's WenQuanYi font (.pdf); `lianxin parse --json` runs as a user runs it,
in an empty folder, which must stay empty.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import fpdf
import pytest
import xlwt  # the one writer of binary .xls there is (a dev dependency, as fpdf2 is)
from fpdf.fonts import FontFace
from openpyxl import Workbook

from lianxin.parsing import parse_page
from lianxin.parsing.attachments import parse_attachment
from lianxin.parsing.cells import month_named
from lianxin.parsing.links import page_links
from lianxin.records import ParseResult, ParseStatus, ReportKind, Severity

FETCHED_AT = datetime(2026, 11, 12, 1, 0, tzinfo=UTC)
ROSTER_TITLE = "石桥镇青山村外出务工人员就业服务一览表"
ROSTER_HEADER = ["序号", "姓名", "所在村", "联系电话", "务工单位", "技能特长", "务工起始时间"]
# 务工起始时间 as rosters write it: mostly months, in every notation.
STARTS = [
    ("张伟", "2026年3月", "2026-03"),
    ("刘洋", "2026.4", "2026-04"),
    ("陈静", "2026-04", "2026-04"),
    ("王磊", "2026年3月份", "2026-03"),
]
CHECKIN_TITLE = "青山村2026年11月外出务工人员电话回访情况表"
CHECKIN_HEADER = ["序号", "姓名", "联系电话", "包户干部", "回访时间", "是否接通", "上月收入（元）"]
CHECKIN_ROWS = [
    ["1", "张伟", "138****0001", "李建国", "11月3日", "是", "4500"],
    ["2", "刘洋", "139****0002", "李建国", "2026年11月", "否", "—"],
]
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # fonts-wqy-microhei (Makefile)


def roster_rows() -> list[list[str]]:
    return [
        [str(n), name, "青山村", f"1380000000{n}", "示例电子厂", "电焊", start]
        for n, (name, start, _) in enumerate(STARTS, start=1)
    ]


def html_table(title: str, header: list[str], rows: list[list[str]]) -> bytes:
    cells = "".join(
        "<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in [header, *rows]
    )
    return (
        f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
        f"<h1>{title}</h1><table>{cells}</table></body></html>"
    ).encode()


def page(content: bytes) -> ParseResult:
    return parse_page(content, "http://town.example/x.html", source="t", fetched_at=FETCHED_AT)


def attached(content: bytes, name: str, kind: str = "auto") -> ParseResult:
    return parse_attachment(
        content, f"http://town.example/{name}", source="t", fetched_at=FETCHED_AT, kind=kind
    )


def warnings_of(result: ParseResult) -> dict[int | None, str]:
    return {q.row: q.reason for q in result.quarantined if q.severity is Severity.warning}


# --- months where a day fits -------------------------------------------------------------------


def test_a_roster_whose_start_dates_are_months_keeps_every_worker() -> None:
    result = page(html_table(ROSTER_TITLE, ROSTER_HEADER, roster_rows()))
    assert result.report.kind is ReportKind.roster
    assert result.report.parse_status is ParseStatus.ok, result.report.errors
    assert [w.name for w in result.workers] == [name for name, _, _ in STARTS]
    warned = warnings_of(result)
    for row, (worker, (_, written, month)) in enumerate(
        zip(result.workers, STARTS, strict=True), start=1
    ):
        assert worker.start_date is None  # no made-up 1st for the rules to act on
        assert worker.extra == {"务工起始时间": written}
        assert f"start_date names only a month ({month})" in warned[row]


def test_a_start_day_is_still_read_as_a_day_and_an_unreadable_one_costs_no_worker() -> None:
    rows = [
        ["1", "张伟", "青山村", "13800000001", "示例电子厂", "电焊", "2026/3/9"],
        ["2", "刘洋", "青山村", "13800000002", "示例制衣厂", "缝纫", "春节后"],
        ["3", "", "青山村", "13800000003", "示例物流", "驾驶", "2026年5月"],
    ]
    result = page(html_table(ROSTER_TITLE, ROSTER_HEADER, rows))
    zhang, liu = result.workers
    assert (zhang.start_date, zhang.extra) == (date(2026, 3, 9), {})
    assert (liu.start_date, liu.extra) == (None, {"务工起始时间": "春节后"})
    assert "start_date unreadable" in warnings_of(result)[2]
    # A missing name is a missing key: that row alone is refused, and earns no month warning.
    (refused,) = [q for q in result.quarantined if q.severity is Severity.error]
    assert refused.row == 3 and "missing worker name" in refused.reason
    assert 3 not in warnings_of(result)


def test_a_call_date_that_names_only_the_month_keeps_the_checkin() -> None:
    result = page(html_table(CHECKIN_TITLE, CHECKIN_HEADER, CHECKIN_ROWS))
    zhang, liu = result.checkins
    assert (zhang.call_date, liu.call_date) == (date(2026, 11, 3), None)
    assert (liu.period, liu.reached, liu.extra) == ("2026-11", False, {"回访时间": "2026年11月"})
    assert "call_date names only a month (2026-11)" in warnings_of(result)[2]
    assert result.report.parse_status is ParseStatus.ok


def test_a_call_date_that_is_no_day_at_all_still_refuses_the_checkin() -> None:
    rows = [["1", "张伟", "138****0001", "李建国", "2月30日", "是", "4500"]]
    result = page(html_table(CHECKIN_TITLE, CHECKIN_HEADER, rows))
    assert result.checkins == []
    assert "not a real day" in result.quarantined[0].reason
    assert result.quarantined[0].severity is Severity.error


def test_a_problem_found_in_a_month_keeps_its_row() -> None:
    header = ["序号", "存在问题", "责任单位", "整改时限", "发现时间"]
    rows = [["1", "青山村务工人员台账未及时更新", "青山村村委会", "2026年12月31日", "2026年10月"]]
    result = page(html_table("石桥镇督查发现问题整改清单", header, rows))
    (problem,) = result.problems
    assert (problem.found, problem.deadline) == (None, date(2026, 12, 31))
    assert "found names only a month (2026-10)" in warnings_of(result)[1]


@pytest.mark.parametrize(
    ("text", "year", "month"),
    [
        ("2026年3月", None, "2026-03"),
        ("2026.4", None, "2026-04"),
        ("2026-04", None, "2026-04"),
        ("2026/4", None, "2026-04"),
        ("２０２６年３月份", None, "2026-03"),
        ("3月", 2026, "2026-03"),
        ("3月份", 2026, "2026-03"),
        ("3月", None, None),  # no year to place it in
        ("13月", 2026, None),
        ("春节后", 2026, None),
    ],
)
def test_a_month_is_named_in_every_notation_and_only_then(
    text: str, year: int | None, month: str | None
) -> None:
    assert month_named(text, year) == month


def roster_workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([ROSTER_TITLE])
    sheet.append(ROSTER_HEADER)
    sheet.append(["1", "张伟", "青山村", "13800000001", "示例电子厂", "电焊", datetime(2026, 3, 1)])
    sheet.append(["2", "刘洋", "青山村", "13800000002", "示例制衣厂", "缝纫", datetime(2026, 4, 8)])
    sheet["G3"].number_format = 'yyyy"年"m"月"'  # the clerk sees 2026年3月: a month
    sheet["G4"].number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_date_shown_as_a_month_is_read_as_the_month_not_the_first() -> None:
    result = attached(roster_workbook(), "roster.xlsx")
    zhang, liu = result.workers
    assert (zhang.start_date, zhang.extra) == (None, {"务工起始时间": "2026-03"})
    assert liu.start_date == date(2026, 4, 8)


# --- every file kind, through parse_attachment ---------------------------------------------------


def roster_xls() -> bytes:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("青山村")
    month = xlwt.easyxf(num_format_str='yyyy"年"m"月"')
    for c, text in enumerate(ROSTER_HEADER):
        sheet.write(0, c, text)
    for r, row in enumerate(roster_rows()[:2], start=1):
        for c, text in enumerate(row[:-1]):
            sheet.write(r, c, text)
        sheet.write(r, len(row) - 1, datetime(2026, 2 + r, 1), month)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_binary_xls_roster_keeps_its_month_formatted_start_dates() -> None:
    result = attached(roster_xls(), "roster.xls")
    assert [(w.name, w.start_date, w.extra) for w in result.workers] == [
        ("张伟", None, {"务工起始时间": "2026-03"}),
        ("刘洋", None, {"务工起始时间": "2026-04"}),
    ]


def test_an_xls_that_is_really_a_saved_page_is_read_as_that_page() -> None:
    content = html_table(CHECKIN_TITLE, CHECKIN_HEADER, CHECKIN_ROWS)
    result = attached(content, "huifang.xls")
    assert result.report.kind is ReportKind.checkin_table
    assert [c.worker_name for c in result.checkins] == ["张伟", "刘洋"]


def checkin_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(CHECKIN_TITLE)
    document.add_paragraph("填报单位：石桥镇青山村村民委员会")
    table = document.add_table(rows=2 + len(CHECKIN_ROWS), cols=7)
    # A two-row header: 回访情况 spans 回访时间 and 是否接通, the other headers span both rows.
    for c, text in enumerate(CHECKIN_HEADER):
        if c in (4, 5):
            table.cell(1, c).text = text.removeprefix("回访")
        else:
            table.cell(0, c).merge(table.cell(1, c)).text = text
    table.cell(0, 4).merge(table.cell(0, 5)).text = "回访"
    for r, row in enumerate(CHECKIN_ROWS, start=2):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_docx_checkin_table_with_merged_headers_reads_like_a_page() -> None:
    result = attached(checkin_docx(), "huifang.docx")
    assert result.report.kind is ReportKind.checkin_table
    zhang, liu = result.checkins
    assert (zhang.worker_name, zhang.call_date, zhang.reached) == ("张伟", date(2026, 11, 3), True)
    assert (zhang.period, zhang.village, zhang.income_yuan) == ("2026-11", "青山村", 4500)
    assert (liu.reached, liu.call_date) == (False, None)


def test_a_docx_notice_is_read_for_its_numbered_problems() -> None:
    import docx

    document = docx.Document()
    for line in (
        "关于石桥镇外出务工人员回访工作督查情况的通报",
        "一、基本情况",
        "11月上旬，县督查组对石桥镇回访工作开展了督查。",
        "二、存在问题",
        "1.青山村务工人员台账未及时更新。整改时限：2026年12月15日",
        "2.河湾村部分务工人员电话回访记录不全。整改时限：2026年12月20日",
    ):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    result = attached(buffer.getvalue(), "tongbao.docx", kind="problem_list")
    assert [p.deadline for p in result.problems] == [date(2026, 12, 15), date(2026, 12, 20)]
    assert "台账未及时更新" in result.problems[0].description


def checkin_pdf(rows: list[list[str]] = CHECKIN_ROWS, *, unit_line: bool = True) -> bytes:
    # The browser tests need the same font: `make test` installs it (make chromium) or fails.
    assert FONT.is_file(), f"no CJK font at {FONT}: `make chromium` installs fonts-wqy-microhei"
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.add_font("wqy", fname=str(FONT))
    pdf.set_font("wqy", size=11 if unit_line else 9)
    pdf.cell(text=CHECKIN_TITLE, new_x="LMARGIN", new_y="NEXT")
    if unit_line:
        pdf.cell(text="填报单位：石桥镇青山村村民委员会", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(headings_style=FontFace()) as table:  # the header repeats on each page
        for row in [CHECKIN_HEADER, *rows]:
            line = table.row()
            for text in row:
                line.cell(text)
    return bytes(pdf.output())


def test_a_pdf_checkin_table_and_its_title_line_are_read() -> None:
    result = attached(checkin_pdf(), "huifang.pdf")
    assert result.report.kind is ReportKind.checkin_table
    assert [(c.worker_name, c.period, c.village) for c in result.checkins] == [
        ("张伟", "2026-11", "青山村"),
        ("刘洋", "2026-11", "青山村"),
    ]


def test_a_pdf_table_over_two_pages_under_a_title_touching_it_reads_every_row() -> None:
    rows = [
        [str(n), f"村民{n:02d}", "138****0001", "李建国", "11月3日", "是", "4500"]
        for n in range(60)
    ]
    result = attached(checkin_pdf(rows, unit_line=False), "huifang.pdf")
    assert len(result.checkins) == 60, result.quarantined[:1]
    assert {(c.period, c.village) for c in result.checkins} == {("2026-11", "青山村")}


def test_a_pdf_without_text_is_refused_with_the_reason() -> None:
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60)  # a scan is a picture: no text layer
    result = attached(bytes(pdf.output()), "scan.pdf")
    assert result.report.parse_status is ParseStatus.failed
    assert "no text in the .pdf file" in result.quarantined[0].reason


def test_a_report_page_links_its_word_and_pdf_attachments_to_be_fetched() -> None:
    content = (
        '<html><head><meta charset="utf-8"><title>督查通报</title></head><body>'
        '<a href="/files/tongbao.docx">附件1</a> <a href="huifang.PDF">附件2</a>'
        '<a href="/old/tongzhi.doc">附件3</a> <a href="/list.html">返回</a></body></html>'
    ).encode()
    links = page_links(content, "http://county.example/dcb/202611/t1.html")
    assert links.attachments == [
        "http://county.example/files/tongbao.docx",
        "http://county.example/dcb/202611/huifang.PDF",
    ]


def test_a_broken_docx_is_refused_with_the_reason() -> None:
    result = attached(b"PK\x03\x04 not really", "a.docx")
    assert result.report.parse_status is ParseStatus.failed
    assert result.quarantined[0].reason.startswith("unreadable")


# --- `lianxin parse FILE`, as a user runs it ----------------------------------------------------


def run_cli(args: list[str], folder: Path) -> str:
    """Run `lianxin ARGS` in `folder` with its own empty HOME and no LIANXIN_ settings."""
    home = folder.parent / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANXIN_")}
    env["HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-m", "lianxin", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def run_parse(path: Path, folder: Path) -> dict:
    return json.loads(run_cli(["parse", str(path), "--json"], folder))


def csv_bytes() -> bytes:
    lines = [CHECKIN_TITLE, ",".join(CHECKIN_HEADER), *(",".join(r) for r in CHECKIN_ROWS)]
    return "\n".join(lines).encode("gb18030")  # a clerk's Excel saves CSV in GBK


FILES = {
    "huifang.csv": csv_bytes,
    "roster.xlsx": roster_workbook,
    "roster.xls": roster_xls,
    "huifang.docx": checkin_docx,
    "huifang.pdf": checkin_pdf,
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_lianxin_parse_reads_a_file_by_its_extension_and_writes_nothing(
    name: str, tmp_path: Path
) -> None:
    files, folder = tmp_path / "files", tmp_path / "cwd"
    files.mkdir()
    folder.mkdir()
    path = files / name
    path.write_bytes(FILES[name]())
    data = run_parse(path, folder)
    expected = "roster" if name.startswith("roster") else "checkin_table"
    assert data["report"]["kind"] == expected
    records = data["workers"] if expected == "roster" else data["checkins"]
    assert [r.get("name") or r.get("worker_name") for r in records][:2] == ["张伟", "刘洋"]
    assert data["report"]["body"] == ""  # a table file is no article
    assert list(folder.iterdir()) == []  # no ./var/lianxin.db, no archive, nothing
    assert list((tmp_path / "home").iterdir()) == []


def test_lianxin_parse_of_a_page_writes_nothing_either(tmp_path: Path) -> None:
    folder = tmp_path / "cwd"
    folder.mkdir()
    path = tmp_path / "huifang.html"
    path.write_bytes(html_table(CHECKIN_TITLE, CHECKIN_HEADER, CHECKIN_ROWS))
    assert run_parse(path, folder)["report"]["kind"] == "checkin_table"
    assert list(folder.iterdir()) == []
    assert list((tmp_path / "home").iterdir()) == []


def test_an_import_preview_leaves_no_store_behind(tmp_path: Path) -> None:
    folder = tmp_path / "cwd"
    folder.mkdir()
    path = tmp_path / "青山村2026年11月回访.csv"
    path.write_bytes(csv_bytes())
    out = run_cli(["import", str(path), "--kind", "checkin_table"], folder)
    assert "Nothing written" in out
    assert list(folder.iterdir()) == []  # it said so: no ./var/lianxin.db either
