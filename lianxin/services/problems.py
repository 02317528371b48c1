"""Mark a supervision problem rectified (已整改) or verified (已销号) by hand, and keep such a mark
when the problem list it came from is fetched again.

A mark is a compare-and-set update of one `problems` row (status, rectified_on / verified_on,
changed_at) that must touch exactly the row it read, so two people marking at once cannot both
win. The caller owns the transaction (the dashboard writes its audit row in the same one), then
re-evaluates the rules with `lianxin.services.reevaluate.evaluate_after_change`: the deadline
obligation is done and the return-visit clock (杀回马枪) starts.

Published lists carry a status but never these dates, so a row with `rectified_on` or
`verified_on` has been marked by hand. When its page changes and is written again, the mark is
put back unless the page now shows the same or a later status (then the page wins; the dates
stay, being facts the page does not carry). An unchanged page is never written again at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, select, true, update

from config.settings import RulesSettings
from lianxin.clock import today_local
from lianxin.dates_allowed import day_refusal, earliest_day
from lianxin.errors import ProblemMarkRefused
from lianxin.records import ProblemStatus
from lianxin.services.reevaluate import evaluate_after_change
from lianxin.store import schema as t

P = t.problems
UNRECTIFIED = (ProblemStatus.open.value, ProblemStatus.rectifying.value)


@dataclass(frozen=True)
class Mark:
    key: str
    old_status: str
    new_status: str
    on: date


def mark_rectified(
    conn: Connection,
    key: str,
    on: date,
    today: date,
    now: datetime,
    where: ColumnElement[bool] | None = None,
) -> Mark:
    """Mark problem `key` rectified on `on`; raise ProblemMarkRefused unless it is open or
    rectifying, `on` is not after `today` and not before the day it was found (when the list
    does not say, not before `dates_allowed.earliest_day`).

    `where` limits the problems that may be marked (a viewer's scope); outside it the problem
    is unknown.
    """
    row = _problem(conn, key, where)
    if row.status not in UNRECTIFIED:
        raise ProblemMarkRefused(key, "not_open", f"it is already {row.status}")
    _check_day(key, on, today, row.found)
    return _set(conn, row, ProblemStatus.rectified.value, on, now, rectified_on=on)


def mark_verified(
    conn: Connection,
    key: str,
    on: date,
    today: date,
    now: datetime,
    where: ColumnElement[bool] | None = None,
) -> Mark:
    """Mark problem `key` verified on a return visit on `on`; raise ProblemMarkRefused unless it
    is rectified, `on` is not after `today` and not before the day it was found or rectified."""
    row = _problem(conn, key, where)
    if row.status != ProblemStatus.rectified.value:
        raise ProblemMarkRefused(
            key, "not_rectified", f"it is {row.status}: only a rectified problem can be verified"
        )
    _check_day(key, on, today, row.found)
    if row.rectified_on is not None and on < row.rectified_on:
        raise ProblemMarkRefused(
            key, "before_rectified", f"{on} is before it was rectified ({row.rectified_on})"
        )
    return _set(conn, row, ProblemStatus.verified.value, on, now, verified_on=on)


def _problem(conn: Connection, key: str, where: ColumnElement[bool] | None) -> Any:
    row = conn.execute(
        select(P.c.key, P.c.status, P.c.found, P.c.rectified_on).where(
            P.c.key == key, true() if where is None else where
        )
    ).first()
    if row is None:
        raise ProblemMarkRefused(key, "unknown", "no such problem")
    return row


def _check_day(key: str, on: date, today: date, found: date | None) -> None:
    # A problem published without the day it was found is bounded like any recorded day.
    reason = day_refusal(on, found or earliest_day(today), today)
    if reason == "future":
        raise ProblemMarkRefused(key, "future", f"{on} is in the future")
    if reason is not None and found is not None:
        raise ProblemMarkRefused(key, "before_found", f"{on} is before it was found ({found})")
    if reason is not None:
        raise ProblemMarkRefused(key, "too_early", f"{on} is before {earliest_day(today)}")


def _set(conn: Connection, row: Any, status: str, on: date, now: datetime, **days: date) -> Mark:
    done = conn.execute(
        update(P)
        .where(P.c.key == row.key, P.c.status == row.status)
        .values(status=status, changed_at=now, **days)
    )
    if done.rowcount != 1:
        raise ProblemMarkRefused(row.key, "changed", "it was changed meanwhile: reload it")
    return Mark(key=row.key, old_status=row.status, new_status=status, on=on)


MARKS = {
    ProblemStatus.rectified.value: mark_rectified,
    ProblemStatus.verified.value: mark_verified,
}


def mark(
    engine: Engine,
    status: str,
    key: str,
    on: date,
    rules: RulesSettings,
    now: datetime,
    where: ColumnElement[bool] | None = None,
    audit: Callable[[Connection, Mark], None] | None = None,
) -> Mark:
    """Mark problem `key` `status` (rectified or verified) on `on`, calling `audit` in the same
    transaction, then re-evaluate the rules so that its obligations follow at once.

    Raise ProblemMarkRefused (nothing written) when the mark is not allowed.
    """
    with engine.begin() as conn:
        done = MARKS[status](conn, key, on, today_local(now), now, where)
        if audit is not None:
            audit(conn, done)
    evaluate_after_change(engine, on, rules, now)
    return done
