"""`lianxin config show|check|reference`, `lianxin db current|upgrade|backup`, and CLI habits."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from config.settings import Settings, reset_settings
from lianxin.cli.app import app
from lianxin.cli.config_doc import all_fields, render
from lianxin.cli.config_show import mask_url
from lianxin.store.db import make_engine, migrate
from lianxin.store.engine import engine_for
from lianxin.store.maintenance import revisions
from lianxin.store.schema import workers
from lianxin.store.writes import save_results
from personas import FETCHED, roster

runner = CliRunner()
# The checkout's copy of the reference; the package itself needs no docs/ (it renders the model).
REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"

# A county operator's file with the usual slips in it.
SLIPS = """
database_url = "sqlite:///{tmp}/lianxin.db"

[[sources]]
name = "青山村村务公开"
url = "ftp://example.gov.cn/qsc/index.html"
kind = "checkin"

[[sources]]
name = "青山村村务公开"
url = "https://example.gov.cn/qsc/cwgk/index.html"
encoding = "gbkk"

[notify]
default_routes = [
    "outbox://",
    "mailto://lianxin:${{SMTP_PASSWORD}}@mail.example.org?to=wangfang@example.org",
    "nosuchscheme://hooks.example.org/x",
    "wecombot://${{secret:qsc-wecom-key}}",
    "dingtalk://${{sqz_token}}/",
]
roles = {{ "villiage:青山村" = ["outbox://"] }}
templates_dir = "{tmp}/no-such-folder"

[rules]
timezone = "Asia/Shangai"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lianxin.toml"
    path.write_text(text.format(tmp=tmp_path), encoding="utf-8")
    return path


def _env(config: Path, **extra: str) -> dict[str, str]:
    return {"LIANXIN_CONFIG": str(config), "COLUMNS": "200", **extra}


@pytest.fixture
def no_secret_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    yield


def test_config_check_passes_on_a_sound_configuration(settings: Settings) -> None:
    engine_for(settings.database_url)  # created and migrated, as after a first run
    result = runner.invoke(app, ["config", "check"])
    assert result.exit_code == 0, result.output
    assert "configuration OK" in result.output


def test_config_check_names_each_mistake_on_one_line_with_its_fix(
    tmp_path: Path, no_secret_env: None
) -> None:
    config = _write(tmp_path, SLIPS)
    result = runner.invoke(app, ["config", "check"], env=_env(config))
    assert result.exit_code == 1, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert all("; fix: " in line for line in errors)

    def one(*needles: str) -> str:
        matches = [line for line in errors if all(n in line for n in needles)]
        assert len(matches) == 1, (needles, errors)
        return matches[0]

    one("sources[0]", ".url", "not an http(s) URL")
    one("sources[0]", ".kind", "'checkin'", "checkin_table")
    one("sources[1]", ".encoding", "'gbkk'")
    assert sum("is used by another source" in line for line in errors) == 2
    one("notify.default_routes[1]", "SMTP_PASSWORD is not set", "export SMTP_PASSWORD")
    one("notify.default_routes[2]", "Apprise does not understand")
    one("notify.default_routes[4]", "${sqz_token} is neither", "export SQZ_TOKEN")
    assert not any("default_routes[3]" in line for line in errors)  # a Secret block is fine
    one("notify.roles.villiage:青山村", "village:<村名>")
    one("notify.templates_dir", "is not a folder")
    one("rules.timezone", "'Asia/Shangai'")
    assert len(errors) == 11


def test_a_secret_that_is_exported_passes_and_is_never_printed(tmp_path: Path) -> None:
    config = _write(
        tmp_path,
        'database_url = "sqlite:///{tmp}/lianxin.db"\n[notify]\ndefault_routes = '
        '["mailto://lianxin:${{SMTP_PASSWORD}}@mail.example.org?to=wangfang@example.org"]\n',
    )
    result = runner.invoke(app, ["config", "check"], env=_env(config, SMTP_PASSWORD="s3cret-pa55"))
    assert result.exit_code == 0, result.output
    assert "s3cret-pa55" not in result.output


