"""The overview: the month's compliance by place, its trend, problems due and the roster."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, select, true
from sqlalchemy.sql.expression import ColumnElement

from lianxin.dashboard.queries.common import OPEN_PROBLEM, previous_periods, sums, with_rate
from lianxin.dashboard.scope import Where, place_filter
from lianxin.store import schema as t

TREND_MONTHS = 6


@dataclass
class Overview:
    period: str
    level: str  # what `places` lists: county, town or village
    totals: dict[str, Any]
    places: list[dict[str, Any]]  # this month's compliance, one row per place of `level`
    worst_villages: list[dict[str, Any]]  # most overdue calls first
    trend: list[dict[str, Any]]  # one row per month, oldest first
    problems_due_soon: int
    problems_overdue: int
    risk_flags: int


def overview(
    conn: Connection,
    period: str,
    today: date,
    where: Where | None = None,
    *,
    county: str | None = None,
    town: str | None = None,
    village: str | None = None,
    problem_where: ColumnElement[bool] | None = None,
    worst: int = 10,
) -> Overview:
    """Return the month's compliance for the place chosen, read from `compliance` only.

    `places` lists the level under the narrowest place given (counties for a province, towns
    for a county, villages for a town). Problems are counted with `problem_where` (default all).
    """
    cp = t.compliance
    scope = (where or place_filter(county, town, village))(cp)
    month = and_(cp.c.period == period, scope)
    levels = ["county", "town", "village"]
    level = "village" if town or village else "town" if county else "county"
    while True:
        # A level with a single place (one county, or a county without regions) says nothing:
        # list the level under it instead.
        keys = [cp.c[name] for name in levels[: levels.index(level)]]
        column = cp.c[level]
        places = conn.execute(
            select(*keys, column.label("name"), *sums(cp))
            .where(month)
            .group_by(*keys, column)
            .order_by(*keys, column)
        ).all()
        if len(places) != 1 or level == "village":
            break
        level = levels[levels.index(level) + 1]
    totals = with_rate(conn.execute(select(*sums(cp)).where(month)).one())
    late = cp.c.overdue + cp.c.escalated
    worst_rows = conn.execute(
        select(
            cp.c.county,
            cp.c.town,
            cp.c.village,
            cp.c.due,
            cp.c.done,
            cp.c.waived,
            late.label("late"),
        )
        .where(month, late > 0)
        .order_by(late.desc(), cp.c.village)
        .limit(worst)
    ).all()
    months = previous_periods(period, TREND_MONTHS)
    trend = {
        row.period: with_rate(row)
        for row in conn.execute(
            select(cp.c.period, *sums(cp))
            .where(cp.c.period.in_(months), scope)
            .group_by(cp.c.period)
        )
    }
    due_soon, overdue = problem_counts(conn, today, problem_where)
    return Overview(
        period=period,
        level=level,
        totals=totals,
        places=[with_rate(r) for r in places],
        worst_villages=[dict(r._mapping) for r in worst_rows],
        trend=[trend.get(m) or {"period": m, "due": 0, "done": 0, "rate": None} for m in months],
        problems_due_soon=due_soon,
        problems_overdue=overdue,
        risk_flags=int(totals["risk_flags"]),
    )


def problem_counts(
    conn: Connection, today: date, where: ColumnElement[bool] | None = None, days: int = 7
) -> tuple[int, int]:
    """Return (unresolved problems due within `days` days from today, those past their deadline)."""
    p = t.problems
    unresolved = and_(
        p.c.status.in_(OPEN_PROBLEM), p.c.deadline.is_not(None), true() if where is None else where
    )
    soon = func.sum(case((p.c.deadline.between(today, today + timedelta(days=days)), 1), else_=0))
    late = func.sum(case((p.c.deadline < today, 1), else_=0))
    row = conn.execute(select(soon, late).where(unresolved)).one()
    return int(row[0] or 0), int(row[1] or 0)


def worker_count(conn: Connection, where: Where) -> int:
    """Return how many workers of the roster lie within `where`."""
    w = t.workers
    return int(conn.execute(select(func.count()).select_from(w).where(where(w))).scalar_one())
