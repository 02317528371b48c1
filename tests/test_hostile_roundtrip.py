"""What Lianxin exports it imports back unchanged, masked or not; masked and future values fail.

The store holds the personas' roster made harder: 张伟 with an ID number, skills, a start date
and an unmapped column (文化程度); 刘洋 whose employer starts like a formula; 陈静 with a
family note holding a phone; 王磊 whose household starts with `+` and whose status is 其他;
赵敏, published with a masked phone. Two months of calls: October's made late, in November,
one not reached, one with a debt note holding the boss's phone; November's by the personas.
The supervision group's problem notice (of the problems board's tests) is published too, and
the rules have run, so every table the exporter offers has rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from test_dashboard_auth import log_in
from test_dashboard_problems import notice

from config.settings import RulesSettings, Settings
from lianxin.dashboard import auth
from lianxin.dashboard.app import create_app
from lianxin.dashboard.scope import Role
from lianxin.errors import ImportRejected
from lianxin.records import WorkStatus
from lianxin.rules.evaluate import evaluate
from lianxin.services.export_tables import EXPORTS, export_query
from lianxin.services.transfer import ImportPreview, apply_import, preview_import
from lianxin.store import schema as t
from lianxin.store.writes import save_results
from personas import FETCHED, TOWN, checkins, roster

NOW = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)  # 10:00 on 9 November in Shanghai
ZHANG_ID = "430102199001011234"
IMPORTABLE = {"workers": "roster", "checkins": "checkin_table"}
FILTERS = {"checkins": [{"period": "2026-10"}, {"period": "2026-11"}]}


def hostile_store(engine: Engine) -> None:
    """Fill `engine` with the workers, calls and problems the module docstring describes."""
    people = roster()
    zhang, liu, chen, wang = people.workers
    zhang.id_number, zhang.skills, zhang.training = ZHANG_ID, "电工", "2025年电工培训"
    zhang.start_date, zhang.work_place, zhang.wish = date(2026, 3, 1), "广东东莞", "务工"
    zhang.household, zhang.extra = "张大山", {"文化程度": "高中"}
    liu.employer = '=HYPERLINK("http://evil.test","点我")'
    chen.extra = {"家庭情况": "丈夫在外，电话13900009999"}
    wang.household, wang.status = "+王大", WorkStatus.other
    zhao = zhang.model_copy(
        update={
            "name": "赵敏",
            "phone": "137****5555",  # published masked: kept as the portal gave it
            "id_number": None,
            "extra": {},
            "skills": None,
            "employer": "深圳某物流公司",
        }
    )
    people.workers.append(zhao)
    october = checkins("2026-10", {"张伟": date(2026, 11, 2), "刘洋": date(2026, 11, 3)})
    call, missed = october.checkins
    call.worker_phone = "13800001111"  # given in full by the village
    call.status, call.employer, call.place = WorkStatus.employed, "东莞某电子厂", "广东东莞"
    call.demands, call.policy_explained, call.followup_needed = "工资拖欠", True, True
    call.notes, call.extra = "老板电话13600001234，已联系", {"回访方式": "电话"}
    missed.reached, missed.call_date, missed.income_yuan = False, None, None
    missed.notes = "'关机"
    november = checkins("2026-11", {"张伟": date(2026, 11, 4), "王磊": date(2026, 11, 5)})
    save_results(engine, [people, october, november, notice()], FETCHED)
    evaluate(engine, date(2026, 11, 8), RulesSettings(), FETCHED)


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of every table, sorted, ids and timestamps included."""
    with engine.connect() as conn:
        return {
            table.name: sorted(
                (tuple(map(repr, row)) for row in conn.execute(select(table))), key=repr
            )
            for table in t.metadata.sorted_tables
        }


def exports() -> Iterator[tuple[str, dict[str, str]]]:
    for name in EXPORTS:
        yield from ((name, filters) for filters in FILTERS.get(name, [{}]))


def import_back(engine: Engine, content: bytes, filename: str) -> ImportPreview:
    """Preview `content`, apply what the preview showed, and return the preview."""
    preview = preview_import(engine, content, filename, "auto", "upload", NOW)
    apply_import(engine, content, filename, "auto", "upload", NOW, preview.token)
    return preview


def shown(preview: ImportPreview) -> list[tuple[str, str, str, str]]:
    return [(r.label, c.field, c.old, c.new) for r in preview.changed_rows for c in r.changes]


