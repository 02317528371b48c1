"""`lianxin db copy --to URL`: an SQLite store copied into PostgreSQL, checked by counts and by
a full evaluation giving the same statuses on both (issue 16 item 5)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from config.settings import Settings
from lianxin.cli.app import app
from lianxin.rules.evaluate import evaluate
from lianxin.store import schema as t
from lianxin.store.db import make_engine, migrate
from lianxin.store.maintenance import revisions
from lianxin.synth import generate
from pg import PgServer

PASSWORD = "s3cret-Pa55"
_names = itertools.count()


def _target(postgres: PgServer) -> str:
    """Create an empty database (no schema) and return its URL, with a password in it."""
    name = f"copy_{next(_names)}"
    postgres.admin(f"CREATE DATABASE {name}")
    # The test server trusts loopback: the password is carried, never checked.
    return postgres.url(name).replace(f"{postgres.user}@", f"{postgres.user}:{PASSWORD}@")


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for table in t.metadata.sorted_tables
        }


def _obligations(engine: Engine) -> list[tuple[Any, ...]]:
    o = t.obligations
    columns = [o.c.id, o.c.kind, o.c.subject, o.c.period, o.c.due, o.c.status, o.c.level]
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(*columns).order_by(o.c.id))]


def _instants(engine: Engine) -> list[datetime]:
    ev = t.obligation_events
    with engine.connect() as conn:
        stamps = conn.execute(select(ev.c.at).order_by(ev.c.id)).scalars().all()
    return [s if s.tzinfo else s.replace(tzinfo=UTC) for s in stamps]


def _copy(*args: str) -> Any:
    return CliRunner().invoke(app, ["db", "copy", *args], env={"COLUMNS": "200"})


@pytest.fixture
def village_store(settings: Settings) -> tuple[Engine, date]:
    """A village's synthetic six months on SQLite, evaluated as of its last day."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    today = generate(engine, "village", progress=False).today
    evaluate(engine, today, settings.rules, datetime(2026, 11, 20, tzinfo=UTC))
    return engine, today


def test_it_copies_every_row_and_both_stores_then_evaluate_alike(
    village_store: tuple[Engine, date], settings: Settings, postgres: PgServer
) -> None:
    source, today = village_store
    url = _target(postgres)
    result = _copy("--to", url)
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "***" in result.output and "rows/s" in result.output
    assert "DIFFERS" not in result.output

    target = make_engine(url)
    counts = _counts(source)
    assert counts["workers"] >= 250 and counts["obligation_events"] > 0
    assert _counts(target) == counts
    assert revisions(target).at_head  # made by the migrations: later upgrades work
    assert _obligations(target) == _obligations(source)
    assert _instants(target) == _instants(source)  # SQLite's naive UTC read back as UTC

    # Next month on both: new obligations take ids after the copied ones (sequences reset).
    later = today + timedelta(days=25)
    now = datetime(2026, 12, 16, tzinfo=UTC)
    on_sqlite = evaluate(source, later, settings.rules, now)
    on_postgres = evaluate(target, later, settings.rules, now)
    assert on_sqlite.created > 0
    assert on_postgres.as_dict() == on_sqlite.as_dict()
    assert _obligations(target) == _obligations(source)
    assert _counts(target) == _counts(source)
    target.dispose()


def test_it_refuses_a_target_holding_data_unless_forced(
    village_store: tuple[Engine, date], postgres: PgServer
) -> None:
    url = _target(postgres)
    assert _copy("--to", url).exit_code == 0
    again = _copy("--to", url)
    assert again.exit_code == 2, again.output
    assert "holds data" in again.output and "--force" in again.output
    assert PASSWORD not in again.output
    forced = _copy("--to", url, "--force")
    assert forced.exit_code == 0, forced.output
    target = make_engine(url)
    assert _counts(target) == _counts(village_store[0])
    target.dispose()


def test_it_refuses_a_target_that_is_not_postgresql(
    village_store: tuple[Engine, date], tmp_path: Any
) -> None:
    result = _copy("--to", f"sqlite:///{tmp_path}/other.db")
    assert result.exit_code == 2, result.output
    assert "must be PostgreSQL" in result.output
