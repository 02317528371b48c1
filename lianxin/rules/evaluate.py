"""Evaluate every follow-up rule as of a day, set-based: a handful of SQL statements per rule.

Two modes. **full** works over whole tables and replays any day deterministically. **incremental**
looks only at subjects whose rows changed since the last run (plus what the calendar alone moves:
calls falling due, lateness growing), which is what a daily run needs at province scale. Both
reach the same statuses for the same inputs (a closed obligation's level records how far it was
escalated before it closed, which depends on the days that were run). Every change is written to
`obligation_events` first (old, new, which rule, why), then applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, Table, func, select

from config.settings import RulesSettings
from lianxin.records import ObligationKind
from lianxin.rules.checkin import checkin_window, period_of
from lianxin.rules.escalation import apply_waivers, escalate
from lianxin.rules.problem_rules import problem_deadlines, return_visits
from lianxin.rules.transitions import Step, hold_evaluation_lock
from lianxin.rules.worker_rules import assistance, home_visits, income_risk, monthly_checkins
from lianxin.store import schema as t
from lianxin.store.matching import match_checkins

Mode = Literal["full", "incremental"]
# Re-reading a few minutes twice is harmless (every step is idempotent); missing a row written
# by a transaction that committed late is not.
WATERMARK_OVERLAP = timedelta(minutes=10)
CHECKIN_KIND = ObligationKind.monthly_checkin.value


@dataclass
class EvaluationStats:
    as_of: date
    period: str
    due: date
    mode: str = "full"
    created_by_kind: dict[str, int] = field(default_factory=dict)
    transitions: dict[str, int] = field(default_factory=dict)
    risk_flags: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def created(self) -> int:
        return sum(self.created_by_kind.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "period": self.period,
            "due": self.due.isoformat(),
            "mode": self.mode,
            "created": self.created,
            "created_by_kind": self.created_by_kind,
            "transitions": self.transitions,
            "risk_flags": self.risk_flags,
            "by_status": self.by_status,
        }


def evaluate(
    engine: Engine,
    as_of: date,
    rules: RulesSettings,
    now: datetime,
    dry_run: bool = False,
    mode: Mode = "full",
) -> EvaluationStats:
    """Apply every rule as of `as_of` in one transaction and return what changed.

    An incremental run falls back to a full one when there is no earlier run to continue from
    or when `as_of` lies before the last run's day (a replay). With `dry_run`, everything is
    rolled back.
    """
    with in_transaction(engine, dry_run, rules.sqlite_cache_mb) as conn:
        return evaluate_in(conn, as_of, rules, now, mode)


@contextmanager
def in_transaction(
    engine: Engine, dry_run: bool, sqlite_cache_mb: int | None = None
) -> Iterator[Connection]:
    """Yield a connection in one transaction: committed at the end, rolled back on an error
    or when `dry_run`. On SQLite, `sqlite_cache_mb` sizes its page cache until after the end.
    """
    with engine.connect() as conn:
        restore = _sqlite_cache(conn, sqlite_cache_mb)
        try:
            transaction = conn.begin()
            try:
                yield conn
            except BaseException:
                transaction.rollback()
                raise
            if dry_run:
                transaction.rollback()
            else:
                transaction.commit()
        finally:
            if restore is not None:
                conn.exec_driver_sql(f"PRAGMA cache_size={restore}")


def _sqlite_cache(conn: Connection, megabytes: int | None) -> int | None:
    """Set the page cache of an SQLite `conn`; return the setting to restore, or None."""
    if megabytes is None or conn.dialect.name != "sqlite":
        return None
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    conn.exec_driver_sql(f"PRAGMA cache_size=-{int(megabytes) * 1024}")
    conn.commit()  # ends the PRAGMA's own transaction: the rules' one begins after it
    return before


def evaluate_in(
    conn: Connection,
    as_of: date,
    rules: RulesSettings,
    now: datetime,
    mode: Mode = "full",
    events: Table = t.obligation_events,
) -> EvaluationStats:
    """Apply every rule on `conn` (the caller owns the transaction); see `evaluate`.

    History rows go to `events` (a replay passes its scratch table).
    """
    hold_evaluation_lock(conn)
    if conn.dialect.name == "sqlite":
        # Planner statistics: without them SQLite may pick a quadratic plan at scale.
        conn.exec_driver_sql("PRAGMA analysis_limit=1000")
        conn.exec_driver_sql("PRAGMA optimize")
    since = _watermark(conn, as_of) if mode == "incremental" else None
    window = checkin_window(
        period_of(as_of),
        rules.checkin_first_day,
        rules.checkin_last_day,
        rules.move_due_past_holidays,
    )
    step = Step(conn=conn, as_of=as_of, now=now, changed_since=since, events=events)
    # A roster that arrived after its check-in tables, or rows kept from before matching
    # existed, still need their check-ins matched before any rule reads them.
    match_checkins(conn, since)
    monthly_checkins(step, rules, window)
    if conn.dialect.name == "postgresql" and step.created.get(CHECKIN_KIND, 0) > 10_000:
        # A month's obligations were just created (millions at province scale): statistics
        # taken before them would tell the planner the table is nearly empty.
        conn.exec_driver_sql("ANALYZE obligations")
    home_visits(step, rules)
    assistance(step, rules)
    problem_deadlines(step, rules)
    return_visits(step, rules)
    apply_waivers(step)
    escalate(step, rules)
    flags = income_risk(step, rules)
    stats = EvaluationStats(
        as_of=as_of,
        period=window.period,
        due=window.due,
        mode="incremental" if step.incremental else "full",
        created_by_kind=step.created,
        transitions=step.transitions,
        risk_flags=flags,
        by_status=_by_status(conn, window.period),
    )
    conn.execute(
        t.rule_runs.insert().values(
            mode=stats.mode,
            as_of=as_of,
            started_at=now,
            finished_at=datetime.now(now.tzinfo),
            watermark=now - WATERMARK_OVERLAP,
            stats=stats.as_dict(),
        )
    )
    return stats


def _watermark(conn: Connection, as_of: date) -> datetime | None:
    last = conn.execute(
        select(t.rule_runs.c.as_of, t.rule_runs.c.watermark)
        .order_by(t.rule_runs.c.id.desc())
        .limit(1)
    ).first()
    if last is None or as_of < last.as_of:
        return None
    return last.watermark  # type: ignore[no-any-return]


def _by_status(conn: Connection, period: str) -> dict[str, int]:
    o = t.obligations
    rows = conn.execute(
        select(o.c.status, func.count())
        .where(o.c.kind == ObligationKind.monthly_checkin.value, o.c.period == period)
        .group_by(o.c.status)
    ).all()
    return {status: int(n) for status, n in rows}
