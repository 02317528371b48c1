"""Evaluate the follow-up rules as of a day, set-based: a handful of SQL statements per rule.

Each statement works on whole tables (never a Python loop per worker), and every status change
is first written to `obligation_events` (old, new, which rule, why) and then applied, so the
history explains each obligation and a rerun for the same day changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from config.settings import RulesSettings
from lianxin.records import ObligationKind, ObligationStatus
from lianxin.rules.checkin import checkin_window, period_of
from lianxin.store import schema as t
from lianxin.store.upsert import execute_counting

CHECKIN_RULE = "rule:monthly_checkin"
_OPENISH = (ObligationStatus.open.value, ObligationStatus.overdue.value)


@dataclass
class EvaluationStats:
    as_of: date
    period: str
    due: date
    created: int = 0
    transitions: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "period": self.period,
            "due": self.due.isoformat(),
            "created": self.created,
            "transitions": self.transitions,
            "by_status": self.by_status,
        }


def evaluate(
    engine: Engine, as_of: date, rules: RulesSettings, now: datetime, dry_run: bool = False
) -> EvaluationStats:
    """Apply the monthly check-in rule as of `as_of` and return what it did.

    With `dry_run`, everything runs inside a transaction that is rolled back.
    """
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            stats = evaluate_checkins(conn, as_of, rules, now)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    return stats


def evaluate_checkins(
    conn: Connection, as_of: date, rules: RulesSettings, now: datetime
) -> EvaluationStats:
    """Create this month's check-in obligations and bring every check-in obligation up to date.

    A worker whose status is one of `rules.checkin_statuses` owes a call in every period. An
    obligation is done once any call of its period dated on or before `as_of` is stored (an
    unanswered call counts: the cadre phoned), overdue after its due date, open before.
    """
    window = checkin_window(
        period_of(as_of),
        rules.checkin_first_day,
        rules.checkin_last_day,
        rules.move_due_past_holidays,
    )
    stats = EvaluationStats(as_of=as_of, period=window.period, due=window.due)
    if as_of >= window.start:
        stats.created = _create_obligations(
            conn, window.period, window.start, window.due, rules.checkin_statuses, now, as_of
        )
    stats.transitions = _advance(conn, as_of, now)
    stats.by_status = dict(
        conn.execute(
            select(t.obligations.c.status, func.count())
            .where(
                t.obligations.c.kind == ObligationKind.monthly_checkin.value,
                t.obligations.c.period == window.period,
            )
            .group_by(t.obligations.c.status)
        ).all()
    )
    return stats


def _insert(conn: Connection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(t.obligations)


def _create_obligations(
    conn: Connection,
    period: str,
    start: date,
    due: date,
    statuses: list[str],
    now: datetime,
    as_of: date,
) -> int:
    o, w = t.obligations, t.workers
    source = select(
        literal(ObligationKind.monthly_checkin.value),
        w.c.key,
        func.coalesce(w.c.cadre_key, ""),
        literal(period),
        literal(start),
        literal(due),
        literal(ObligationStatus.open.value),
        literal(now),
        literal(now),
    ).where(w.c.status.in_(statuses))
    columns = [
        "kind",
        "subject",
        "owner",
        "period",
        "window_start",
        "due",
        "status",
        "created_at",
        "changed_at",
    ]
    conn.execute(
        _insert(conn)
        .from_select(columns, source)
        .on_conflict_do_nothing(index_elements=["kind", "subject", "period"])
    )
    # The birth of each new obligation is its first history row.
    e = t.obligation_events
    born = execute_counting(
        conn,
        e.insert().from_select(
            ["obligation_id", "at", "as_of", "old_status", "new_status", "actor", "reason"],
            select(
                o.c.id,
                literal(now),
                literal(as_of),
                literal(None),
                literal(ObligationStatus.open.value),
                literal(CHECKIN_RULE),
                literal(f"worker is employed or looking for work in {period}; call due by {due}"),
            ).where(~exists().where(e.c.obligation_id == o.c.id)),
        ),
    )
    return born


def _advance(conn: Connection, as_of: date, now: datetime) -> dict[str, int]:
    o, c, e = t.obligations, t.checkins, t.obligation_events
    called = exists().where(
        c.c.matched_key == o.c.subject,
        c.c.period == o.c.period,
        or_(c.c.call_date.is_(None), c.c.call_date <= as_of),
    )
    new_status = case(
        (called, literal(ObligationStatus.done.value)),
        (o.c.due < as_of, literal(ObligationStatus.overdue.value)),
        else_=literal(ObligationStatus.open.value),
    )
    reason = case(
        (called, literal("a call of this period is recorded")),
        (o.c.due < as_of, literal("no call recorded by the due date")),
        else_=literal("no call recorded yet; the window is still open"),
    )
    scope = and_(
        o.c.kind == ObligationKind.monthly_checkin.value,
        o.c.status.in_((*_OPENISH, ObligationStatus.done.value)),
        o.c.window_start <= as_of,
        o.c.status != new_status,
    )
    counts: dict[str, int] = dict(
        conn.execute(
            select(o.c.status + literal("→") + new_status, func.count())
            .where(scope)
            .group_by(o.c.status, new_status)
        ).all()
    )
    if not counts:
        return {}
    conn.execute(
        e.insert().from_select(
            ["obligation_id", "at", "as_of", "old_status", "new_status", "actor", "reason"],
            select(
                o.c.id,
                literal(now),
                literal(as_of),
                o.c.status,
                new_status,
                literal(CHECKIN_RULE),
                reason,
            ).where(scope),
        )
    )
    conn.execute(o.update().where(scope).values(status=new_status, changed_at=now))
    return counts
