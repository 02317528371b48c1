"""Every bad input to the `lianxin` command ends in one line naming what is wrong, never in a
traceback; an ingest that fetched nothing fails; a config file's relative paths are its own.

The operator's store holds 李建国's and 周敏's workers of 青山村 and 河湾村 (tests/personas.py).
Most cases run `lianxin.cli.app.main`, the console script's own function, in this process; the ones
where the installed script, the working directory or a Prefect server matter run
`.venv/bin/lianxin` as a subprocess.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import Settings, get_settings
from lianxin.cli.app import main
from lianxin.cli.orchestrate import fetch_verdict
from lianxin.cli.prefect_server import local_prefect_server
from lianxin.store import reads
from lianxin.store.engine import engine_for
from lianxin.store.writes import save_results
from personas import FETCHED, roster

LIANXIN = str(Path(sys.executable).with_name("lianxin"))


def closed_port() -> int:
    """Return a loopback port nobody listens on (bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _store(path: Path) -> str:
    """Create an SQLite store at `path` holding the personas' roster; return its URL."""
    url = f"sqlite:///{path}"
    save_results(engine_for(url), [roster()], FETCHED)
    return url


@pytest.fixture
def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Iterator[object]:
    """Return a runner of `main(argv)` with these LIANXIN_ variables: (exit code, lines)."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith("LIANXIN_"):
            monkeypatch.delenv(name)

    def run(argv: list[str], **env: str) -> tuple[int, list[str]]:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        capsys.readouterr()
        with pytest.raises(SystemExit) as ended:
            main(argv)
        out, err = capsys.readouterr()
        for name in env:
            monkeypatch.delenv(name)
        lines = [line for line in (out + err).splitlines() if line.strip()]
        assert not any("Traceback" in line for line in lines), "\n".join(lines)
        return int(ended.value.code or 0), lines

    yield run
    get_settings.cache_clear()


def _one_line(result: tuple[int, list[str]], *words: str) -> str:
    code, lines = result
    assert code == 2, lines
    assert len(lines) == 1, lines
    (line,) = lines
    for word in words:
        assert word in line, line
    return line


def test_a_missing_config_file_is_one_line_from_the_installed_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANXIN_")}
    env["LIANXIN_CONFIG"] = str(tmp_path / "nowhere.toml")
    done = subprocess.run(
        [LIANXIN, "status"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stdout == "" and "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: LIANXIN_CONFIG: ") and "nowhere.toml is not a file" in line
    assert list(tmp_path.iterdir()) == []  # no store made in its place


def test_garbled_toml_names_the_file_and_the_line(run_main, tmp_path: Path) -> None:
    config = tmp_path / "lianxin.toml"
    config.write_text('database_url = "sqlite:///x.db\n', encoding="utf-8")
    _one_line(run_main(["status"], LIANXIN_CONFIG=str(config)), "lianxin.toml", "line 1")
    assert not (tmp_path / "x.db").exists()


def test_an_out_of_range_rule_names_the_setting_and_the_value(run_main, tmp_path: Path) -> None:
    config = tmp_path / "lianxin.toml"
    config.write_text("[rules]\ncheckin_last_day = 45\n", encoding="utf-8")
    line = _one_line(run_main(["status"], LIANXIN_CONFIG=str(config)), "rules.checkin_last_day")
    assert "45" in line and "28" in line


def test_an_unknown_setting_is_refused_by_name(run_main, tmp_path: Path) -> None:
    config = tmp_path / "lianxin.toml"
    config.write_text('databse_url = "sqlite:///x.db"\n', encoding="utf-8")
    _one_line(
        run_main(["users", "list"], LIANXIN_CONFIG=str(config)), "databse_url", "not a setting"
    )


def test_an_environment_value_out_of_range_is_one_line_too(run_main) -> None:
    _one_line(run_main(["status"], LIANXIN_NOTIFY__DAILY_CAP="0"), "notify.daily_cap", "(got '0')")


def test_a_file_that_is_not_a_database_is_named_and_left_alone(run_main, tmp_path: Path) -> None:
    store = tmp_path / "lianxin.db"
    store.write_bytes(b"this is a spreadsheet, not a store\n" * 200)
    before = store.read_bytes()
    line = _one_line(
        run_main(["status"], LIANXIN_DATABASE_URL=f"sqlite:///{store}"),
        "database_url",
        "not a database",
        "backup",
    )
    assert line.startswith("error: ")
    assert store.read_bytes() == before


def test_a_read_only_database_says_so(run_main, tmp_path: Path) -> None:
    store = tmp_path / "lianxin.db"
    store.write_bytes(b"")  # a new store, which the migration must write
    url = f"sqlite:///file:{store}?mode=ro&uri=true"
    _one_line(run_main(["users", "list"], LIANXIN_DATABASE_URL=url), "readonly", "writable")
    assert store.read_bytes() == b""


def test_a_store_whose_folder_is_a_file_says_what_to_fix(run_main, tmp_path: Path) -> None:
    (tmp_path / "var").write_text("a file where the folder should be", encoding="utf-8")
    _one_line(
        run_main(["status"], LIANXIN_DATABASE_URL=f"sqlite:///{tmp_path}/var/lianxin.db"),
        str(tmp_path / "var"),
        "a file stands where a folder should be",
    )


def test_a_postgresql_server_that_refuses_is_one_line(run_main) -> None:
    url = f"postgresql+psycopg://lianxin:s3cret@127.0.0.1:{closed_port()}/lianxin"
    line = _one_line(
        run_main(["users", "list"], LIANXIN_DATABASE_URL=url),
        "database_url",
        "refused",
        "start the database server",
    )
    assert "s3cret" not in line


def test_an_income_beyond_the_bound_is_one_line_and_records_nothing(
    run_main, tmp_path: Path
) -> None:
    url = _store(tmp_path / "lianxin.db")
    before = reads.counts(engine_for(url))
    argv = ["checkin", "record", "张伟", "--date", "2026-11-05", "--income", "99999999999"]
    line = _one_line(run_main(argv, LIANXIN_DATABASE_URL=url), "--income", "99999999999")
    assert "more than 200000 yuan" in line
    assert reads.counts(engine_for(url)) == before


def test_an_unknown_work_status_lists_the_valid_ones(run_main, tmp_path: Path) -> None:
    url = _store(tmp_path / "lianxin.db")
    before = reads.counts(engine_for(url))
    argv = ["checkin", "record", "张伟", "--date", "2026-11-05", "--status", "bogus"]
    line = _one_line(run_main(argv, LIANXIN_DATABASE_URL=url), "--status", "bogus")
    for status in ("employed", "looking", "returned", "other"):
        assert status in line
    assert reads.counts(engine_for(url)) == before


# --- one exit-code policy (lianxin/cli/errors.py): 2 cannot run as asked, 1 any other LianxinError


def test_a_usage_mistake_exits_2_from_any_group(run_main, tmp_path: Path) -> None:
    url = _store(tmp_path / "lianxin.db")
    _one_line(run_main(["checkin", "record", "张伟"], LIANXIN_DATABASE_URL=url), "--date")
    _one_line(run_main(["db", "backup"], LIANXIN_DATABASE_URL=url), "'target'")


def test_a_refused_request_exits_2_from_any_group(run_main, tmp_path: Path) -> None:
    url = _store(tmp_path / "lianxin.db")
    argv = ["checkin", "record", "无名氏", "--date", "2026-11-05"]
    _one_line(run_main(argv, LIANXIN_DATABASE_URL=url), "no roster worker", "无名氏")
    argv = ["export", "nothing", "--out", str(tmp_path / "x.csv")]
    _one_line(run_main(argv, LIANXIN_DATABASE_URL=url), "unknown table 'nothing'")


@pytest.mark.parametrize(
    ("argv", "target"),
    [
        (["problem", "rectified", "https://x/notice.html#1"], "lianxin.services.problems.mark"),
        (["users", "list"], "lianxin.dashboard.auth.list_users"),
    ],
    ids=["problem", "users"],
)
def test_any_other_lianxin_error_exits_1_in_one_line(
    run_main, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], target: str
) -> None:
    from lianxin.errors import ChannelError

    def fails(*args: object, **kwargs: object) -> None:
        raise ChannelError("wecom", "the channel is down")

    monkeypatch.setattr(target, fails)
    code, lines = run_main(argv, LIANXIN_DATABASE_URL=_store(tmp_path / "lianxin.db"))
    assert (code, lines) == (1, ["error: wecom: the channel is down"])


def test_relative_paths_in_a_config_file_are_read_from_its_folder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "store").mkdir()
    _store(site / "store" / "lianxin.db")
    config = site / "lianxin.toml"
    config.write_text(
        'database_url = "sqlite:///store/lianxin.db"\ndata_dir = "store"\n'
        '[notify]\noutbox_dir = "store/outbox"\n',
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANXIN_")}
    env.update(LIANXIN_CONFIG=str(config), COLUMNS="200")
    done = subprocess.run(
        [LIANXIN, "status"], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    counts = next(line for line in done.stdout.splitlines() if line.startswith("│"))
    assert counts.split("│")[3].strip() == "4"  # 张伟, 刘洋, 陈静 and 王磊
    assert list(elsewhere.iterdir()) == []  # no empty store made where the command ran


def test_paths_from_the_environment_and_the_defaults_keep_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "conf" / "lianxin.toml"
    config.parent.mkdir()
    config.write_text('[notify]\ntemplates_dir = "mine"\n', encoding="utf-8")
    monkeypatch.setenv("LIANXIN_CONFIG", str(config))
    monkeypatch.setenv("LIANXIN_DATA_DIR", "here")
    settings = Settings()
    assert settings.notify.templates_dir == tmp_path / "conf" / "mine"
    assert settings.data_dir == Path("here")  # the environment's: the working directory's
    assert settings.database_url == "sqlite:///var/lianxin.db"  # the defaults' likewise
    assert settings.notify.outbox_dir == Path("var/outbox")


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_prefect_server(tmp_path_factory.mktemp("prefect")) as api:
        yield api


def test_an_ingest_with_every_source_unreachable_fails_fast_in_one_line(
    tmp_path: Path, prefect_api: str
) -> None:
    port = closed_port()
    config = tmp_path / "lianxin.toml"
    config.write_text(
        'database_url = "sqlite:///lianxin.db"\ndata_dir = "."\n'
        + "".join(
            f'[[sources]]\nname = "{name}"\nurl = "http://127.0.0.1:{port}/{name}.html"\n'
            for name in ("qingshan", "hewan", "shiqiao")
        ),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANXIN_")}
    env.update(LIANXIN_CONFIG=str(config), PREFECT_API_URL=prefect_api)
    started = time.monotonic()
    done = subprocess.run(
        [LIANXIN, "run", "ingest"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: all 3 sources failed to fetch; nothing was fetched"]
    failed = [line for line in done.stderr.splitlines() if line.startswith("source failed:")]
    assert len(failed) == 3 and all("connection refused" in line for line in failed)
    assert elapsed < 45, f"{elapsed:.1f} s"  # no retries of a port nobody listens on


def test_a_partly_failed_ingest_succeeds_and_names_each_failed_source() -> None:
    summary = {"sources": 3, "failed_sources": ["http://a.test/x.html: fetch failed"]}
    lines, code = fetch_verdict("daily", {"ingest": summary})
    assert code == 0
    assert lines == [
        "source failed: http://a.test/x.html: fetch failed",
        "1 of 3 sources failed to fetch; the others were stored",
    ]
    assert fetch_verdict("ingest", {"sources": 0, "failed_sources": []}) == ([], 0)
    assert fetch_verdict("followups", {"created": 2}) == ([], 0)
