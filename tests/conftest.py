"""Shared fixtures: a fresh database per test and settings of the test's own.

Also how the suite runs in parallel (pytest-xdist, `make test`): each worker process has its
own session fixtures (a PostgreSQL server, the migrated SQLite template, Prefect's test server);
tests go out one by one (`--dist load`, the fastest measured), so a module-scoped
fixture (a served dashboard, a `prefect server start`, Chromium) starts once on each worker that
runs one of its tests. The
markers `pg`, `browser` and `e2e` are set here from the fixtures a test uses (`make test-fast`
leaves them out); `slow` marks the modules of SLOW_MODULES, measured slow.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from config.settings import Settings, reset_settings
from lianxin.dashboard import auth
from lianxin.store.db import make_engine, migrate
from pg import PgServer, pg_bin_dir, throwaway_postgres

# The browser tests' Chromium and pages (tests/conftest_browser.py).
pytest_plugins = ["conftest_browser"]

# Argon2id costs 0.25 s a hash or a check by design (64 MiB, 3 passes), and the dashboard's
# tests make and check thousands: in tests, the same argon2id with the smallest cost. Set at
# import, before any test module hashes its personas' password. The tests of hashing itself
# assert the format (`$argon2id$`), which this keeps; the production cost is the library's.
auth._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
auth._DUMMY_HASH = auth._hasher.hash("the unknown user's password")

# Fixtures that start a Prefect server (test harness, `prefect server start`, the scale-out
# cluster): their tests are end-to-end. Chromium's fixtures make a test a browser test.
PREFECT_FIXTURES = {"prefect_server", "prefect_api", "cluster"}
BROWSER_FIXTURES = {"browser", "page"}
# Modules whose tests each take seconds (measured with `pytest --durations`): uploads parsed
# under limits, the installed command in subprocesses, stores of a county built for the
# overview, PDF and Office tables. `make test` runs them; `make test-fast` leaves them out.
SLOW_MODULES = {
    "test_hostile_uploads",
    "test_dashboard_overview",
    "test_tables_published",
    "test_dashboard_data_page",
    "test_hostile_cli",
    "test_hostile_i18n",
    "test_hostile_time",
    "test_reparse",
    "test_big_page",
    "test_text_properties",
    "test_config_cli",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark pg/browser/e2e from the fixtures a test uses, slow from SLOW_MODULES."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        if "postgres" in names or (callspec and callspec.params.get("engine") == "postgresql"):
            item.add_marker(pytest.mark.pg)
        if names & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if names & PREFECT_FIXTURES:
            item.add_marker(pytest.mark.e2e)
        if item.module is not None and item.module.__name__ in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """Run Prefect's test server once per test process (its start-up takes ~10-20 s here).

    Its tests find their own runs by flow-run id or by the latest start, so runs left by an
    earlier module do not count in a later one."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def postgres() -> Iterator[PgServer]:
    """Start one throw-away PostgreSQL server for the session, with a migrated template DB."""
    if pg_bin_dir() is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) are not installed on this machine")
    with throwaway_postgres() as server:
        server.admin("CREATE DATABASE lianxin_template")
        template = make_engine(server.url("lianxin_template"))
        migrate(template)
        template.dispose()
        yield server


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite store migrated once per worker; `engine` copies it (a migration takes ~0.2 s)."""
    path = tmp_path_factory.mktemp("template") / "lianxin.db"
    template = make_engine(f"sqlite:///{path}")
    migrate(template)
    template.dispose()  # the last connection closed: the WAL is checkpointed into the file
    return path


_databases = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """Return a freshly migrated database per test: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "lianxin.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
        return
    server: PgServer = request.getfixturevalue("postgres")
    name = f"test_{os.getpid()}_{next(_databases)}"
    server.admin(f"CREATE DATABASE {name} TEMPLATE lianxin_template")
    eng = make_engine(server.url(name))
    yield eng
    eng.dispose()
    server.admin(f"DROP DATABASE {name}")


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Point Lianxin's settings at the test's folder (store, archive, outbox)."""
    config = tmp_path / "lianxin.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path}/lianxin.db"\n'
        f'data_dir = "{tmp_path}"\n'
        f'[notify]\noutbox_dir = "{tmp_path}/outbox"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("LIANXIN_CONFIG", str(config))
    yield reset_settings()
    monkeypatch.delenv("LIANXIN_CONFIG")
    reset_settings()
