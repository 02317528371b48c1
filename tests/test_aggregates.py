from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, case, func, select

from config.settings import RulesSettings
from lianxin.rules.evaluate import evaluate
from lianxin.rules.waivers import WaiverCategory, add_waiver
from lianxin.services.calls import record_call
from lianxin.store import schema as t
from lianxin.store.aggregates import refresh_compliance, touched_periods
from lianxin.store.db import make_engine, migrate
from lianxin.store.writes import save_results
from personas import checkins, roster

NOW = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)
RULES = RulesSettings()
STATUSES = ("done", "open", "overdue", "escalated", "waived")
Row = tuple[Any, ...]


BY_VILLAGE = ("period", "town", "village")


def _direct(engine: Engine, keys: tuple[str, ...] = BY_VILLAGE) -> set[Row]:
    """Count the check-in obligations by `keys` and status straight from the obligations."""
    o = t.obligations
    columns = [o.c[k] for k in keys]
    query = (
        select(
            *columns,
            func.count(),
            *(func.sum(case((o.c.status == s, 1), else_=0)) for s in STATUSES),
        )
        .where(o.c.kind == "monthly_checkin")
        .group_by(*columns)
    )
    with engine.connect() as conn:
        return {tuple(r) for r in conn.execute(query)}


def _kept(
    engine: Engine,
    table: Table = t.compliance,
    keys: tuple[str, ...] = ("period", "town", "village"),
) -> set[Row]:
    """Read the same counts from an aggregate table."""
    query = select(*(table.c[k] for k in keys), table.c.due, *(table.c[s] for s in STATUSES))
    with engine.connect() as conn:
        return {tuple(r) for r in conn.execute(query)}


def test_it_counts_a_villages_calls_like_a_group_by_after_evaluation(engine: Engine) -> None:
    save_results(engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 3)})], NOW)
    evaluate(engine, date(2026, 11, 12), RULES, NOW)
    refresh_compliance(engine, None, NOW + timedelta(minutes=1))
    assert _kept(engine) == _direct(engine)
    assert sum(row[4] for row in _kept(engine)) == 1  # one call done


def test_it_gives_each_village_its_county_from_the_region_tree(engine: Engine) -> None:
    save_results(engine, [roster()], NOW)
    evaluate(engine, date(2026, 11, 2), RULES, NOW)
    refresh_compliance(engine, ["2026-11"], NOW)
    with engine.connect() as conn:
        counties = set(conn.execute(select(t.compliance.c.county)).scalars())
        known = set(
            conn.execute(select(t.regions.c.name).where(t.regions.c.level == "county")).scalars()
        )
    assert counties and counties <= known | {""}


def test_a_recorded_call_moves_its_village_from_overdue_to_done(engine: Engine) -> None:
    save_results(engine, [roster()], NOW)
    evaluate(engine, date(2026, 11, 12), RULES, NOW)
    refresh_compliance(engine, None, NOW)
    before = sum(row[6] for row in _kept(engine))
    later = NOW + timedelta(days=4)
    record_call(engine, "刘洋", date(2026, 11, 12), True, RULES, later, income_yuan=4000)
    assert _kept(engine) == _direct(engine)
    assert sum(row[6] for row in _kept(engine)) == before - 1


def test_a_waiver_shows_in_the_counts_after_the_next_refresh(engine: Engine) -> None:
    save_results(engine, [roster()], NOW)
    evaluate(engine, date(2026, 11, 2), RULES, NOW)
    refresh_compliance(engine, None, NOW)
    with engine.connect() as conn:
        key = conn.execute(select(t.workers.c.key).where(t.workers.c.name == "王磊")).scalar_one()
    later = NOW + timedelta(hours=1)
    with engine.begin() as conn:
        add_waiver(conn, key, WaiverCategory.moved_out, "搬迁", "county", date(2026, 11, 3), later)
    evaluate(engine, date(2026, 11, 3), RULES, later, mode="incremental")
    with engine.connect() as conn:
        assert touched_periods(conn) == ["2026-11"]
    refresh_compliance(engine, None, later + timedelta(minutes=1))
    assert _kept(engine) == _direct(engine)
    assert sum(row[8] for row in _kept(engine)) == 1


def test_it_drops_the_row_of_a_village_left_without_obligations(engine: Engine) -> None:
    save_results(engine, [roster()], NOW)
    evaluate(engine, date(2026, 11, 2), RULES, NOW)
    refresh_compliance(engine, None, NOW)
    with engine.begin() as conn:
        conn.execute(t.obligation_events.delete())
        conn.execute(t.obligations.delete())
    refresh_compliance(engine, ["2026-11"], NOW)
    assert _kept(engine) == set()


BY_CADRE = ("period", "owner", "village")


def test_it_counts_each_cadres_calls_and_the_villages_add_up(engine: Engine) -> None:
    save_results(engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 3)})], NOW)
    evaluate(engine, date(2026, 11, 12), RULES, NOW)
    refresh_compliance(engine, None, NOW + timedelta(minutes=1))
    kept = _kept(engine, t.cadre_compliance, BY_CADRE)
    assert kept == _direct(engine, BY_CADRE)
    assert len({row[1] for row in kept}) >= 2  # more than one cadre
    villages: dict[tuple[object, ...], list[int]] = {}
    for period, _owner, village, *counts in kept:
        sums = villages.setdefault((period, village), [0] * len(counts))
        villages[(period, village)] = [a + int(str(b)) for a, b in zip(sums, counts, strict=True)]
    assert {(p, v, *c) for (p, v), c in villages.items()} == {
        (row[0], row[2], *row[3:]) for row in _kept(engine)
    }


def test_the_migration_fills_the_cadre_counts_of_an_existing_store(tmp_path: Path) -> None:
    """A store upgraded to 0010 shows its cadres at once, as a refresh would count them."""
    engine = make_engine(f"sqlite:///{tmp_path}/old.db")
    migrate(engine, "0009")
    # Today's write path also reads the tables of moves and handovers (0013_person_moves):
    # made for the seeding only, dropped again before the upgrade creates them.
    later = (t.worker_moves, t.cadre_handovers)
    t.metadata.create_all(engine, tables=later)
    save_results(engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 3)})], NOW)
    evaluate(engine, date(2026, 11, 12), RULES, NOW)
    t.metadata.drop_all(engine, tables=later)
    migrate(engine)
    filled = _kept(engine, t.cadre_compliance, BY_CADRE)
    assert filled and filled == _direct(engine, BY_CADRE)
    with engine.connect() as conn:  # the planner has statistics of the new indexes
        analyzed = set(conn.exec_driver_sql("SELECT idx FROM sqlite_stat1").scalars())
    assert {"ix_obligations_kind_period_village", "ix_cadre_compliance_period_town"} <= analyzed
    engine.dispose()
