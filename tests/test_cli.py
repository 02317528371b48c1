from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from config.settings import Settings
from lianxin.cli.app import app
from lianxin.portal import build_site
from lianxin.store import reads
from lianxin.store.engine import engine_for
from lianxin.store.writes import save_results
from personas import FETCHED, roster

runner = CliRunner()


def _sample_page(tmp_path: Path, needle: str) -> Path:
    site = build_site()
    for path, (content, _type) in site.items():
        if needle in path:
            target = tmp_path / Path(path).name
            target.write_bytes(content)
            return target
    raise AssertionError(f"no sample page matching {needle}")


def test_help_explains_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "run", "parse", "status", "serve", "backfill"):
        assert command in result.output


def test_status_shows_counts_and_overdue_cadres(settings: Settings) -> None:
    save_results(engine_for(settings.database_url), [roster()], FETCHED)
    result = runner.invoke(app, ["status"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "workers" in result.output and "Last runs" in result.output


def test_run_rejects_an_unknown_flow() -> None:
    result = runner.invoke(app, ["run", "everything"])
    assert result.exit_code != 0


def test_parse_prints_the_records_of_a_gbk_check_in_table_with_phones_masked() -> None:
    fixture = Path(__file__).parent / "fixtures" / "checkin_gbk.html"
    result = runner.invoke(app, ["parse", str(fixture), "--json"])
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.output)
    assert data["report"]["kind"] == "checkin_table"
    assert data["checkins"] and all(
        c["worker_phone"] is None or "****" in c["worker_phone"] for c in data["checkins"]
    )
    assert any(q["reason"].startswith("totals row") for q in data["quarantined"])


def test_parse_reads_a_sample_portal_page_as_a_table(tmp_path: Path) -> None:
    page = _sample_page(tmp_path, "/jyfw/2026")
    result = runner.invoke(app, ["parse", str(page)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "kind: roster" in result.output and "workers (" in result.output


def _evaluated(settings: Settings, day: int) -> None:
    from datetime import UTC, date, datetime

    from lianxin.rules.evaluate import evaluate

    engine = engine_for(settings.database_url)
    save_results(engine, [roster()], FETCHED)
    evaluate(engine, date(2026, 11, day), settings.rules, datetime(2026, 11, day, tzinfo=UTC))


def test_explain_tells_why_a_worker_owes_a_call_and_what_happened(settings: Settings) -> None:
    _evaluated(settings, 12)
    result = runner.invoke(app, ["explain", "张伟"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "monthly_checkin 2026-11" in result.output
    # Evaluated first after the due date: born overdue, saying why in the reader's language.
    assert "∅ → overdue" in result.output
    assert "到期仍无回访记录" in result.output  # "no call recorded by the due date", in zh


def test_preview_lists_the_coming_digests_and_escalations_without_writing(
    settings: Settings,
) -> None:
    _evaluated(settings, 9)
    before = reads.counts(engine_for(settings.database_url))
    result = runner.invoke(
        app, ["preview", "--as-of", "2026-11-10", "--days", "5"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "remind 李建国: last_day digest, 2 items" in result.output
    assert "remind 李建国: overdue digest" in result.output
    assert "escalate" in result.output and "to the village lead" in result.output
    assert reads.counts(engine_for(settings.database_url)) == before


def test_waive_needs_a_known_category_and_records_who_decided(settings: Settings) -> None:
    _evaluated(settings, 12)
    bad = runner.invoke(
        app, ["waive", "青山村|张伟|1111", "--category", "bored", "--reason", "x", "--by", "王芳"]
    )
    assert bad.exit_code != 0
    good = runner.invoke(
        app,
        [
            "waive",
            "青山村|张伟|1111",
            "--category",
            "moved_out",
            "--reason",
            "全家迁往长沙",
            "--by",
            "王芳（村支书）",
            "--on",
            "2026-11-12",
        ],
    )
    assert good.exit_code == 0, good.output
    _evaluated(settings, 13)
    explained = runner.invoke(app, ["explain", "张伟"], env={"COLUMNS": "200"})
    assert "王芳（村支书）已豁免（迁出本县）：全家迁往长沙" in explained.output


def test_recording_a_call_closes_the_overdue_obligation_at_once(settings: Settings) -> None:
    _evaluated(settings, 16)  # six days late: escalated to the village lead
    result = runner.invoke(
        app,
        [
            "checkin",
            "record",
            "张伟",
            "--date",
            "2026-11-16",
            "--reached",
            "--income",
            "4200",
            "--note",
            "工资按时发放",
            "--by",
            "李建国",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "monthly_checkin:escalated→done" in result.output
    explained = runner.invoke(app, ["explain", "张伟"], env={"COLUMNS": "200"})
    assert "escalated → done" in explained.output


def test_recording_a_call_for_nobody_known_says_so(settings: Settings) -> None:
    _evaluated(settings, 12)
    result = runner.invoke(app, ["checkin", "record", "无名氏", "--date", "2026-11-12"])
    assert result.exit_code == 2 and "no roster worker" in result.output
