"""Attachments: check-in and roster tables published as .xlsx or .csv read like page tables.

The workbooks are written here with openpyxl; the people in them are the personas of
`personas.py` (cadre 李建国 of 石桥镇 and his workers of 青山村) plus made-up names.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime

from openpyxl import Workbook

from lianxin.parsing.attachments import is_attachment, parse_attachment
from lianxin.records import ParseResult, ParseStatus, ReportKind, Severity, WorkStatus

FETCHED_AT = datetime(2026, 11, 12, 1, 0, tzinfo=UTC)
TITLE = "青山村2026年11月外出务工人员电话回访情况表"
HEADER = [
    "序号",
    "姓名",
    "联系电话",
    "包户干部",
    "回访时间",
    "是否接通",
    "务工状态",
    "上月收入（元）",
]
ROWS = [
    [1, "张伟", "138****0001", "李建国", datetime(2026, 11, 3), "是", "在岗", 4500],
    [2, "刘洋", "139****0002", "李建国", "11月4日", "是", "待业", "—"],
    [3, "陈静", "137****0003", "李建国", "2026.11.5", "未接通", "返乡", None],
]


def workbook_bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def checkin_workbook(*, title_row: bool = True, totals: bool = False) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet1"
    if title_row:
        sheet.append([TITLE])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    for row in [HEADER, *ROWS]:
        sheet.append(row)
    if totals:
        sheet.append(["合计", None, None, None, None, None, None, 4500])
    sheet.append([])
    sheet.append(["填表人：李建国    审核人：王村长"])
    last = sheet.max_row
    sheet.merge_cells(start_row=last, start_column=1, end_row=last, end_column=len(HEADER))
    return workbook_bytes(book)


def parse(content: bytes, url: str, **kwargs: str) -> ParseResult:
    return parse_attachment(content, url, source="test", fetched_at=FETCHED_AT, **kwargs)


def test_an_xlsx_checkin_table_reads_like_the_page_table() -> None:
    result = parse(checkin_workbook(), "http://town.example/files/回访表.xlsx")
    assert result.report.kind is ReportKind.checkin_table
    assert result.report.parse_status is ParseStatus.ok
    zhang, liu, chen = result.checkins
    assert (zhang.worker_name, zhang.village, zhang.period) == ("张伟", "青山村", "2026-11")
    assert (zhang.call_date, zhang.income_yuan, zhang.status) == (
        date(2026, 11, 3),
        4500,
        WorkStatus.employed,
    )
    assert (liu.call_date, liu.income_yuan, liu.status) == (date(2026, 11, 4), None, "looking")
    assert (chen.reached, chen.call_date) == (False, date(2026, 11, 5))
    assert zhang.cadre == "李建国"


def test_the_signature_line_under_the_table_is_kept_as_a_skipped_note() -> None:
    result = parse(checkin_workbook(), "http://town.example/files/回访表.xlsx")
    notes = [q for q in result.quarantined if q.severity is Severity.skipped]
    assert len(notes) == 1 and "note row" in notes[0].reason


def test_a_totals_row_is_skipped_not_read_as_a_person() -> None:
    result = parse(checkin_workbook(totals=True), "http://town.example/files/回访表.xlsx")
    assert [c.worker_name for c in result.checkins] == ["张伟", "刘洋", "陈静"]
    reasons = [q.reason for q in result.quarantined]
    assert any(reason.startswith("totals row (合计)") for reason in reasons)
    assert result.report.parse_status is ParseStatus.ok


def test_a_two_row_merged_header_is_combined() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "青山村"  # the sheet's own name says the village
    sheet.append(["姓名", "回访情况", None, None, "上月收入"])
    sheet.append([None, "回访时间", "是否接通", "主要诉求", None])
    sheet.merge_cells("A1:A2")
    sheet.merge_cells("B1:D1")
    sheet.merge_cells("E1:E2")
    sheet.append(["赵红梅", "2026-11-06", "是", "希望参加电商培训", "5,200元"])
    result = parse(
        workbook_bytes(book),
        "http://town.example/files/a.xlsx",
        page_title="2026年11月电话回访情况",
    )
    (hongmei,) = result.checkins
    assert (hongmei.village, hongmei.period) == ("青山村", "2026-11")
    assert (hongmei.call_date, hongmei.demands, hongmei.income_yuan) == (
        date(2026, 11, 6),
        "希望参加电商培训",
        5200,
    )


def test_an_xlsx_roster_reads_workers_and_their_cadres() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["石桥镇青山村就业服务一览表"])
    sheet.merge_cells("A1:F1")
    sheet.append(["序号", "姓名", "身份证号", "就业意愿", "包户干部", "务工单位"])
    sheet.append([1, "张伟", "430000********0011", "务工", "李建国", "长沙某电子厂"])
    sheet.append([2, "王磊", "430000********0022", "务工", "周敏", None])
    result = parse(workbook_bytes(book), "http://town.example/roster.xlsx")
    assert result.report.kind is ReportKind.roster
    assert [(w.name, w.village, w.cadre) for w in result.workers] == [
        ("张伟", "青山村", "李建国"),
        ("王磊", "青山村", "周敏"),
    ]
    assert {c.name for c in result.cadres} == {"李建国", "周敏"}


def csv_bytes(encoding: str, *, bom: bool = False) -> bytes:
    lines = [
        TITLE + ",,,,,",
        "姓名,联系电话,回访时间,是否接通,务工状态,上月收入",
        '张伟,138****0001,2026-11-03,是,在岗,"4,500"',
        "刘洋,139****0002,11月4日,是,待业,暂无",
        "合计,,,,,4500",
    ]
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def test_a_gbk_csv_is_decoded_and_read() -> None:
    result = parse(csv_bytes("gbk"), "http://town.example/files/huifang.csv")
    assert result.report.kind is ReportKind.checkin_table
    assert [(c.worker_name, c.income_yuan) for c in result.checkins] == [
        ("张伟", 4500),
        ("刘洋", None),
    ]
    assert result.checkins[0].village == "青山村"
    assert any(q.reason.startswith("totals row") for q in result.quarantined)


def test_a_utf8_csv_with_a_bom_reads_the_same_as_one_without() -> None:
    with_bom = parse(csv_bytes("utf-8", bom=True), "http://t.example/a.csv")
    without = parse(csv_bytes("utf-8"), "http://t.example/a.csv")
    assert with_bom.checkins == without.checkins
    assert len(with_bom.checkins) == 2


def test_a_corrupt_workbook_fails_with_the_reason() -> None:
    broken = checkin_workbook()[:300]
    result = parse(broken, "http://town.example/files/回访表.xlsx")
    assert result.report.parse_status is ParseStatus.failed
    assert result.report.errors[0].startswith("unreadable .xlsx file")
    assert result.quarantined[0].reason == result.report.errors[0]


def test_a_workbook_without_a_known_header_fails_with_the_reason() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["品名", "单价"])
    sheet.append(["化肥", 120])
    result = parse(workbook_bytes(book), "http://town.example/price.xlsx")
    assert result.report.parse_status is ParseStatus.failed
    assert "no check-in, roster or problem table" in result.report.errors[0]


def test_empty_and_binary_garbage_fail_without_raising() -> None:
    for content in (b"", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), bytes(range(256)) * 8):
        result = parse(content, "http://town.example/x.xls")
        assert result.report.parse_status is ParseStatus.failed
        assert result.report.errors


def test_the_attachment_keeps_the_hash_of_its_own_bytes() -> None:
    content = checkin_workbook()
    result = parse(content, "http://town.example/files/回访表.xlsx")

    assert result.report.content_hash == hashlib.sha256(content).hexdigest()


def test_spreadsheet_links_and_types_are_attachments() -> None:
    assert is_attachment("http://t.example/files/%E5%9B%9E%E8%AE%BF.XLSX", None)
    assert is_attachment("http://t.example/download?id=3", "text/csv; charset=gbk")
    assert is_attachment("http://t.example/a.xls", None)
    assert not is_attachment("http://t.example/art/2026/11/8/art_1.html", "text/html")
    # Word and PDF files are attachments too (issue 13): notices and tables are published so.
    assert is_attachment("http://t.example/a.pdf", "application/pdf")
    assert is_attachment("http://t.example/%E9%80%9A%E6%8A%A5.DOCX", None)
    assert not is_attachment("http://t.example/a.zip", "application/zip")
