"""Shared fixtures: a fresh database per test and settings of the test's own."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from config.settings import Settings, reset_settings
from lianxin.store.db import make_engine, migrate
from pg import PgServer, pg_bin_dir, throwaway_postgres

# The browser tests' Chromium and pages (tests/conftest_browser.py).
pytest_plugins = ["conftest_browser"]


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


_databases = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """Return a freshly migrated database per test: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path}/lianxin.db")
        migrate(eng)
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