def test_an_invalid_value_is_one_line_naming_the_variable_that_set_it(settings: Settings) -> None:
    result = runner.invoke(
        app, ["config", "check"], env={"LIANXIN_NOTIFY__DAILY_CAP": "0", "COLUMNS": "200"}
    )
    assert result.exit_code == 1
    line = result.output.splitlines()[0]
    assert line.startswith("error: notify.daily_cap (from LIANXIN_NOTIFY__DAILY_CAP): ")
    assert "greater than or equal to 1" in line and "; fix: " in line


def test_a_misspelt_setting_in_the_file_is_named_with_the_file(tmp_path: Path) -> None:
    config = _write(tmp_path, "[notify]\ndaily_capp = 5\n")
    result = runner.invoke(app, ["config", "check"], env=_env(config))
    assert result.exit_code == 1
    assert f"error: notify.daily_capp (from {config.resolve()}): is not a setting" in result.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[notify\ndaily_cap = 5\n", "not valid TOML"),
        (None, "is not a file"),
    ],
)
def test_a_configuration_that_cannot_be_read_exits_2(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    config = tmp_path / "lianxin.toml"
    if content is not None:
        config.write_text(content, encoding="utf-8")
    for command in (["config", "check"], ["config", "show"]):
        result = runner.invoke(app, command, env=_env(config))
        assert result.exit_code == 2, result.output
        assert expected in result.output and str(config) in result.output


def test_config_check_warns_when_the_database_is_behind_its_migrations(
    settings: Settings,
) -> None:
    engine = make_engine(settings.database_url)
    migrate(engine, "0006")
    engine.dispose()
    result = runner.invoke(app, ["config", "check"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "warning: database_url: the database is at 0006" in result.output
    assert "lianxin db upgrade" in result.output


def test_config_check_says_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    config = _write(
        tmp_path, 'database_url = "postgresql+psycopg://lianxin:pw-xyz@127.0.0.1:9/lianxin"\n'
    )
    result = runner.invoke(app, ["config", "check"], env=_env(config))
    assert result.exit_code == 1
    assert "error: database_url: cannot connect to" in result.output
    assert "pw-xyz" not in result.output


def test_config_show_masks_secrets_keeps_placeholders_and_names_the_layers(
    tmp_path: Path,
) -> None:
    config = _write(
        tmp_path,
        'database_url = "postgresql+psycopg://lianxin:db-pa55@db.example.org/lianxin"\n'
        "[notify]\n"
        'default_routes = ["mailto://lianxin:hunter2@mail.example.org?to=wangfang@example.org"]\n'
        'routes = {{ "青山村" = ["wecombot://${{QSC_BOT_KEY}}",'
        ' "wecombot://a1b2c3d4e5f6a7b8c9d0e1f2", "json://hooks.example.org/in?token=tk-77"] }}\n',
    )
    env = _env(config, LIANXIN_NOTIFY__DAILY_CAP="7", QSC_BOT_KEY="bot-key-value")
    text = runner.invoke(app, ["config", "show"], env=env)
    as_json = runner.invoke(app, ["config", "show", "--json"], env=env)
    assert text.exit_code == 0 and as_json.exit_code == 0, text.output + as_json.output
    for output in (text.output, as_json.output):
        for secret in ("db-pa55", "hunter2", "a1b2c3d4e5f6a7b8c9d0e1f2", "tk-77", "bot-key-value"):
            assert secret not in output
        assert "wecombot://${QSC_BOT_KEY}" in output
        assert "LIANXIN_NOTIFY__DAILY_CAP" in output and str(config.resolve()) in output
    data = json.loads(as_json.output)
    assert data["layers"]["environment"] == ["LIANXIN_NOTIFY__DAILY_CAP"]
    assert data["settings"]["notify"]["daily_cap"] == 7
    assert (
        data["settings"]["database_url"]
        == "postgresql+psycopg://lianxin:***@db.example.org/lianxin"
    )
    # The text form is TOML an operator can copy from: it reads back as the same settings.
    shown = tomllib.loads(text.output)
    assert shown["notify"]["routes"] == data["settings"]["notify"]["routes"]
    assert shown["schedules"]["daily_morning"]["cron"] == "30 8 * * *"  # a nested table


def test_masking_keeps_what_an_operator_needs_to_recognise_a_route() -> None:
    assert mask_url("mailto://lx:${SMTP_PASSWORD}@mail.example.org") == (
        "mailto://lx:${SMTP_PASSWORD}@mail.example.org"
    )
    assert mask_url("mailto://lx:hunter2@mail.example.org") == "mailto://lx:***@mail.example.org"
    assert mask_url("dingtalk://0123456789abcdef0123/") == "dingtalk://0123…/"
    assert mask_url("https://oapi.dingtalk.com/robot/send?access_token=abc&x=1") == (
        "https://oapi.dingtalk.com/robot/send?access_token=***&x=1"
    )


def test_the_configuration_reference_is_generated_from_the_model_and_up_to_date() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render(), (
        "docs/configuration.md is stale: python -m lianxin.cli.config_doc > docs/configuration.md"
    )
    result = runner.invoke(app, ["config", "reference"])
    assert result.exit_code == 0 and result.output == render()
    assert "| `notify.daily_cap` | `LIANXIN_NOTIFY__DAILY_CAP` | integer (≥ 1) | `20` |" in render()


def test_every_setting_has_a_description() -> None:
    undescribed = [path for path, info in all_fields() if not (info.description or "").strip()]
    assert not undescribed, f"add Field(description=…) in config/*.py: {undescribed}"


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    # Typer carries its own copy of click: walk groups by what they have, not by class.
    yield path, command
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from _commands(sub, (*path, name))


def test_every_command_and_group_has_a_purpose_and_an_example_in_its_help() -> None:
    root = typer.main.get_command(app)
    found = list(_commands(root))[1:]
    assert {"config", "db", "demo", "run"} <= {path[0] for path, _ in found}
    lacking = []
    for path, command in found:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        if not (command.help or "").strip() or "Example" not in result.output:
            lacking.append("lianxin " + " ".join(path))
    assert not lacking, f"give these a one-line purpose and an Example: line: {lacking}"


def test_the_exit_codes_are_explained_in_the_top_level_help() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert "Exit codes: 0" in result.output and "1 something to act on" in result.output
    assert "2 the command could not run" in result.output


def test_db_upgrade_brings_a_new_database_to_the_current_migration(settings: Settings) -> None:
    before = runner.invoke(app, ["db", "current"])
    assert before.exit_code == 1 and "does not exist yet" in before.output
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0 and "upgraded: empty → " in upgraded.output
    after = runner.invoke(app, ["db", "current"])
    assert after.exit_code == 0, after.output
    assert runner.invoke(app, ["db", "upgrade"]).output.count("already at") == 1


def test_a_backup_taken_while_the_store_is_open_restores_every_record(
    settings: Settings, tmp_path: Path
) -> None:
    engine = engine_for(settings.database_url)
    save_results(engine, [roster()], FETCHED)
    with engine.connect() as conn:  # a reader holds the WAL open during the backup
        count = conn.execute(select(func.count()).select_from(workers)).scalar_one()
        backup = tmp_path / "backup" / "lianxin-2026-11-08.db"
        result = runner.invoke(app, ["db", "backup", str(backup)])
        assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["db", "backup", str(backup)]).exit_code == 2  # no overwrite
    with sqlite3.connect(backup) as copy:  # one file, no -wal beside it to carry along
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"

    restored = tmp_path / "restored" / "lianxin.db"
    restored.parent.mkdir()
    shutil.copyfile(backup, restored)
    again = make_engine(f"sqlite:///{restored}")
    with again.connect() as conn:
        assert conn.execute(select(func.count()).select_from(workers)).scalar_one() == count > 0
    assert revisions(again).at_head
    again.dispose()


def test_db_backup_refuses_a_database_that_is_not_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIANXIN_DATABASE_URL", "postgresql+psycopg://lianxin@db.example.org/lx")
    reset_settings()
    try:
        result = runner.invoke(app, ["db", "backup", str(tmp_path / "x.db")])
    finally:
        monkeypatch.delenv("LIANXIN_DATABASE_URL")
        reset_settings()
    assert result.exit_code == 2 and "pg_dump" in result.output
