"""What every query of the dashboard shares: the month asked for, rates, the statuses.

Every query takes a Connection and, where rows belong to places, a `Where` (`scope.Where`):
`functools.partial(scope.place_clause, viewer)`, `scope.within(viewer, town=…)` or
`scope.place_filter(county=…, town=…, village=…, cadre_key=…)`.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, func, select
from sqlalchemy import Engine as Engine  # for the pages: they import no SQLAlchemy themselves

from lianxin.clock import today_local
from lianxin.records import ObligationKind, period_index
from lianxin.store import schema as t
from lianxin.store.engine import engine_for as engine_for  # the app opens its store here

# A WHERE clause, as the pages pass one from `scope` to the read model.
Clause = ColumnElement[bool]
CHECKIN = ObligationKind.monthly_checkin.value
STATUSES = ("done", "open", "overdue", "escalated", "waived")
OPEN_PROBLEM = ("open", "rectifying")


# A month, YYYY-MM, in ASCII digits: `\d` would take ２０２６-11 (any Unicode digit) as one.
PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def latest_period(conn: Connection) -> str:
    """Return the latest month the aggregates hold, or this month in Shanghai."""
    found = conn.execute(select(func.max(t.compliance.c.period))).scalar_one()
    return str(found or today_local().strftime("%Y-%m"))


def period_or_latest(conn: Connection, asked: str | None) -> str:
    """Return the month a page was asked for (`?period=`), or the latest when it is not one."""
    return asked if asked and PERIOD.fullmatch(asked) else latest_period(conn)


def text_or_none(value: str | None) -> str | None:
    """Return a query or form value stripped, None when it is empty."""
    return (value.strip() or None) if value else None


def rate(done: int, due: int, waived: int = 0) -> float | None:
    """Return the share of calls made, in percent, of those owed (waived ones are not owed)."""
    owed = due - waived
    return round(100.0 * done / owed, 1) if owed > 0 else None


def previous_periods(period: str, months: int) -> list[str]:
    """Return the `months` periods ending with `period`, oldest first."""
    index = period_index(period)
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def sums(cp: Table) -> list[Any]:
    """Return the sums of an aggregate's counts (due, each status, risk flags), 0 when none."""
    return [func.coalesce(func.sum(cp.c[c]), 0).label(c) for c in ("due", *STATUSES, "risk_flags")]


def with_rate(row: Any) -> dict[str, Any]:
    """Return a row of counts as a dict, with its `rate`."""
    out = dict(row._mapping)
    out["rate"] = rate(int(out["done"]), int(out["due"]), int(out["waived"]))
    return out
