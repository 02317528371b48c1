"""Reconcile a month's published check-in tables against the roster: the findings.

A few SQL statements over whole tables per check-in window (who is on the roster but was not
called, who was called but is not on the roster, ...). Matching a check-in to its roster worker
is the store's job (`lianxin.store.matching`), done when the rows are written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    and_,
    delete,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
)

from config.settings import RulesSettings
from lianxin.records import FindingKind
from lianxin.rules.checkin import CheckinWindow, checkin_window
from lianxin.store import schema as t
from lianxin.store.moves import not_moved_away
from lianxin.store.upsert import execute_counting

_FINDING_COLUMNS = ["kind", "period", "subject", "village", "detail", "source_url", "created_at"]


def reconcile(
    conn: Connection,
    windows: Iterable[CheckinWindow],
    statuses: list[str],
    now: datetime,
) -> dict[str, int]:
    """Replace the findings of each window's period; return the number of findings by kind."""
    counts: dict[str, int] = {}
    for window in windows:
        conn.execute(delete(t.findings).where(t.findings.c.period == window.period))
        for kind, query in _finding_queries(window, statuses, now).items():
            inserted = execute_counting(
                conn, t.findings.insert().from_select(_FINDING_COLUMNS, query)
            )
            counts[kind.value] = counts.get(kind.value, 0) + inserted
    return counts


def _finding_queries(
    window: CheckinWindow, statuses: list[str], now: datetime
) -> dict[FindingKind, Select[Any]]:
    c, w = t.checkins, t.workers
    period = window.period
    in_period = c.c.period == period
    published_villages = select(c.c.village).where(in_period).distinct()

    missing = select(
        literal(FindingKind.missing_checkin.value),
        literal(period),
        w.c.key,
        w.c.village,
        literal(f"on the roster, not on the village's {period} check-in table"),
        w.c.source_url,
        literal(now),
    ).where(
        w.c.status.in_(statuses),
        w.c.village.in_(published_villages),
        not_(exists().where(in_period, c.c.matched_key == w.c.key)),
        not_moved_away(w.c.key),  # the old village no longer owes the moved person's call
    )

    unknown = select(
        literal(FindingKind.unknown_worker.value),
        literal(period),
        c.c.worker_key,
        c.c.village,
        literal("no roster worker matches this check-in by name and phone: ") + c.c.worker_name,
        c.c.source_url,
        literal(now),
    ).where(in_period, c.c.matched_key.is_(None))

    duplicate = (
        select(
            literal(FindingKind.duplicate_checkin.value),
            literal(period),
            c.c.matched_key,
            func.min(c.c.village),
            func.cast(func.count(), t.findings.c.detail.type)
            + literal(" check-in records of one worker in this period"),
            func.min(c.c.source_url),
            literal(now),
        )
        .where(in_period, c.c.matched_key.is_not(None))
        .group_by(c.c.matched_key)
        .having(func.count() > 1)
    )

    outside = select(
        literal(FindingKind.outside_window.value),
        literal(period),
        func.coalesce(c.c.matched_key, c.c.worker_key),
        c.c.village,
        literal("call dated ")
        + func.cast(c.c.call_date, t.findings.c.detail.type)
        + literal(f", outside the window {window.start.isoformat()}–{window.due.isoformat()}"),
        c.c.source_url,
        literal(now),
    ).where(
        in_period,
        c.c.call_date.is_not(None),
        or_(c.c.call_date < window.start, c.c.call_date > window.due),
    )

    phones = w.c.phone
    shared = (
        select(
            literal(FindingKind.shared_phone.value),
            literal(period),
            literal("phone …") + func.substr(phones, func.length(phones) - 3, 4),
            func.min(w.c.village),
            func.cast(func.count(), t.findings.c.detail.type)
            + literal(" roster workers share one phone, e.g. ")
            + func.min(w.c.name)
            + literal(" and ")
            + func.max(w.c.name),
            func.min(w.c.source_url),
            literal(now),
        )
        .where(
            and_(phones.is_not(None), phones != "", not_(phones.contains("*"))),
            w.c.village.in_(published_villages),
        )
        .group_by(phones)
        .having(func.count() > 1)
    )
    return {
        FindingKind.missing_checkin: missing,
        FindingKind.unknown_worker: unknown,
        FindingKind.duplicate_checkin: duplicate,
        FindingKind.outside_window: outside,
        FindingKind.shared_phone: shared,
    }


def reconcile_periods(
    engine: Engine, periods: Iterable[str], rules: RulesSettings, now: datetime
) -> dict[str, int]:
    """Reconcile the check-in tables of `periods` against the roster in one transaction."""
    windows = [
        checkin_window(
            p, rules.checkin_first_day, rules.checkin_last_day, rules.move_due_past_holidays
        )
        for p in sorted(set(periods))
    ]
    if not windows:
        return {}
    with engine.begin() as conn:
        return reconcile(conn, windows, rules.checkin_statuses, now)
