"""Import with a preview, and export: roster and check-in files written here with fake people.

The store starts with the personas' published roster (cadre 李建国 of 石桥镇 and his workers of
青山村). The uploaded roster keeps 张伟 and 陈静 as they were, gives 刘洋 a new phone, adds
赵敏 and has a row without a name; the uploaded check-in table (GB18030 CSV) adds 张伟's call,
changes 刘洋's income and names 孙强, whom no roster knows.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, func, select, update
from typer.testing import CliRunner

from config.settings import RulesSettings, Settings
from lianxin.archive import Archive
from lianxin.cli.app import app
from lianxin.errors import ExportRefused, ImportRejected
from lianxin.ingest.pipeline import reparser
from lianxin.ingest.reparse import reparse
from lianxin.rules.evaluate import evaluate
from lianxin.services.export import export_table
from lianxin.services.export_tables import export_query
from lianxin.services.reevaluate import evaluate_after_import
from lianxin.services.transfer import (
    apply_import,
    preview_import,
)
from lianxin.store import schema as t
from lianxin.store.db import make_engine, migrate
from lianxin.store.writes import save_results
from personas import FETCHED, checkins, roster

NOW = datetime(2026, 11, 6, 2, 0, tzinfo=UTC)
ROSTER_FILE = "青山村就业服务一览表.xlsx"
CHECKIN_FILE = "青山村11月回访.csv"
ZHAO_ID = "430102199001011234"


HEADER = ["序号", "姓名", "联系电话", "身份证号", "包户干部", "务工单位", "务工状态", "就业意愿"]


def roster_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["石桥镇青山村就业服务一览表"])
    sheet.merge_cells("A1:H1")
    sheet.append(
        ["序号", "姓名", "联系电话", "身份证号", "包户干部", "务工单位", "务工状态", "就业意愿"]
    )
    sheet.append([1, "张伟", "13800001111", None, "李建国", "东莞某电子厂", "在岗", None])
    sheet.append([2, "刘洋", "13911115678", None, "李建国", None, "待业", None])
    sheet.append([3, "陈静", "13800003333", None, "李建国", None, "返乡", None])
    sheet.append([4, "赵敏", "13700005555", ZHAO_ID, "李建国", "深圳某物流公司", "在岗", "务工"])
    sheet.append([5, None, "13700006666", None, "李建国", None, "在岗", "务工"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def checkin_csv() -> bytes:
    lines = [
        "青山村2026年11月外出务工人员电话回访情况表,,,,,,",
        "序号,姓名,联系电话,包户干部,回访时间,是否接通,上月收入（元）",
        "1,张伟,138****1111,李建国,2026-11-03,是,4500",
        "2,刘洋,138****2222,李建国,2026-11-02,是,3000",
        "3,孙强,136****9999,李建国,2026-11-04,是,5000",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


def published(engine: Engine) -> None:
    save_results(engine, [roster()], FETCHED)
    save_results(engine, [checkins("2026-11", {"刘洋": date(2026, 11, 2)})], FETCHED)


def count(engine: Engine, table: t.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_roster_preview_shows_the_new_worker_the_new_phone_masked_and_the_bad_row(
    engine: Engine,
) -> None:
    published(engine)
    preview = preview_import(engine, roster_xlsx(), ROSTER_FILE, "auto", "upload", NOW)
    assert preview.kind == "roster"
    assert (preview.added, preview.changed, preview.unchanged) == (1, 1, 2)
    assert [r.label for r in preview.added_rows] == ["青山村 赵敏 137****5555"]
    (liu,) = preview.changed_rows
    assert liu.replaces == "青山村|刘洋|2222" and liu.key == "青山村|刘洋|5678"
    assert [(c.field, c.old, c.new) for c in liu.changes] == [
        ("phone", "138****2222", "139****5678")
    ]
    assert preview.failed == 1
    (bad,) = preview.failed_rows
    assert bad.row == 5 and "姓名" in bad.reason and bad.raw["联系电话"] == "137****6666"
    assert count(engine, t.workers) == 4, "a preview writes nothing"


def test_an_unmasked_preview_shows_phones_in_full() -> None:
    engine = make_engine("sqlite://")
    migrate(engine)
    published(engine)
    preview = preview_import(
        engine, roster_xlsx(), ROSTER_FILE, "roster", "upload", NOW, unmasked=True
    )
    (liu,) = preview.changed_rows
    assert (liu.changes[0].old, liu.changes[0].new) == ("13800002222", "13911115678")


def test_applying_writes_what_the_preview_showed_and_a_second_apply_changes_nothing(
    engine: Engine,
) -> None:
    published(engine)
    evaluate(engine, date(2026, 11, 6), RulesSettings(), FETCHED)
    content = roster_xlsx()
    preview = preview_import(engine, content, ROSTER_FILE, "auto", "upload", NOW)

    result = apply_import(engine, content, ROSTER_FILE, "auto", "upload", NOW, preview.token)

    assert result.written and result.preview == preview
    with engine.connect() as conn:
        workers = {r.key: r for r in conn.execute(select(t.workers))}
        liu_obligations = conn.execute(
            select(t.obligations.c.subject).where(t.obligations.c.subject.like("青山村|刘洋|%"))
        ).scalars()
        assert set(liu_obligations) == {"青山村|刘洋|5678"}, "obligations follow the new phone"
    assert "青山村|刘洋|2222" not in workers, "a new phone does not make 刘洋 two workers"
    assert workers["青山村|刘洋|5678"].phone == "13911115678"
    zhao = workers["青山村|赵敏|5555"]
    assert zhao.id_number == ZHAO_ID
    assert (zhao.source_url, zhao.content_hash, zhao.fetched_at.replace(tzinfo=UTC)) == (
        f"upload://{ROSTER_FILE}",
        preview.content_hash,
        NOW,
    )
    again = preview_import(engine, content, ROSTER_FILE, "auto", "upload", NOW)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 4)
    assert again.already_imported and not again.writes

    second = apply_import(engine, content, ROSTER_FILE, "auto", "upload", NOW, preview.token)
    assert not second.written and second.periods == []
    assert count(engine, t.workers) == 5


def test_reparsing_an_imported_file_from_the_archive_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    archive = Archive(tmp_path / "archive")
    published(engine)
    for content, name in ((roster_xlsx(), ROSTER_FILE), (checkin_csv(), CHECKIN_FILE)):
        token = preview_import(engine, content, name, "auto", "upload", NOW).token
        apply_import(engine, content, name, "auto", "upload", NOW, token, archive=archive)
    report = reparse(engine, archive, reparser, NOW)
    # The personas' portal pages were never archived; the two uploads were.
    assert all(url.startswith("http://portal.test/") for url in report.missing)
    assert report.pages - len(report.missing) == 2 and report.changes == []


def test_a_file_other_than_the_one_previewed_is_refused(engine: Engine) -> None:
    published(engine)
    preview = preview_import(engine, roster_xlsx(), ROSTER_FILE, "auto", "upload", NOW)
    with pytest.raises(ImportRejected, match="not the file that was previewed"):
        apply_import(engine, checkin_csv(), ROSTER_FILE, "auto", "upload", NOW, preview.token)
    assert count(engine, t.workers) == 4


def test_a_preview_gone_stale_is_refused_so_nothing_unseen_is_written(engine: Engine) -> None:
    published(engine)
    content = roster_xlsx()
    preview = preview_import(engine, content, ROSTER_FILE, "auto", "upload", NOW)
    with engine.begin() as conn:  # a village lead edits 张伟 while the preview is on screen
        conn.execute(
            update(t.workers).where(t.workers.c.name == "张伟").values(employer="长沙某工厂")
        )
    with pytest.raises(ImportRejected, match="changed since the preview"):
        apply_import(engine, content, ROSTER_FILE, "auto", "upload", NOW, preview.token)
    assert count(engine, t.workers) == 4
    fresh = preview_import(engine, content, ROSTER_FILE, "auto", "upload", NOW)
    assert fresh.token != preview.token and fresh.changed == 2
    assert apply_import(engine, content, ROSTER_FILE, "auto", "upload", NOW, fresh.token).written


def test_a_file_with_no_table_is_rejected(engine: Engine) -> None:
    with pytest.raises(ImportRejected, match="no check-in, roster or problem table"):
        preview_import(engine, "备注,说明\r\n无,无\r\n".encode(), "x.csv", "auto", "upload", NOW)


def test_a_checkin_table_preview_matches_calls_to_workers_and_names_the_unknown(
    engine: Engine,
) -> None:
    published(engine)
    content = checkin_csv()
    preview = preview_import(engine, content, CHECKIN_FILE, "auto", "upload", NOW)
    assert (preview.kind, preview.periods) == ("checkin_table", ["2026-11"])
    assert (preview.added, preview.changed, preview.unchanged) == (2, 1, 0)
    assert (preview.matched, preview.unmatched) == (2, 1)
    assert [r.label for r in preview.unmatched_rows] == ["青山村 孙强 136****9999 2026-11"]
    (liu,) = preview.changed_rows
    assert liu.matched == "青山村|刘洋|2222"
    assert ("income_yuan", "4200", "3000") in [(c.field, c.old, c.new) for c in liu.changes]
    added = {r.label: r.matched for r in preview.added_rows}
    assert added["青山村 张伟 138****1111 2026-11"] == "青山村|张伟|1111"

    result = apply_import(engine, content, CHECKIN_FILE, "auto", "upload", NOW, preview.token)
    assert result.periods == ["2026-11"]
    with engine.connect() as conn:
        matched = dict(
            conn.execute(select(t.checkins.c.worker_name, t.checkins.c.matched_key)).all()
        )
    assert matched == {"张伟": "青山村|张伟|1111", "刘洋": "青山村|刘洋|2222", "孙强": None}
    again = preview_import(engine, content, CHECKIN_FILE, "auto", "upload", NOW)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 3)

    evaluate_after_import(engine, result, RulesSettings(), NOW, as_of=date(2026, 11, 6))
    with engine.connect() as conn:
        unknown = conn.execute(
            select(t.findings.c.detail).where(t.findings.c.kind == "unknown_worker")
        ).scalars()
        assert [d[-2:] for d in unknown] == ["孙强"]


# --- export -----------------------------------------------------------------------------------

COLUMNS = [("name", "姓名"), ("phone", "联系电话"), ("id_number", "身份证号"), ("note", "备注")]
ROWS = [
    {"name": "赵敏", "phone": "13700005555", "id_number": ZHAO_ID, "note": '=HYPERLINK("x")'},
    {"name": "+陈静", "phone": None, "id_number": None, "note": "@SUM(A1) 电话13800003333"},
]


def test_an_xlsx_export_reads_back_with_a_bold_frozen_header_and_masked_phones() -> None:
    content = export_table(ROWS, COLUMNS, "xlsx", mask=True, title="务工人员")
    book = load_workbook(io.BytesIO(content))
    sheet = book["务工人员"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["姓名", "联系电话", "身份证号", "备注"]
    assert rows[1] == ["赵敏", "137****5555", "430***********1234", '\'=HYPERLINK("x")']
    assert rows[2] == ["'+陈静", None, None, "'@SUM(A1) 电话138****3333"]
    assert sheet["A1"].font.bold and sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["D"].width > sheet.column_dimensions["A"].width


def test_a_csv_export_is_utf8_with_a_bom_guarded_against_formulas_and_unmasked_on_request() -> None:
    content = export_table(ROWS, COLUMNS, "csv", mask=False)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[1] == ["赵敏", "13700005555", ZHAO_ID, '\'=HYPERLINK("x")']
    assert rows[2][0] == "'+陈静" and rows[2][3] == "'@SUM(A1) 电话13800003333"


def test_the_standard_tables_export_after_an_import(engine: Engine) -> None:
    published(engine)
    content = checkin_csv()
    token = preview_import(engine, content, CHECKIN_FILE, "auto", "upload", NOW).token
    apply_import(engine, content, CHECKIN_FILE, "auto", "upload", NOW, token)
    exported = export_query(engine, "checkins", {"period": "2026-11"}, "csv", mask=True)
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    assert {r["姓名"]: r["上月收入（元）"] for r in rows} == {
        "张伟": "4500",
        "刘洋": "3000",
        "孙强": "5000",
    }
    for name in ("workers", "obligations", "compliance", "quarantine", "findings"):
        book = load_workbook(io.BytesIO(export_query(engine, name, {}, "xlsx")))
        assert book.active is not None and book.active.max_row >= 1
    with pytest.raises(ExportRefused, match="needs a period"):
        export_query(engine, "checkins", {}, "csv")
    with pytest.raises(ExportRefused, match="unknown table"):
        export_query(engine, "passwords", {}, "csv")


# --- the command line -------------------------------------------------------------------------

runner = CliRunner()


def test_lianxin_import_previews_then_applies_and_export_writes_the_file(
    settings: Settings, tmp_path: Path
) -> None:
    from lianxin.store.engine import engine_for

    published(engine_for(settings.database_url))
    upload = tmp_path / ROSTER_FILE
    upload.write_bytes(roster_xlsx())

    shown = runner.invoke(app, ["import", str(upload)], env={"COLUMNS": "200"})
    assert shown.exit_code == 1, shown.output  # one row failed
    assert "青山村 赵敏 137****5555" in shown.output and "13700005555" not in shown.output
    assert "Nothing written" in shown.output
    assert count(engine_for(settings.database_url), t.workers) == 4

    applied = runner.invoke(
        app, ["import", str(upload), "--apply", "--as-of", "2026-11-06"], env={"COLUMNS": "200"}
    )
    assert applied.exit_code == 1, applied.output
    assert "follow-ups evaluated as of 2026-11-06" in applied.output
    assert count(engine_for(settings.database_url), t.workers) == 5
    with engine_for(settings.database_url).connect() as conn:
        villages = conn.execute(select(t.compliance.c.village, t.compliance.c.due)).all()
    assert ("青山村", 3) in villages, "the overview's compliance follows the import"

    out = tmp_path / "workers.csv"
    exported = runner.invoke(app, ["export", "workers", "--format", "csv", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert {r["姓名"]: r["联系电话"] for r in rows}["赵敏"] == "137****5555"


def test_lianxin_import_of_a_file_it_cannot_read_exits_2(
    settings: Settings, tmp_path: Path
) -> None:
    upload = tmp_path / "说明.csv"
    upload.write_bytes("备注,说明\r\n无,无\r\n".encode())
    result = runner.invoke(app, ["import", str(upload), "--apply"])
    assert result.exit_code == 2, result.output
    missing = runner.invoke(app, ["export", "checkins"])
    assert missing.exit_code == 2 and "needs a period" in missing.output
