"""Bulk loading into a migrated store: COPY on PostgreSQL, executemany on SQLite.

Rows are tuples already in the database's text forms (dates as YYYY-MM-DD, booleans as 0/1,
JSON as text), so neither driver has to convert them; only timestamps differ by dialect and
`Loader.stamp` spells them. Secondary indexes of the big tables are dropped for the load and
built again at the end, which is much faster than maintaining them row by row; unique
constraints stay, and rows arrive in their key order so those grow at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Engine

BULK_TABLES = ("workers", "checkins")  # the tables whose secondary indexes are rebuilt
SQLITE_BATCH = 20_000


class Loader:
    """A bulk-load session on one raw DBAPI connection, committed as one transaction on exit."""

    def __init__(self, engine: Engine, analyze: bool = True) -> None:
        self.engine = engine
        self.analyze = analyze
        self.dialect = engine.dialect.name
        if self.dialect not in ("sqlite", "postgresql"):
            raise NotImplementedError("bulk loads are written for SQLite and PostgreSQL only")
        self._dropped: list[tuple[str, str]] = []
        self._stamps: dict[datetime, str] = {}
        self.conn: Any = None

    def __enter__(self) -> Loader:
        self._pooled = self.engine.raw_connection()
        connection: Any = self._pooled.driver_connection
        self.conn = connection
        if self.dialect == "sqlite":
            self._isolation = self.conn.isolation_level
            self.conn.isolation_level = None  # we say BEGIN and COMMIT ourselves
            # For the load only: no fsync, a larger page cache; restored on exit.
            self.conn.execute("PRAGMA synchronous=OFF")
            self.conn.execute("PRAGMA cache_size=-131072")
            self.conn.execute("BEGIN")
        else:
            self.conn.execute("SET maintenance_work_mem = '256MB'")
        self._drop_indexes()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self._create_indexes()
                self.conn.commit() if self.dialect == "postgresql" else self.conn.execute("COMMIT")
                if self.analyze:
                    self._analyze()
            else:
                self.conn.rollback() if self.dialect == "postgresql" else self.conn.execute(
                    "ROLLBACK"
                )
        finally:
            if self.dialect == "sqlite":
                self.conn.execute("PRAGMA synchronous=NORMAL")
                self.conn.execute("PRAGMA cache_size=-2000")
                self.conn.isolation_level = self._isolation
            self._pooled.close()

    def _analyze(self) -> None:
        # Planner statistics (and the visibility map), as autovacuum would soon gather on
        # PostgreSQL. SQLite never gathers them by itself; without them it may probe checkins
        # by the low-selectivity ix_checkins_period instead of by worker (benchmarks/README.md).
        if self.dialect == "postgresql":
            # VACUUM as well: PostgreSQL 13+ vacuums a table after many inserts by itself, and
            # only a vacuumed table's index-only scans skip visiting the rows.
            self.conn.commit()
            self.conn.autocommit = True
            try:
                self.conn.execute("VACUUM (ANALYZE)")
            finally:
                self.conn.autocommit = False
        else:
            self.conn.execute("PRAGMA analysis_limit=1000")
            self.conn.execute("ANALYZE")

    def stamp(self, moment: datetime) -> str:
        """Return a UTC instant as this database stores a timezone-aware DateTime column."""
        text = self._stamps.get(moment)
        if text is None:
            text = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
            # SQLAlchemy keeps SQLite timestamps naive (in UTC here); PostgreSQL needs the zone.
            text = text if self.dialect == "sqlite" else text + "+00"
            self._stamps[moment] = text
        return text

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Append `rows` (tuples in `columns` order) to `table`."""
        names = ", ".join(columns)
        if self.dialect == "postgresql":
            cursor = self.conn.cursor()
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.close()
            return
        marks = ", ".join("?" for _ in columns)
        statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= SQLITE_BATCH:
                self.conn.executemany(statement, batch)
                batch.clear()
        if batch:
            self.conn.executemany(statement, batch)

    def _drop_indexes(self) -> None:
        for table in BULK_TABLES:
            for name, ddl in self._secondary_indexes(table):
                self.conn.execute(f"DROP INDEX {name}")
                self._dropped.append((name, ddl))

    def _create_indexes(self) -> None:
        for _name, ddl in self._dropped:
            self.conn.execute(ddl)
        self._dropped.clear()

    def _secondary_indexes(self, table: str) -> list[tuple[str, str]]:
        # Indexes that back no constraint: unique constraints and primary keys stay in place.
        if self.dialect == "sqlite":
            query = (
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
            )
            return [(n, s) for n, s in self.conn.execute(query, (table,)).fetchall()]
        query = (
            "SELECT indexname, indexdef FROM pg_indexes i WHERE tablename = %s "
            "AND schemaname = current_schema() AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) "
            "AND indexdef NOT LIKE 'CREATE UNIQUE%%' ORDER BY indexname"
        )
        return [(n, s) for n, s in self.conn.execute(query, (table,)).fetchall()]
