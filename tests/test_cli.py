from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from config.settings import Settings
from lianxin.cli import app
from lianxin.portal import build_site
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
    for command in ("demo", "run", "parse", "status"):
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
