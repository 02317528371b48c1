"""The few SQL expressions SQLite and PostgreSQL spell differently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Date, func, literal
from sqlalchemy.sql.expression import ColumnElement


def add_days(conn: Connection, day: ColumnElement[Any], days: int) -> ColumnElement[Any]:
    """Return the SQL for `day` plus `days` calendar days, on the connection's dialect."""
    if conn.dialect.name == "sqlite":
        return func.date(day, f"{days:+d} days", type_=Date)
    return (day + literal(days)).cast(Date)  # PostgreSQL: date + integer is a date
