"""Copy a whole store into PostgreSQL: the way from the embedded SQLite default to a server.

The target's schema is made by the migrations, so it stands at head and later upgrades work.
Every table of the schema is copied in dependency order, with its ids, from one snapshot of
the source (a read transaction) into one transaction on the target (PostgreSQL COPY), batch by
batch, so memory stays flat however many rows there are; then the target's id sequences are set
past the copied ids, and the rows of every table are counted on both sides.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Connection, Engine, Integer, Table, inspect

from lianxin.errors import CopyRefused
from lianxin.store.db import migrate
from lianxin.store.maintenance import revisions
from lianxin.store.schema import metadata

VERSION_TABLE = "alembic_version"
# Called after each batch: table, rows copied of it so far, rows it has.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def equal(self) -> bool:
        return self.source == self.target


@dataclass
class CopyResult:
    """Rows per table on both sides after the copy, and how long copying took."""

    counts: list[TableCount] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(c.source for c in self.counts)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def equal(self) -> bool:
        return all(c.equal for c in self.counts)


def masked(engine: Engine) -> str:
    """Return the engine's URL with its password masked."""
    return engine.url.render_as_string(hide_password=True)


def copy_store(
    source: Engine,
    target: Engine,
    force: bool = False,
    batch: int = 20_000,
    progress: Progress | None = None,
) -> CopyResult:
    """Copy every table of `source` into the PostgreSQL database `target`; return the counts.

    Refuse (`CopyRefused`) a target that is not PostgreSQL or is the source, a source behind
    its migrations, and a target holding any row unless `force` (which empties it first).
    """
    _check(source, target, force)
    migrate(target)
    tables = [*metadata.sorted_tables]
    result = CopyResult()
    started = time.perf_counter()
    with _snapshot(source) as src, target.begin() as dst:
        dst.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")  # SQLite keeps UTC instants naive
        if force:
            names = ", ".join(_quote(dst, t.name) for t in tables)
            dst.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        dst.exec_driver_sql(f"DELETE FROM {VERSION_TABLE}")
        sources = {t.name: _count(src, t.name) for t in tables}
        sources[VERSION_TABLE] = _count(src, VERSION_TABLE)
        with _indexes_built_after(dst, [t.name for t in tables]):
            for table in tables:
                _copy_table(src, dst, table, sources[table.name], batch, progress)
        version = src.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").all()
        _copy_rows(dst, VERSION_TABLE, ["version_num"], [tuple(row) for row in version])
        for table in tables:
            _reset_sequence(dst, table)
    result.seconds = time.perf_counter() - started
    with target.connect() as dst:
        result.counts = [TableCount(name, n, _count(dst, name)) for name, n in sources.items()]
    return result


def _check(source: Engine, target: Engine, force: bool) -> None:
    where = masked(target)
    if target.dialect.name != "postgresql":
        raise CopyRefused(where, "the target must be PostgreSQL (postgresql+psycopg://…)")
    if source.url == target.url:
        raise CopyRefused(where, "the target is the configured store itself")
    status = revisions(source)
    if not status.at_head:
        raise CopyRefused(where, "the source store is behind its migrations: lianxin db upgrade")
    if force:
        return
    present = set(inspect(target).get_table_names())
    with target.connect() as conn:
        full = [t.name for t in metadata.sorted_tables if t.name in present and _any(conn, t.name)]
    if full:
        raise CopyRefused(
            where,
            f"the target holds data ({', '.join(full[:5])}{' …' if len(full) > 5 else ''}): "
            "copy into an empty database, or add --force to empty it first",
        )


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """Yield a connection that reads one snapshot of the store while others may write."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # a read transaction: one WAL snapshot throughout
            try:
                yield conn
            finally:
                conn.rollback()
            return
        with conn.execution_options(isolation_level="REPEATABLE READ").begin():
            yield conn


# Indexes that back no constraint: COPY into a table with its 11 worker indexes ran at 9,000
# rows/s on the county; building each index once after the rows are in is much cheaper than
# keeping it up to date row by row. Keys and unique constraints stay (foreign keys need them).
SECONDARY_INDEXES = """
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = current_schema() AND i.tablename = ANY(%(tables)s)
  AND NOT EXISTS (
    SELECT 1 FROM pg_constraint c
    WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass
  )
ORDER BY i.indexname
"""


@contextmanager
def _indexes_built_after(dst: Connection, tables: list[str]) -> Iterator[None]:
    """Drop the secondary indexes of `tables` for the body, then build them again (same
    transaction: a failure leaves them as they were)."""
    indexes = dst.exec_driver_sql(SECONDARY_INDEXES, {"tables": tables}).all()
    for name, _ in indexes:
        dst.exec_driver_sql(f"DROP INDEX {_quote(dst, name)}")
    yield
    dst.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    for _, definition in indexes:
        dst.exec_driver_sql(definition)


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _count(conn: Connection, name: str) -> int:
    return int(conn.exec_driver_sql(f"SELECT count(*) FROM {_quote(conn, name)}").scalar_one())


def _any(conn: Connection, name: str) -> bool:
    return conn.exec_driver_sql(f"SELECT 1 FROM {_quote(conn, name)} LIMIT 1").first() is not None


def _copy_table(
    src: Connection,
    dst: Connection,
    table: Table,
    total: int,
    batch: int,
    progress: Progress | None,
) -> None:
    names = [c.name for c in table.columns]
    columns = ", ".join(_quote(src, n) for n in names)
    order = ", ".join(_quote(src, c.name) for c in table.primary_key.columns) or columns
    rows = src.execution_options(stream_results=True, yield_per=batch).exec_driver_sql(
        f"SELECT {columns} FROM {_quote(src, table.name)} ORDER BY {order}"
    )
    # SQLite hands JSON over as text, which COPY reads as it is; PostgreSQL as Python values.
    as_json = [i for i, c in enumerate(table.columns) if isinstance(c.type, JSON)]
    done = 0
    if progress:
        progress(table.name, 0, total)
    for part in rows.partitions(batch):
        values = [tuple(row) for row in part]
        if as_json:
            values = [_json_as_text(row, as_json) for row in values]
        _copy_rows(dst, table.name, names, values)
        done += len(values)
        if progress:
            progress(table.name, done, total)


def _json_as_text(row: tuple[Any, ...], indexes: list[int]) -> tuple[Any, ...]:
    out = list(row)
    for i in indexes:
        if out[i] is not None and not isinstance(out[i], str):
            out[i] = json.dumps(out[i], ensure_ascii=False)
    return tuple(out)


def _copy_rows(dst: Connection, name: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Write `rows` into table `name` with PostgreSQL COPY, inside `dst`'s transaction."""
    driver = dst.connection.driver_connection
    assert driver is not None
    quoted = ", ".join(_quote(dst, c) for c in columns)
    with driver.cursor() as cursor:
        with cursor.copy(f"COPY {_quote(dst, name)} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _reset_sequence(dst: Connection, table: Table) -> None:
    """Set the sequence behind an integer id past the ids copied, so new rows do not collide."""
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or not isinstance(keys[0].type, Integer):
        return
    name, column = _quote(dst, table.name), keys[0].name
    sequence = dst.exec_driver_sql(
        "SELECT pg_get_serial_sequence(%(t)s, %(c)s)", {"t": name, "c": column}
    ).scalar_one()
    if sequence is None:
        return
    dst.exec_driver_sql(
        f"SELECT setval(%(s)s, coalesce(max({_quote(dst, column)}), 0) + 1, false) FROM {name}",
        {"s": sequence},
    )
