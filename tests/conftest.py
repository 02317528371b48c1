"""Shared fixtures: a fresh database per test and settings of the test's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from config.settings import Settings, reset_settings
from lianxin.store.db import make_engine, migrate


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """Return a freshly migrated SQLite database in the test's own folder."""
    eng = make_engine(f"sqlite:///{tmp_path}/lianxin.db")
    migrate(eng)
    yield eng
    eng.dispose()


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
