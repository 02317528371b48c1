"""Replay a range of days in one transaction and record only the net change of the replay.

Why: the store holds the state as of the last day run. Replaying an earlier day moves an
obligation back in time (a call made on the 6th is not visible on the 4th, so done → open) and
the next replayed day moves it forward again (open → done): every backfill over an existing
store would write pairs of history rows that cancel out and mean nothing. Here each day is
evaluated in full, as a daily run would, but its history rows go to a scratch table; at the end
the obligations are compared with their state before the replay and only what really changed
is written to `obligation_events`, once, dated with the replayed day it took effect. History
rows written before the replay are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
)

from config.settings import RulesSettings
from lianxin.records import ObligationStatus
from lianxin.rules.evaluate import EvaluationStats, evaluate_in, in_transaction
from lianxin.rules.transitions import EVENT_COLUMNS, OBL
from lianxin.store import schema as t

_scratch = MetaData()
# The state of every obligation before the replay (one row each).
BEFORE = Table(
    "lianxin_replay_before",
    _scratch,
    Column("id", Integer, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("level", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True)),
    prefixes=["TEMPORARY"],
)
# What each replayed day would have written to obligation_events, in order.
STEPS = Table(
    "lianxin_replay_events",
    _scratch,
    Column("id", Integer, primary_key=True),
    Column("obligation_id", Integer, nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("old_status", String(16)),
    Column("new_status", String(16), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    prefixes=["TEMPORARY"],
)
EV = t.obligation_events


@dataclass
class ReplayResult:
    """Each replayed day's statistics, and the history rows the replay really wrote."""

    days: list[EvaluationStats] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=dict)  # "kind:old→new" → rows


def days_between(first: date, last: date) -> list[date]:
    """Return every day from `first` to `last`, both included (none when `last` < `first`)."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def replay(
    engine: Engine,
    first: date,
    last: date,
    rules: RulesSettings,
    clock: Callable[[], datetime],
    dry_run: bool = False,
) -> Generator[EvaluationStats, None, ReplayResult]:
    """Evaluate every day from `first` to `last` in full, in one transaction; yield each day.

    The net change is written after the last day (see the module docstring); the generator's
    return value (`StopIteration.value`, or `yield from`) is the `ReplayResult`. With
    `dry_run`, everything is rolled back. A failure rolls the whole replay back.
    """
    result = ReplayResult()
    with in_transaction(engine, dry_run, rules.sqlite_cache_mb) as conn:
        _start(conn)
        for day in days_between(first, last):
            stats = evaluate_in(conn, day, rules, clock(), mode="full", events=STEPS)
            result.days.append(stats)
            yield stats
        result.written = _write_net(conn)
        _scratch.drop_all(conn)
    return result


def _start(conn: Connection) -> None:
    for table in (BEFORE, STEPS):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
    _scratch.create_all(conn)
    conn.execute(
        BEFORE.insert().from_select(
            ["id", "status", "level", "changed_at"],
            select(OBL.c.id, OBL.c.status, OBL.c.level, OBL.c.changed_at),
        )
    )


def _write_net(conn: Connection) -> dict[str, int]:
    """Write one history row per obligation whose state the replay changed; return counts.

    An obligation back where it started gets no row, and its `changed_at` is restored. One
    born in the replay keeps its birth row, then one row for where it ended if not open.
    """
    touched = (
        select(
            STEPS.c.obligation_id.label("id"),
            func.min(STEPS.c.id).label("first"),
            func.max(STEPS.c.id).label("last"),
        )
        .group_by(STEPS.c.obligation_id)
        .subquery()
    )
    changed = or_(OBL.c.status != BEFORE.c.status, OBL.c.level != BEFORE.c.level)
    born = BEFORE.c.id.is_(None)
    joined = touched.join(OBL, OBL.c.id == touched.c.id).outerjoin(
        BEFORE, BEFORE.c.id == touched.c.id
    )
    births = select(*(STEPS.c[name] for name in EVENT_COLUMNS)).select_from(
        joined.join(STEPS, STEPS.c.id == touched.c.first)
    )
    conn.execute(EV.insert().from_select(EVENT_COLUMNS, births.where(born)))
    old = func.coalesce(BEFORE.c.status, literal(ObligationStatus.open.value))
    moved = or_(
        and_(born, or_(OBL.c.status != ObligationStatus.open.value, OBL.c.level != 0)),
        and_(not_(born), changed),
    )
    already = exists().where(
        EV.c.obligation_id == STEPS.c.obligation_id,
        EV.c.as_of == STEPS.c.as_of,
        EV.c.old_status == old,
        EV.c.new_status == OBL.c.status,
    )
    net = (
        select(
            STEPS.c.obligation_id,
            STEPS.c.at,
            STEPS.c.as_of,
            old.label("old_status"),
            OBL.c.status.label("new_status"),
            STEPS.c.actor,
            STEPS.c.reason,
        )
        .select_from(joined.join(STEPS, STEPS.c.id == touched.c.last))
        .where(moved, not_(already))
        .order_by(STEPS.c.obligation_id)
    )
    rows = net.subquery()
    counts = {
        f"{kind}:{before}→{after}": int(n)
        for kind, before, after, n in conn.execute(
            select(OBL.c.kind, rows.c.old_status, rows.c.new_status, func.count())
            .select_from(rows.join(OBL, OBL.c.id == rows.c.obligation_id))
            .group_by(OBL.c.kind, rows.c.old_status, rows.c.new_status)
        ).all()
    }
    conn.execute(EV.insert().from_select(EVENT_COLUMNS, net))
    conn.execute(
        OBL.update()
        .where(
            BEFORE.c.id == OBL.c.id,
            OBL.c.id.in_(select(STEPS.c.obligation_id)),
            OBL.c.status == BEFORE.c.status,
            OBL.c.level == BEFORE.c.level,
        )
        .values(changed_at=BEFORE.c.changed_at)
    )
    return counts
