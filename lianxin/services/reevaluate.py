"""Re-evaluate the follow-up rules after a person's change: a call, a waiver, a problem's mark or
an imported table. One rule says which day they run as of, whichever way the change came in.

The rules run as of the day they last ran (a replayed day stays replayed; before their first
run, today in Asia/Shanghai), moved on to the change's day when that is later, so a call is
never evaluated as of a day before it was made; a caller may ask for a day of its own instead.
Never as of a day after today (`dates_allowed.rules_day`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from config.settings import RulesSettings
from lianxin.clock import today_local
from lianxin.dates_allowed import rules_day
from lianxin.rules.evaluate import EvaluationStats, evaluate
from lianxin.rules.reconcile import reconcile_periods
from lianxin.store import reads
from lianxin.store.aggregates import Place, refresh_changed_since

if TYPE_CHECKING:
    from lianxin.services.transfer import ImportResult


def day_after_change(
    last: date | None, day: date | None, today: date, as_of: date | None = None
) -> date:
    """Return the day the rules run as of after a change made on `day` (None: no day of its
    own), when they last ran as of `last` (None: never) and it is `today`: `as_of` when asked
    for, else the later of `last` (or `today`) and `day`; never after `today`."""
    if as_of is not None:
        return rules_day(as_of, today)
    since = last or today
    return rules_day(max(since, day) if day else since, today)


def evaluate_after_change(
    engine: Engine,
    day: date | None,
    rules: RulesSettings,
    now: datetime,
    also: Sequence[tuple[str, Place]] = (),
    *,
    as_of: date | None = None,
    periods: Sequence[str] = (),
) -> EvaluationStats:
    """Re-evaluate the rules after a person's change made on `day` and refresh compliance.

    The touched months `periods` (an imported check-in table's) are reconciled against the
    roster first, as after an ingest. The rules run incrementally as of `day_after_change`;
    only what this evaluation changed (changed_at = now) is re-aggregated, plus the
    (period, place) pairs in `also`.
    """
    if periods:
        reconcile_periods(engine, list(periods), rules, now)
    last = reads.last_evaluated_day(engine)
    stats = evaluate(
        engine, day_after_change(last, day, today_local(now), as_of), rules, now, mode="incremental"
    )
    refresh_changed_since(engine, now, now, also=also)
    return stats


def evaluate_after_import(
    engine: Engine,
    result: ImportResult,
    rules: RulesSettings,
    now: datetime,
    as_of: date | None = None,
) -> EvaluationStats | None:
    """Re-evaluate after `apply_import` (`evaluate_after_change` with the day of the latest call
    it wrote and the months it touched); return None when the import wrote nothing."""
    if not result.written:
        return None
    return evaluate_after_change(
        engine, result.last_call, rules, now, as_of=as_of, periods=result.periods
    )
