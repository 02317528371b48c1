"""Looking after the database: which migration it is at, and an online copy of an SQLite file.

Used by `lianxin db current|upgrade|backup` and by `lianxin config check`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from lianxin.store.db import alembic_config


@dataclass(frozen=True)
class Revisions:
    current: tuple[str, ...]  # empty for a database Alembic has never touched
    heads: tuple[str, ...]  # what this version of Lianxin expects
    known: frozenset[str]  # every revision this version ships

    @property
    def at_head(self) -> bool:
        return set(self.current) == set(self.heads)

    @property
    def unknown(self) -> tuple[str, ...]:
        """Return the current revisions this version does not ship (a newer Lianxin wrote them)."""
        return tuple(rev for rev in self.current if rev not in self.known)


def shipped_heads() -> tuple[str, ...]:
    """Return the migration head(s) this version of Lianxin ships."""
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def revisions(engine: Engine) -> Revisions:
    """Return the database's current Alembic revision(s) next to the heads Lianxin ships."""
    script = ScriptDirectory.from_config(alembic_config())
    known = frozenset(rev.revision for rev in script.walk_revisions())
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    return Revisions(tuple(current), shipped_heads(), known)


def sqlite_path(database_url: str) -> Path | None:
    """Return the file behind an SQLite URL; None for another database or an in-memory one."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy the SQLite database `source` to `target` while others may write; return its pages.

    SQLite's online backup API copies a consistent snapshot, including what still sits in the
    write-ahead log, so the copy is safe while a flow runs. The copy is a single file (its
    journal mode set back to DELETE), written next to `target` and renamed into place.
    """
    if not source.is_file():
        raise FileNotFoundError(f"{source} does not exist")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=1024)  # in steps, so writers are not held up for long
        dst.execute("PRAGMA journal_mode=DELETE")
        if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError(f"the copy of {source} failed its integrity check")
        pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
    finally:
        dst.close()
        src.close()
    partial.replace(target)
    return pages