@pytest.mark.parametrize("mask", [True, False], ids=["masked", "unmasked"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_every_export_imports_back_with_no_change_and_leaves_every_row_as_it_was(
    engine: Engine, fmt: str, mask: bool
) -> None:
    hostile_store(engine)
    before = dump(engine)
    for name, filters in exports():
        content = export_query(engine, name, filters, fmt, mask=mask)  # type: ignore[arg-type]
        filename = f"{name}-{'-'.join(filters.values())}.{fmt}"
        if name not in IMPORTABLE:
            # Not a roster or check-in table: the importer refuses it whole.
            with pytest.raises(ImportRejected):
                import_back(engine, content, filename)
            continue
        preview = import_back(engine, content, filename)
        assert preview.kind == IMPORTABLE[name]
        assert shown(preview) == [], f"{name} {filters}"
        assert (preview.added, preview.changed, preview.removed) == (0, 0, 0), name
        assert (preview.failed, preview.warnings) == (0, 0), preview.failed_rows
        assert preview.unchanged > 0
    assert dump(engine) == before


def test_a_masked_export_shows_phones_masked_and_statuses_and_cadres_in_words(
    engine: Engine,
) -> None:
    hostile_store(engine)
    content = export_query(engine, "workers", {}, "csv", mask=True)
    rows = {r["姓名"]: r for r in csv.DictReader(io.StringIO(content.decode("utf-8-sig")))}
    zhang = rows["张伟"]
    assert (zhang["联系电话"], zhang["身份证号"]) == ("138****1111", "430***********1234")
    assert (zhang["包户干部"], zhang["务工状态"], zhang["技能特长"]) == ("李建国", "在岗", "电工")
    assert (zhang["务工时间"], zhang["文化程度"]) == ("2026-03-01", "高中")
    assert rows["王磊"]["务工状态"] == "其他" and rows["王磊"]["户主"] == "'+王大"
    assert rows["陈静"]["家庭情况"] == "丈夫在外，电话139****9999"


def test_a_masked_phone_on_a_new_row_fails_with_its_reason_and_the_stored_phone_is_kept(
    engine: Engine,
) -> None:
    hostile_store(engine)
    content = export_query(engine, "workers", {}, "xlsx", mask=True)
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    name, phone = headers.index("姓名"), headers.index("联系电话")
    for row in sheet.iter_rows(min_row=2):
        if row[name].value == "刘洋":
            row[phone].value = "139****2222"  # another number with 刘洋's last digits
    new = [c.value for c in sheet[2]]
    new[name], new[phone] = "孙强", "136****9999"
    sheet.append(new)
    buffer = io.BytesIO()
    book.save(buffer)
    edited = buffer.getvalue()

    preview = preview_import(engine, edited, "workers.xlsx", "auto", "upload", NOW)

    assert (preview.added, preview.changed, preview.failed) == (0, 0, 2)
    reasons = {f.raw["姓名"]: f.reason for f in preview.failed_rows}
    assert reasons == {
        "刘洋": "phone is masked (139****2222); give the full number",
        "孙强": "phone is masked (136****9999); give the full number",
    }
    before = dump(engine)
    assert not apply_import(
        engine, edited, "workers.xlsx", "auto", "upload", NOW, preview.token
    ).written
    assert dump(engine) == before
    with engine.connect() as conn:
        phones = dict(conn.execute(select(t.workers.c.name, t.workers.c.phone)).all())
    assert phones["刘洋"] == "13800002222" and "孙强" not in phones


def test_a_changed_employer_is_written_with_the_full_phone_and_id_number_kept(
    engine: Engine,
) -> None:
    hostile_store(engine)
    content = export_query(engine, "workers", {}, "csv", mask=True)
    edited = content.decode("utf-8-sig").replace("东莞某电子厂", "惠州某电池厂").encode("utf-8-sig")
    preview = preview_import(engine, edited, "workers.csv", "auto", "upload", NOW)
    assert shown(preview) == [
        ("青山村 张伟 138****1111", "employer", "东莞某电子厂", "惠州某电池厂")
    ]
    assert apply_import(engine, edited, "workers.csv", "auto", "upload", NOW, preview.token).written
    with engine.connect() as conn:
        zhang = conn.execute(select(t.workers).where(t.workers.c.name == "张伟")).one()
        li = conn.execute(select(t.cadres).where(t.cadres.c.name == "李建国")).one()
    assert (zhang.phone, zhang.id_number, zhang.employer) == (
        "13800001111",
        ZHANG_ID,
        "惠州某电池厂",
    )
    assert (zhang.cadre_key, zhang.skills, zhang.start_date) == (
        f"{TOWN}|李建国",
        "电工",
        date(2026, 3, 1),
    )
    assert (li.phone, li.unit) == ("13900001111", "石桥镇人民政府"), "the cadre is not blanked"


def test_a_masked_note_the_store_has_in_full_is_not_written_over_it(engine: Engine) -> None:
    hostile_store(engine)
    content = export_query(engine, "checkins", {"period": "2026-10"}, "csv", mask=True)
    text = content.decode("utf-8-sig")
    assert "136****1234" in text
    edited = text.replace("，已联系", "，未联系").encode("utf-8-sig")
    preview = preview_import(engine, edited, "calls.csv", "auto", "upload", NOW)
    assert preview.changed == 0 and preview.failed == 1
    (failed,) = preview.failed_rows
    assert failed.reason == "notes holds a masked number (136****1234) the store has in full"


def future_calls() -> bytes:
    lines = [
        "月份,村,姓名,联系电话,包户干部,回访日期,是否接通,上月收入（元）",
        "2026-11,青山村,陈静,13800003333,李建国,2026-11-09,是,3000",  # today in Shanghai
        "2026-11,青山村,刘洋,13800002222,李建国,2026-11-10,是,3000",  # tomorrow
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def test_a_call_dated_after_today_in_shanghai_fails_with_its_reason(engine: Engine) -> None:
    hostile_store(engine)
    preview = preview_import(engine, future_calls(), "calls.csv", "auto", "upload", NOW)
    assert (preview.added, preview.failed) == (1, 1)
    (failed,) = preview.failed_rows
    assert failed.reason == "call date 2026-11-10 is after today (2026-11-09)"
    assert (failed.raw["姓名"], failed.raw["回访日期"]) == ("刘洋", "2026-11-10")
    apply_import(engine, future_calls(), "calls.csv", "auto", "upload", NOW, preview.token)
    with engine.connect() as conn:
        days = conn.execute(
            select(t.checkins.c.call_date).where(t.checkins.c.period == "2026-11")
        ).scalars()
        assert max(days) == date(2026, 11, 9)


def test_a_dashboard_export_masked_for_the_county_imports_back_with_no_change(
    engine: Engine, tmp_path: Path
) -> None:
    from test_dashboard_auth import PASSWORD

    hostile_store(engine)
    settings = Settings(database_url=f"sqlite:///{tmp_path}/unused.db", data_dir=tmp_path)
    with engine.begin() as conn:
        auth.create_user(conn, "admin", PASSWORD, Role.admin)
    client = TestClient(create_app(settings, engine=engine))
    assert log_in(client, "admin").status_code == 303
    before = dump(engine)
    for name, params in (("workers", {}), ("checkins", {"period": "2026-10"})):
        for fmt in ("xlsx", "csv"):
            answer = client.get("/data/export", params={"table": name, "format": fmt} | params)
            assert answer.status_code == 200
            assert "13800001111" not in answer.content.decode("utf-8", "replace")
            preview = import_back(engine, answer.content, f"{name}.{fmt}")
            assert shown(preview) == [] and preview.failed == 0 and preview.unchanged > 0
    after = dump(engine)
    after["audit_log"] = before["audit_log"] = []  # each export is audited, as it should be
    assert after == before


def test_lianxin_export_then_import_apply_of_the_file_changes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from lianxin.cli.app import app
    from lianxin.store.engine import engine_for

    engine = engine_for(settings.database_url)
    hostile_store(engine)
    before = dump(engine)
    runner = CliRunner()
    for table, extra in (("workers", []), ("checkins", ["--period", "2026-10"])):
        out = tmp_path / f"{table}.xlsx"
        args = ["export", table, *extra, "--format", "xlsx", "--out", str(out)]
        assert runner.invoke(app, args).exit_code == 0
        applied = runner.invoke(app, ["import", str(out), "--apply"], env={"COLUMNS": "200"})
        assert applied.exit_code == 0, applied.output
        assert "Changed:" not in applied.output and "Added" not in applied.output
        assert "Nothing written: the store holds every record as the file has it." in (
            applied.output
        )
    assert dump(engine) == before
