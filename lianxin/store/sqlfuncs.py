"""The few SQL expressions SQLite and PostgreSQL spell differently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Date, Integer, String, case, cast, func, literal
from sqlalchemy.sql.expression import ColumnElement, UnaryExpression
from sqlalchemy.sql.operators import custom_op


def add_days(conn: Connection, day: ColumnElement[Any], days: int) -> ColumnElement[Any]:
    """Return the SQL for `day` plus `days` calendar days, on the connection's dialect."""
    if conn.dialect.name == "sqlite":
        return func.date(day, f"{days:+d} days", type_=Date)
    return (day + literal(days)).cast(Date)  # PostgreSQL: date + integer is a date


def month_count(period: ColumnElement[Any]) -> ColumnElement[int]:
    """Return the SQL for a YYYY-MM period's month count (year*12 + month-1), as `period_index`."""
    year = cast(func.substr(period, 1, 4), Integer)
    month = cast(func.substr(period, 6, 2), Integer)
    return year * 12 + month - 1


def period_of(count: ColumnElement[Any]) -> ColumnElement[str]:
    """Return the SQL for the YYYY-MM period of a month count, the inverse of `month_count`."""
    year, month = count // 12, count % 12 + 1
    text = String()
    return (
        cast(year, text)
        + literal("-")
        + case((month < 10, literal("0")), else_=literal(""))
        + cast(month, text)
    )


def no_index(conn: Connection, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """Return `column` so that SQLite's planner will not read it through an index.

    SQLite's own idiom, the unary `+`: without statistics (a table analyzed while still empty)
    it may walk millions of rows through a barely selective index, e.g. every employed worker
    by `status`, when a condition beside it names a handful. PostgreSQL plans from statistics
    and gets the column as it is.
    """
    if conn.dialect.name != "sqlite":
        return column
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)
