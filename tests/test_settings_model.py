"""The settings model refuses the mistakes itself: every command stops at start-up on the same
words `lianxin config check` prints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from config.settings import DashboardSettings, NotifySettings, SourceSettings, get_settings
from lianxin.cli.app import app
from lianxin.errors import ConfigError

runner = CliRunner()


@pytest.fixture
def operator_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The operator's lianxin.toml, read by get_settings() as `lianxin run` reads it."""
    config = tmp_path / "lianxin.toml"
    config.write_text(f'database_url = "sqlite:///{tmp_path}/lx.db"\n', encoding="utf-8")
    monkeypatch.setenv("LIANXIN_CONFIG", str(config))
    get_settings.cache_clear()
    yield config
    get_settings.cache_clear()  # read afresh, after the test's environment is undone


def _start_up_error() -> str:
    with pytest.raises(ConfigError) as raised:
        get_settings()  # what `lianxin run`, the flows and the dashboard start with
    return str(raised.value)


@pytest.mark.parametrize(
    ("table", "where", "words"),
    [
        (
            '[rules]\ncheckin_statuses = ["employed", "lookin"]\n',
            "rules.checkin_statuses[1]",
            "'lookin' is not a work status",
        ),
        ("[rules]\ncheckin_last_dya = 12\n", "rules.checkin_last_dya", "is not a setting"),
        (
            '[[sources]]\nname = "a"\nurl = "https://example.gov.cn/"\nkindd = "roster"\n',
            "sources[0].kindd",
            "is not a setting",
        ),
        (
            '[rules]\ntimezone = "Asia/Shangai"\n',
            "rules.timezone",
            "'Asia/Shangai' is not a time zone",
        ),
        (
            '[notify.roles]\n"villiage:青山村" = ["outbox://"]\n',
            "notify.roles.villiage:青山村",
            "is not a role escalations go to",
        ),
    ],
)
def test_a_slip_stops_every_command_in_the_words_config_check_prints(
    operator_file: Path, table: str, where: str, words: str
) -> None:
    with operator_file.open("a", encoding="utf-8") as file:
        file.write(table)
    at_start_up = _start_up_error()
    checked = runner.invoke(
        app, ["config", "check"], env={"LIANXIN_CONFIG": str(operator_file), "COLUMNS": "200"}
    )
    assert checked.exit_code == 1, checked.output
    [line] = [line for line in checked.output.splitlines() if line.startswith(f"error: {where} ")]
    what, fix = line.split(": ", 2)[2].split("; fix: ")
    assert words in what
    assert at_start_up == f"{where}: {what}. Fix: {fix}"


def test_get_settings_counts_the_other_mistakes_config_check_lists(operator_file: Path) -> None:
    with operator_file.open("a", encoding="utf-8") as file:
        file.write('[rules]\ncheckin_statuses = ["x"]\ntimezone = "Mars/Olympus"\n')
    assert "(1 more: `lianxin config check` lists them all)" in _start_up_error()


def test_an_unknown_key_set_from_the_environment_stops_start_up_too(
    operator_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIANXIN_NOTIFY__DAILYCAP", "5")
    assert _start_up_error().startswith("notify.dailycap: is not a setting")


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (
            lambda: NotifySettings(pacing={"wecombot": "20 a minute"}),
            "notify.pacing.wecombot = '20 a minute': write it like \"20/minute\"",
        ),
        (
            lambda: DashboardSettings(login_rate="ten"),
            "dashboard.login_rate = 'ten': write it like \"10/minute\"",
        ),
        (
            lambda: DashboardSettings(prefect_ui_url="ftp://host"),
            "dashboard.prefect_ui_url = 'ftp://host': write the Prefect UI's http(s) address",
        ),
        (
            lambda: DashboardSettings(prefect_ui_url="   "),
            "dashboard.prefect_ui_url = '   ': write the Prefect UI's http(s) address",
        ),
        (lambda: SourceSettings(name="a", url="file:///tmp/x.html"), "is not an http(s) URL"),
        (lambda: SourceSettings(name="a", url="https://"), "is not an http(s) URL"),
    ],
)
def test_rates_and_web_addresses_are_checked_alike_in_every_table(
    make: Callable[[], Any], words: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        make()
    assert words in str(raised.value)


def test_a_web_address_is_taken_whatever_the_case_of_its_scheme() -> None:
    source = SourceSettings(name="a", url="HTTPS://example.gov.cn/")
    assert source.url == "HTTPS://example.gov.cn/"
    ui = DashboardSettings(prefect_ui_url=" HTTP://127.0.0.1:4200/ ")
    assert ui.prefect_ui_url == "HTTP://127.0.0.1:4200"
