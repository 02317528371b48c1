"""Re-parse archived pages after a parser change and say what changed, record by record.

The archive keeps every page's raw bytes under their hash, and each report remembers its URL,
HTTP charset and (for a report over several pages) its parts, so parsing again needs no fetch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from lianxin.archive import Archive
from lianxin.clock import local_zone
from lianxin.ingest.regions import region_tree
from lianxin.parsing.gazetteer import configured_tree
from lianxin.records import ParseResult
from lianxin.store import schema as t
from lianxin.store.writes import (
    SaveStats,
    checkin_rows,
    problem_rows,
    worker_rows,
    write_results,
)

# What identifies a record within its page, and which columns are not part of what it says.
_KINDS: dict[str, tuple[Table, tuple[str, ...], Callable[[Sequence[ParseResult]], list[Any]]]] = {
    "worker": (t.workers, ("key",), worker_rows),
    "checkin": (t.checkins, ("worker_key", "period"), checkin_rows),
    "problem": (t.problems, ("key",), problem_rows),
}
_NOT_CONTENT = {"id", "source_url", "content_hash", "fetched_at", "matched_key", "changed_at"}

Reparser = Callable[[Archive, Any], ParseResult]  # (archive, reports row) → result


@dataclass(frozen=True)
class Change:
    kind: str  # worker, checkin, problem
    key: str
    change: str  # added, removed, altered
    fields: tuple[str, ...] = ()


@dataclass
class ReparseReport:
    pages: int = 0
    changed_pages: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # reports whose bytes are not archived

    def counts(self) -> dict[str, dict[str, int]]:
        """Return {kind: {added/removed/altered: n}}."""
        out: dict[str, dict[str, int]] = {}
        for c in self.changes:
            out.setdefault(c.kind, {}).setdefault(c.change, 0)
            out[c.kind][c.change] += 1
        return out


def reparse(
    engine: Engine,
    archive: Archive,
    parser: Reparser,
    now: datetime,
    since: date | None = None,
    apply: bool = True,
) -> ReparseReport:
    """Parse every archived report fetched on or after `since` again; store what changed.

    With `apply=False` nothing is written: the report only says what would change.
    """
    report = ReparseReport()
    with engine.begin() as conn, configured_tree(region_tree(conn)):
        changed: list[ParseResult] = []
        for row in _reports(conn, since):
            report.pages += 1
            try:
                result = parser(archive, row)
            except KeyError:
                report.missing.append(row.url)
                continue
            diff = list(_diff(conn, row.url, result))
            if diff or result.report.parse_status != row.parse_status:
                report.changed_pages.append(row.url)
                report.changes.extend(diff)
                changed.append(result)
        if apply and changed:
            write_results(conn, changed, now, SaveStats())
        if not apply:
            conn.rollback()
    return report


def _reports(conn: Connection, since: date | None) -> Iterator[Any]:
    r = t.reports
    query = select(
        r.c.url,
        r.c.source,
        r.c.fetched_at,
        r.c.content_hash,
        r.c.charset,
        r.c.parts,
        r.c.referrer,
        r.c.referrer_title,
        r.c.parse_status,
    ).order_by(r.c.fetched_at, r.c.url)
    if since is not None:
        # `since` is a calendar day in Asia/Shanghai; instants are stored in UTC.
        start = datetime.combine(since, time(0), local_zone()).astimezone(UTC)
        query = query.where(r.c.fetched_at >= start)
    yield from conn.execute(query)


def _diff(conn: Connection, url: str, result: ParseResult) -> Iterator[Change]:
    for kind, (table, keys, build) in _KINDS.items():
        old = {
            tuple(r[k] for k in keys): r
            for r in (
                dict(x._mapping)
                for x in conn.execute(select(table).where(table.c.source_url == url))
            )
        }
        new = {tuple(r[k] for k in keys): r for r in build([result])}
        for key in sorted(new.keys() - old.keys(), key=repr):
            yield Change(kind, "/".join(map(str, key)), "added")
        for key in sorted(old.keys() - new.keys(), key=repr):
            yield Change(kind, "/".join(map(str, key)), "removed")
        for key in sorted(new.keys() & old.keys(), key=repr):
            fields = tuple(
                sorted(
                    c
                    for c, value in new[key].items()
                    if c not in _NOT_CONTENT and _normal(old[key].get(c)) != _normal(value)
                )
            )
            if fields:
                yield Change(kind, "/".join(map(str, key)), "altered", fields)


def _normal(value: Any) -> Any:
    # SQLite hands dates back as dates and JSON as dicts; compare like with like.
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value
