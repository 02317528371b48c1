"""The synthetic stores: deterministic, keyed like parsed data, and full of the cases rules need."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from config.settings import RulesSettings
from lianxin.records import cadre_key, period_index, person_key, worker_key
from lianxin.rules.evaluate import evaluate
from lianxin.store import schema as t
from lianxin.store.db import make_engine, migrate
from lianxin.synth import generate, publish_next_day

NOW = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)
LAST = "2026-11"


def _fresh(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine


def _dump(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {
            table.name: conn.execute(select(table).order_by(table.c.id)).all()
            for table in (t.regions, t.cadres, t.workers, t.checkins, t.problems)
        }


def _scalar(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


@pytest.fixture(scope="module")
def village(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A village-scale store generated once for the read-only tests of this module."""
    engine = _fresh(tmp_path_factory.mktemp("synth") / "village.db")
    generate(engine, "village")
    return engine


def test_it_writes_the_same_rows_for_the_same_seed(tmp_path: Path, village: Engine) -> None:
    again = _fresh(tmp_path / "again.db")
    stats = generate(again, "village")
    assert (stats.workers, stats.cadres) == (300, 15)
    assert _dump(again) == _dump(village)
    other = _fresh(tmp_path / "other.db")
    generate(other, "village", seed=8)
    assert _dump(other)["checkins"] != _dump(village)["checkins"]


def test_its_keys_are_the_ones_the_store_writers_compute(village: Engine) -> None:
    with village.connect() as conn:
        for w in conn.execute(select(t.workers)).mappings():
            assert w["key"] == worker_key(w["village"], w["name"], w["phone"])
            assert w["person_key"] == person_key(w["village"], w["name"])
        for k in conn.execute(select(t.cadres)).mappings():
            assert k["key"] == cadre_key(k["town"], k["name"])
        for c in conn.execute(select(t.checkins)).mappings():
            assert c["worker_key"] == worker_key(c["village"], c["worker_name"], c["worker_phone"])
            assert c["period_index"] == period_index(c["period"])


def test_every_matched_checkin_and_every_worker_cadre_exists(village: Engine) -> None:
    orphans = _scalar(
        village,
        "SELECT count(*) FROM checkins c WHERE c.matched_key IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM workers w WHERE w.key = c.matched_key)",
    )
    cadreless = _scalar(
        village,
        "SELECT count(*) FROM workers w "
        "WHERE NOT EXISTS (SELECT 1 FROM cadres k WHERE k.key = w.cadre_key)",
    )
    assert (orphans, cadreless) == (0, 0)
    assert _scalar(village, "SELECT count(*) FROM checkins WHERE matched_key IS NULL") > 0


def test_its_history_holds_every_case_the_rules_look_for(village: Engine) -> None:
    twice_unreachable = _scalar(
        village,
        "SELECT count(*) FROM checkins a JOIN checkins b ON b.matched_key = a.matched_key "
        "AND b.period_index = a.period_index + 1 WHERE a.reached = 0 AND b.reached = 0",
    )
    jobless = _scalar(
        village, "SELECT count(*) FROM checkins WHERE income_yuan = 0 AND status = 'looking'"
    )
    returned = _scalar(village, "SELECT count(*) FROM workers WHERE status = 'returned'")
    late = _scalar(
        village, "SELECT count(*) FROM checkins WHERE CAST(substr(call_date, 9, 2) AS INT) > 10"
    )
    silent_cadres = _scalar(
        village,
        "SELECT count(*) FROM cadres k WHERE NOT EXISTS (SELECT 1 FROM checkins c "
        f"WHERE c.cadre = k.name AND c.period = '{LAST}')",
    )
    sharp_falls = _scalar(
        village,
        "SELECT count(*) FROM checkins a JOIN checkins b ON b.matched_key = a.matched_key "
        "AND b.period_index = a.period_index + 1 WHERE b.income_yuan * 2 < a.income_yuan "
        "AND b.income_yuan > 0",
    )
    assert min(twice_unreachable, jobless, returned, late, silent_cadres, sharp_falls) > 0
    # The last month is still running: no call after today (the 8th) is published.
    assert _scalar(village, f"SELECT count(*) FROM checkins WHERE call_date >= '{LAST}-08'") == 0
    assert _scalar(village, "SELECT count(*) FROM problems") > 0
    assert (
        _scalar(
            village,
            "SELECT count(*) FROM problems "
            "WHERE status IN ('rectified', 'verified') AND rectified_on IS NULL",
        )
        == 0
    )


def test_the_rules_run_over_it_and_the_next_day_trickle_is_picked_up(tmp_path: Path) -> None:
    engine = _fresh(tmp_path / "rules.db")
    generate(engine, "village")
    stats = evaluate(engine, date(2026, 11, 8), RulesSettings(), NOW)
    assert stats.by_status["done"] > 0 and stats.by_status["open"] > 0
    daily = publish_next_day(
        engine, date(2026, 11, 9), datetime(2026, 11, 9, 1, tzinfo=UTC), share=0.05
    )
    assert daily.checkins > 0
    after = evaluate(
        engine, date(2026, 11, 9), RulesSettings(), datetime(2026, 11, 9, 2, tzinfo=UTC)
    )
    assert after.by_status["done"] == stats.by_status["done"] + daily.checkins


def test_it_bulk_loads_sqlite_and_postgresql_alike(engine: Engine) -> None:
    stats = generate(engine, "village", months=3)
    with engine.connect() as conn:
        checkins = conn.execute(select(func.count()).select_from(t.checkins)).scalar_one()
        matched = conn.execute(
            select(func.count()).select_from(
                t.checkins.join(t.workers, t.workers.c.key == t.checkins.c.matched_key)
            )
        ).scalar_one()
        indexes = conn.execute(
            text("SELECT count(*) FROM pg_indexes WHERE tablename = 'checkins'")
            if engine.dialect.name == "postgresql"
            else text("SELECT count(*) FROM sqlite_master WHERE tbl_name = 'checkins'")
        ).scalar_one()
    assert checkins == stats.checkins
    assert matched == stats.checkins - stats.unmatched_checkins
    assert indexes >= 5  # the secondary indexes dropped for the load are back
