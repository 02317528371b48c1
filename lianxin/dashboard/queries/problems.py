"""The problems board (问题清单): problems by status, their counts, categories and units."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, func, select, true
from sqlalchemy.sql.expression import ColumnElement

from lianxin.dashboard.queries.common import OPEN_PROBLEM
from lianxin.store import schema as t

PROBLEM_COLUMNS = ("open", "rectifying", "rectified", "verified")


def problem_filter(
    today: date,
    where: ColumnElement[bool] | None = None,
    category: str | None = None,
    unit: str | None = None,
    late_only: bool = False,
) -> ColumnElement[bool]:
    """Return the problems the board shows: within `where` (the viewer's), of `category` and
    responsible `unit` when given, and only those past their deadline unrectified if `late_only`."""
    p = t.problems
    clauses: list[ColumnElement[bool]] = [true() if where is None else where]
    if category:
        clauses.append(p.c.category == category)
    if unit:
        clauses.append(p.c.responsible_unit == unit)
    if late_only:
        clauses += [p.c.status.in_(OPEN_PROBLEM), p.c.deadline < today]
    return and_(*clauses)


def problems_board(
    conn: Connection,
    today: date,
    where: ColumnElement[bool] | None = None,
    per_status: int = 100,
    statuses: tuple[str, ...] = PROBLEM_COLUMNS,
    offset: int = 0,
) -> dict[str, list[dict[str, Any]]]:
    """Return problems by status (open → verified), each column by deadline, late ones marked
    (deadline passed, not rectified) and `days` to the deadline (negative: days overdue); at most
    `per_status` a column, from `offset` on, for the `statuses` asked."""
    p = t.problems
    board: dict[str, list[dict[str, Any]]] = {}
    for status in statuses:
        rows = conn.execute(
            select(
                p.c.key,
                p.c.number,
                p.c.found,
                p.c.place,
                p.c.description,
                p.c.category,
                p.c.responsible_unit,
                p.c.deadline,
                p.c.rectified_on,
                p.c.verified_on,
                p.c.source_url,
            )
            .where(p.c.status == status, where if where is not None else true())
            .order_by(p.c.deadline.is_(None), p.c.deadline, p.c.number, p.c.id)
            .limit(per_status)
            .offset(offset)
        ).all()
        board[status] = [
            {
                **r._mapping,
                "late": status in OPEN_PROBLEM and r.deadline is not None and r.deadline < today,
                "days": (r.deadline - today).days if r.deadline is not None else None,
            }
            for r in rows
        ]
    return board


def problem_column_counts(
    conn: Connection, where: ColumnElement[bool] | None = None
) -> dict[str, int]:
    """Return how many problems within `where` each status has (all of them, not one page)."""
    p = t.problems
    rows = conn.execute(
        select(p.c.status, func.count())
        .where(where if where is not None else true())
        .group_by(p.c.status)
    ).all()
    found = {str(status): int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in PROBLEM_COLUMNS}


def problem_choices(
    conn: Connection, where: ColumnElement[bool] | None = None, limit: int = 200
) -> tuple[list[str], list[str]]:
    """Return the categories and responsible units of the problems within `where`, sorted."""
    p = t.problems
    scope = where if where is not None else true()

    def distinct(column: Any) -> list[str]:
        query = select(column).where(scope, column.is_not(None)).distinct()
        return [str(v) for v in conn.execute(query.order_by(column).limit(limit)).scalars()]

    return distinct(p.c.category), distinct(p.c.responsible_unit)
