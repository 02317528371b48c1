"""Dialect-aware batch upserts: one statement per batch, idempotent on the natural key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, func, literal_column, or_, select
from sqlalchemy.dialects import postgresql, sqlite

BATCH = 500  # rows per statement: well under SQLite's 32,766 bound parameters


def _insert(conn: Connection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(
        f"upserts are written for SQLite and PostgreSQL, not {conn.dialect.name}"
    )


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str] | None = None,
) -> int:
    """Insert `rows`, updating `update` columns (default: all but keys) where `keys` collide.

    Return the number of rows handed to the database. With `update=()`, colliding rows are
    left as they are (insert-if-absent).
    """
    if not rows:
        return 0
    columns = list(rows[0])
    to_update = [c for c in columns if c not in keys] if update is None else list(update)
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        stmt = _insert(conn, table).values(list(chunk))
        if to_update:
            # Only rewrite rows whose values really differ, so a re-ingest changes nothing.
            changed = [table.c[c].is_distinct_from(stmt.excluded[c]) for c in to_update]
            stmt = stmt.on_conflict_do_update(
                index_elements=list(keys),
                set_={c: stmt.excluded[c] for c in to_update},
                where=or_(*changed),
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
        conn.execute(stmt)
    return len(rows)


def execute_counting(conn: Connection, statement: Any) -> int:
    """Execute an INSERT/UPDATE and return how many rows it wrote, on SQLite and PostgreSQL.

    SQLAlchemy with psycopg reports -1 for INSERT … SELECT; there the statement runs inside a
    data-modifying CTE whose rows are counted on the server (nothing is fetched per row).
    """
    if conn.dialect.name == "postgresql":
        written = statement.returning(literal_column("1")).cte("written")
        return int(conn.execute(select(func.count()).select_from(written)).scalar_one())
    count = int(conn.execute(statement).rowcount)
    if count < 0:  # Python's sqlite3 gives -1 for a statement that opens with WITH
        count = int(conn.exec_driver_sql("SELECT changes()").scalar_one())
    return count
