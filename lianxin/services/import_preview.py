"""What an import would change: its records compared with the store's, field by field, shown
masked unless asked otherwise (`privacy.mask_text`). `lianxin.services.transfer` plans and
applies an import with these; nothing here writes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from lianxin.privacy import mask_text, scrub
from lianxin.records import ParseResult, Severity, person_key
from lianxin.store import schema as t
from lianxin.store.writes import checkin_rows, worker_rows

DISPLAY_LIMIT = 100  # rows of each list kept for display; the counts cover all of them

# Compared between a file's record and the stored row: every column but keys, provenance,
# derived match columns and timestamps, so a column added to the schema is compared too.
_NOT_COMPARED = frozenset(
    {
        "id",
        "key",
        "worker_key",
        "period",
        "person_key",
        "phone_tail",
        "period_index",
        "matched_key",
        "source_url",
        "content_hash",
        "fetched_at",
        "changed_at",
    }
)
WORKER_FIELDS = tuple(c.name for c in t.workers.columns if c.name not in _NOT_COMPARED)
CHECKIN_FIELDS = tuple(c.name for c in t.checkins.columns if c.name not in _NOT_COMPARED)


@dataclass(frozen=True)
class FieldChange:
    """One field of a record that the import changes, shown masked unless asked otherwise."""

    field: str
    old: str
    new: str


@dataclass
class RowChange:
    """A record the import adds, changes or (for an earlier upload of the file) removes."""

    key: str  # worker key, or worker key and period for a check-in
    label: str  # what a person reads: village, name, masked phone (and period)
    changes: list[FieldChange] = field(default_factory=list)
    matched: str | None = None  # a check-in: the roster worker it matches; None: nobody
    replaces: str | None = None  # a worker whose phone changed: the key it had


@dataclass(frozen=True)
class FailedRow:
    """A row of the file that the parser quarantined, with its 1-based row number."""

    row: int | None
    reason: str
    severity: str  # error: rejected; skipped: not data (合计); warning: kept, needs an eye
    raw: dict[str, str]  # masked


@dataclass
class ImportPreview:
    """What importing a file would change; `token` must be handed back to `apply_import`."""

    token: str  # the file's content hash, then a digest of the stored rows compared with it
    content_hash: str  # the file's SHA-256, as its records' provenance says
    filename: str
    url: str  # upload://<file name>, the records' source_url
    kind: str  # roster or checkin_table (as detected for "auto")
    source: str
    periods: list[str]  # check-in periods in the file
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0  # records an earlier upload of the same file name had and this one lacks
    failed: int = 0  # rows rejected (severity error)
    skipped: int = 0  # rows that are not data, e.g. 合计
    warnings: int = 0  # rows kept that need a person's eye
    matched: int = 0  # check-ins matching a roster worker
    unmatched: int = 0  # check-ins matching nobody (unknown workers)
    already_imported: bool = False  # these very bytes are stored already: apply writes nothing
    added_rows: list[RowChange] = field(default_factory=list)
    changed_rows: list[RowChange] = field(default_factory=list)
    removed_rows: list[RowChange] = field(default_factory=list)
    unmatched_rows: list[RowChange] = field(default_factory=list)
    failed_rows: list[FailedRow] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        """Return True when applying would write anything."""
        return not self.already_imported and bool(self.added or self.changed or self.removed)


def _state(row: Any) -> str:
    return json.dumps({k: _text(v) for k, v in row.items() if k != "id"}, ensure_ascii=False)


def count_quarantine(preview: ImportPreview, result: ParseResult, unmasked: bool) -> None:
    for q in result.quarantined:
        if q.severity is Severity.error:
            preview.failed += 1
        elif q.severity is Severity.skipped:
            preview.skipped += 1
        else:
            preview.warnings += 1
        if q.severity is not Severity.skipped and len(preview.failed_rows) < DISPLAY_LIMIT:
            raw = {str(k): str(v) for k, v in q.raw.items()}
            preview.failed_rows.append(
                FailedRow(
                    row=q.row,
                    reason=q.reason if unmasked else scrub(q.reason),
                    severity=q.severity.value,
                    raw=raw if unmasked else {k: scrub(v) for k, v in raw.items()},
                )
            )


def compare_workers(
    conn: Connection, preview: ImportPreview, result: ParseResult, unmasked: bool, seen: list[str]
) -> dict[str, str]:
    w = t.workers
    rows = _last_per_key(worker_rows([result]), ("key",))
    people = {person_key(r["village"], r["name"]) for r in rows}
    stored_rows = conn.execute(
        select(w).where(w.c.person_key.in_(people) | (w.c.source_url == preview.url))
    ).all()
    stored = {s.key: s._mapping for s in stored_rows}
    seen.extend(_state(row) for row in stored.values())
    by_person: dict[str, list[str]] = defaultdict(list)
    for s in stored_rows:
        by_person[s.person_key].append(s.key)
    new_keys = {r["key"] for r in rows}
    renames: dict[str, str] = {}
    for row in rows:
        label = _worker_label(row, unmasked)
        old = stored.get(row["key"])
        if old is None:
            # Same village and name, a single stored worker not in this file: the phone changed.
            candidates = [k for k in by_person[row["person_key"]] if k not in new_keys]
            if len(candidates) == 1 and len(by_person[row["person_key"]]) == 1:
                old = stored[candidates[0]]
                renames[candidates[0]] = row["key"]
        if old is None:
            preview.added += 1
            _keep(preview.added_rows, RowChange(key=row["key"], label=label))
            continue
        changes = diff_fields(old, row, WORKER_FIELDS, unmasked)
        if changes:
            preview.changed += 1
            replaces = old["key"] if old["key"] != row["key"] else None
            _keep(preview.changed_rows, RowChange(row["key"], label, changes, replaces=replaces))
        else:
            preview.unchanged += 1
    kept = new_keys | set(renames)
    for key, old in stored.items():
        if old["source_url"] == preview.url and key not in kept:
            preview.removed += 1
            _keep(preview.removed_rows, RowChange(key=key, label=_worker_label(old, unmasked)))
    return renames


def compare_checkins(
    conn: Connection, preview: ImportPreview, result: ParseResult, unmasked: bool, seen: list[str]
) -> None:
    c, w = t.checkins, t.workers
    rows = _last_per_key(checkin_rows([result]), ("worker_key", "period"))
    keys = {r["worker_key"] for r in rows}
    people = {r["person_key"] for r in rows}
    stored = {
        (s.worker_key, s.period): s._mapping
        for s in conn.execute(
            select(c).where(
                c.c.worker_key.in_(keys) | (c.c.source_url == preview.url),
                c.c.period.in_(preview.periods) | (c.c.source_url == preview.url),
            )
        )
    }
    roster: dict[str, list[str]] = defaultdict(list)
    roster_keys: set[str] = set()
    for key, person in conn.execute(
        select(w.c.key, w.c.person_key).where(w.c.key.in_(keys) | w.c.person_key.in_(people))
    ):
        roster_keys.add(key)
        roster[person].append(key)
        seen.append(f"{key}\t{person}")
    seen.extend(_state(row) for row in stored.values())
    for row in rows:
        # The same rule as `match_checkins`: the exact key, else a single worker of that name.
        matched = row["worker_key"] if row["worker_key"] in roster_keys else None
        if matched is None and len(roster[row["person_key"]]) == 1:
            matched = roster[row["person_key"]][0]
        label = _checkin_label(row, unmasked)
        change = RowChange(key=f"{row['worker_key']}@{row['period']}", label=label, matched=matched)
        if matched:
            preview.matched += 1
        else:
            preview.unmatched += 1
            _keep(preview.unmatched_rows, change)
        old = stored.get((row["worker_key"], row["period"]))
        if old is None:
            preview.added += 1
            _keep(preview.added_rows, change)
            continue
        change.changes = diff_fields(old, row, CHECKIN_FIELDS, unmasked)
        if change.changes:
            preview.changed += 1
            _keep(preview.changed_rows, change)
        else:
            preview.unchanged += 1
    new_keys = {(r["worker_key"], r["period"]) for r in rows}
    for key, old in stored.items():
        if old["source_url"] == preview.url and key not in new_keys:
            preview.removed += 1
            label = _checkin_label(old, unmasked)
            _keep(preview.removed_rows, RowChange(key=f"{key[0]}@{key[1]}", label=label))


def diff_fields(
    old: Any, new: dict[str, Any], fields: Iterable[str], unmasked: bool
) -> list[FieldChange]:
    changes = []
    for name in fields:
        before, after = _text(old[name]), _text(new[name])
        if before != after:
            changes.append(
                FieldChange(name, _shown(name, before, unmasked), _shown(name, after, unmasked))
            )
    return changes


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    return str(value)


def _shown(name: str, value: str, unmasked: bool) -> str:
    return value if unmasked or not value else mask_text(name, value)


def _worker_label(row: Any, unmasked: bool) -> str:
    phone = row["phone"] or ""
    return " ".join(
        part for part in (row["village"], row["name"], _shown("phone", phone, unmasked)) if part
    )


def _checkin_label(row: Any, unmasked: bool) -> str:
    phone = row["worker_phone"] or ""
    parts = (row["village"], row["worker_name"], _shown("phone", phone, unmasked), row["period"])
    return " ".join(part for part in parts if part)


def _keep(rows: list[RowChange], row: RowChange) -> None:
    if len(rows) < DISPLAY_LIMIT:
        rows.append(row)


def _last_per_key(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    # The store keeps the last row of a key (see writes._dedupe); so does the preview.
    return list({tuple(row[k] for k in keys): row for row in rows}.values())
