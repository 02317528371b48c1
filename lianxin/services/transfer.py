"""Import a roster or check-in table uploaded as XLSX or CSV: preview what changes, then apply it.

The file is read by the attachment parser that reads published tables, so column synonyms,
header finding and quarantine are the same as for the portal. `preview_import` compares its
records with the store and writes nothing; `apply_import` writes the same records through the
store's write path (`write_results`), with the file's provenance: `upload://<file name>`, its
content hash, and `fetched_at=now`. Evaluating the follow-ups afterwards is the caller's job
(`lianxin.services.reevaluate.evaluate_after_import`).

An import may be held to a place (`ImportScope`, e.g. a village lead's village): rows for any
other place fail with the reason, like any rejected row, and the place's uploads are kept apart
from others' (`upload://<place>/<file name>`), so a same-named file from another village never
replaces theirs.

Exports (`export_table`, `export_query`) live in `lianxin.services.export` and are re-exported here.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    FromClause,
    String,
    literal,
    select,
    union_all,
    update,
)

from lianxin.archive import Archive, content_hash
from lianxin.clock import today_local
from lianxin.errors import ImportRejected
from lianxin.parsing.attachments import parse_attachment
from lianxin.privacy import mask_text, scrub
from lianxin.records import (
    ParseResult,
    ParseStatus,
    Quarantined,
    ReportKind,
    Severity,
    person_key,
)
from lianxin.services.export import EXPORTS, export_filename, export_query, export_table
from lianxin.services.roundtrip import refuse_future_calls, resolve_masked, undo_export
from lianxin.store import schema as t
from lianxin.store.writes import SaveStats, checkin_rows, worker_rows, write_results

__all__ = [
    "EXPORTS",
    "ImportKind",
    "ImportPreview",
    "ImportResult",
    "ImportScope",
    "apply_import",
    "export_filename",
    "export_query",
    "export_table",
    "parse_upload",
    "preview_import",
]

ImportKind = Literal["roster", "checkin_table", "auto"]
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


@dataclass
class ImportResult:
    """What `apply_import` wrote; evaluate the follow-ups next
    (`lianxin.services.reevaluate.evaluate_after_import`)."""

    preview: ImportPreview  # what was written: the preview, computed in the same transaction
    written: bool
    periods: list[str]  # check-in periods touched (for a roster: none; evaluate as of today)
    stats: SaveStats
    last_call: date | None = None  # the latest day of a call written (a change's day)


@dataclass(frozen=True)
class ImportScope:
    """The place an importer may write to; rows for anywhere else fail with the reason.

    `where` limits a table to the place, as the dashboard's `place_clause` does: it is asked of
    the file's own villages (and towns), so an import writes exactly what its importer could
    then see. A scoped import writes no regions: the region tree is not the importer's to move.
    Keep it out of the archive: `lianxin reparse` would read the whole file again, unscoped.
    """

    name: str  # the place, as the uploads' URLs carry it: upload://<name>/<file name>
    where: Callable[[FromClause], ColumnElement[bool]]


ApplyHook = Callable[[Connection, "ImportPreview"], None]


@dataclass
class _Plan:
    preview: ImportPreview
    result: ParseResult
    renames: dict[str, str]  # old worker key → new key, for workers whose phone changed


def preview_import(
    engine: Engine,
    content: bytes,
    filename: str,
    kind: ImportKind,
    source: str,
    now: datetime,
    *,
    unmasked: bool = False,
    scope: ImportScope | None = None,
    parsed: ParseResult | None = None,
) -> ImportPreview:
    """Return what importing `content` would add, change and reject; nothing is written.

    Raises ImportRejected when the file cannot be read or holds no roster or check-in table.
    `parsed`: `parse_upload`'s result for `content`, when the caller parsed it elsewhere.
    """
    result = parsed or parse_upload(content, filename, kind, source, now, _place(scope))
    with engine.connect() as conn:
        return _plan(conn, result, unmasked, scope).preview


def apply_import(
    engine: Engine,
    content: bytes,
    filename: str,
    kind: ImportKind,
    source: str,
    now: datetime,
    expected_hash: str,
    *,
    archive: Archive | None = None,
    unmasked: bool = False,
    scope: ImportScope | None = None,
    on_applied: ApplyHook | None = None,
    parsed: ParseResult | None = None,
) -> ImportResult:
    """Write the records a preview of `content` showed; return them and the periods touched.

    Refuses (ImportRejected) when `expected_hash` (the preview's token) names another file, or
    when the stored records the preview compared with have changed since: the preview would no
    longer show what is written. Applying the same file twice, or a file that changes nothing
    (an unchanged export, say), writes nothing.
    `on_applied(conn, preview)` runs in the writing transaction (an audit row, say); `parsed`
    is as for `preview_import`.
    """
    if content_hash(content) != expected_hash.split(".")[0]:
        raise ImportRejected(
            filename, "this is not the file that was previewed (content hash differs)"
        )
    result = parsed or parse_upload(content, filename, kind, source, now, _place(scope))
    if archive is not None:
        archive.put(content)  # so `lianxin reparse` can read the upload again
    stats = SaveStats()
    with engine.begin() as conn:
        plan = _plan(conn, result, unmasked, scope)
        # A file that changes nothing writes nothing: its records keep their provenance.
        written = plan.preview.writes
        # Writing what nobody saw is the danger; a file stored already writes nothing at all.
        if written and plan.preview.token != expected_hash:
            raise ImportRejected(
                filename, "the records it changes were changed since the preview; preview again"
            )
        if written:
            _rename_workers(conn, plan.renames)
            write_results(conn, [result], now, stats)
        if on_applied is not None:
            on_applied(conn, plan.preview)
    periods = plan.preview.periods if written else []
    days = [c.call_date for c in result.checkins if c.call_date] if written else []
    return ImportResult(plan.preview, written, periods, stats, max(days, default=None))


UPLOADED = "upload://"  # the referrer of an uploaded file: a person, not a page


def upload_url(filename: str, place: str | None = None) -> str:
    """Return the source_url records imported from `filename` carry (by `place`, if held to one)."""
    name = PurePath(filename).name
    if place:
        return f"upload://{place.replace('/', '_')}/{name}"
    return f"upload://{name}"


def parse_upload(
    content: bytes,
    filename: str,
    kind: ImportKind,
    source: str,
    now: datetime,
    place: str | None = None,
) -> ParseResult:
    """Return the records of `content` as an import of it reads them (held to `place`'s
    uploads, if named); nothing is compared or written. It needs no store, so a caller may run
    it in a process of its own and hand the result to `preview_import` or `apply_import`.

    Raises ImportRejected when the file cannot be read or holds no roster or check-in table.
    """
    name = PurePath(filename).name
    if kind not in ("roster", "checkin_table", "auto"):
        raise ImportRejected(name, f"unknown kind {kind!r}: roster, checkin_table or auto")
    url = upload_url(name, place)
    result = parse_attachment(content, url, source=source, fetched_at=now, kind=kind, filename=name)
    if result.report.parse_status is ParseStatus.failed:
        reason = "; ".join(result.report.errors) or "unreadable"
        raise ImportRejected(name, reason)
    if result.report.kind not in (ReportKind.roster, ReportKind.checkin_table):
        raise ImportRejected(
            name, f"holds a {result.report.kind.value}, not a roster or check-in table"
        )
    # `lianxin reparse` reads a report with a referrer as an attachment, titled by the
    # referrer's title: an upload has no linking page, so it stands in for one.
    result.report.referrer = UPLOADED
    result.report.referrer_title = PurePath(name).stem
    # What Lianxin exported reads back as the store holds it (see lianxin.services.roundtrip).
    undo_export(result)
    refuse_future_calls(result, today_local(now))
    return result


def _place(scope: ImportScope | None) -> str | None:
    return scope.name if scope else None


def _plan(
    conn: Connection, result: ParseResult, unmasked: bool, scope: ImportScope | None = None
) -> _Plan:
    report = result.report
    seen: list[str] = []  # the stored state the preview rests on
    if scope is not None:
        seen.extend(_hold_to(conn, result, scope))
    resolve_masked(conn, result)
    preview = ImportPreview(
        token="",
        content_hash=report.content_hash,
        filename=PurePath(report.url.removeprefix(UPLOADED)).name,
        url=report.url,
        kind=report.kind.value,
        source=report.source,
        periods=sorted({c.period for c in result.checkins}),
    )
    preview.already_imported = (
        conn.execute(
            select(t.reports.c.id).where(
                t.reports.c.url == report.url, t.reports.c.content_hash == report.content_hash
            )
        ).first()
        is not None
    )
    _count_quarantine(preview, result, unmasked)
    renames: dict[str, str] = {}
    seen.append(str(preview.already_imported))
    if report.kind is ReportKind.roster:
        renames = _compare_workers(conn, preview, result, unmasked, seen)
    else:
        _compare_checkins(conn, preview, result, unmasked, seen)
    state = content_hash(json.dumps(sorted(seen), ensure_ascii=False).encode())
    preview.token = f"{report.content_hash}.{state[:16]}"
    return _Plan(preview=preview, result=result, renames=renames)


def _hold_to(conn: Connection, result: ParseResult, scope: ImportScope) -> list[str]:
    """Move `result`'s records outside `scope` to its quarantine; return the places allowed.

    Workers and cadres are placed by village and town, check-ins by village alone (as the
    tables are): each distinct place is asked of `scope.where` once, in SQL.
    """
    with_town = {(w.village, w.town or "") for w in result.workers}
    with_town |= {(c.village, c.town or "") for c in result.cadres if c.village}
    allowed_pairs = _allowed(conn, scope, sorted(with_town), ("village", "town"))
    villages = sorted({(c.village,) for c in result.checkins})
    allowed_villages = {v for (v, *_) in _allowed(conn, scope, villages, ("village",))}
    outside = f"outside your place ({scope.name}): not imported"
    kept_workers = []
    for worker in result.workers:
        if (worker.village, worker.town or "") in allowed_pairs:
            kept_workers.append(worker)
            continue
        raw = {"村": worker.village, "乡镇": worker.town or "", "姓名": worker.name}
        raw["联系电话"] = worker.phone or ""
        result.quarantined.append(
            Quarantined(url=result.report.url, reason=f"{worker.village} {outside}", raw=raw)
        )
    kept_checkins = []
    for checkin in result.checkins:
        if checkin.village in allowed_villages:
            kept_checkins.append(checkin)
            continue
        raw = {"村": checkin.village, "姓名": checkin.worker_name, "月份": checkin.period}
        raw["联系电话"] = checkin.worker_phone or ""
        result.quarantined.append(
            Quarantined(url=result.report.url, reason=f"{checkin.village} {outside}", raw=raw)
        )
    result.workers = kept_workers
    result.checkins = kept_checkins
    result.cadres = [c for c in result.cadres if (c.village, c.town or "") in allowed_pairs]
    result.regions = []
    return [f"allowed\t{v}\t{town}" for v, town in sorted(allowed_pairs)] + [
        f"allowed\t{v}" for v in sorted(allowed_villages)
    ]


_CHUNK = 400  # places per statement: SQLite allows 500 terms in a compound SELECT


def _allowed(
    conn: Connection,
    scope: ImportScope,
    places: Sequence[tuple[str, ...]],
    columns: tuple[str, ...],
) -> set[tuple[str, ...]]:
    """Return those of `places` (values of `columns`) that `scope.where` keeps."""
    allowed: set[tuple[str, ...]] = set()
    for start in range(0, len(places), _CHUNK):
        candidates = union_all(
            *(
                select(*(literal(v, String).label(c) for v, c in zip(place, columns, strict=True)))
                for place in places[start : start + _CHUNK]
            )
        ).subquery("candidates")
        query = select(*(candidates.c[c] for c in columns)).where(scope.where(candidates))
        allowed.update(tuple("" if v is None else v for v in row) for row in conn.execute(query))
    return allowed


def _state(row: Any) -> str:
    return json.dumps({k: _text(v) for k, v in row.items() if k != "id"}, ensure_ascii=False)


def _count_quarantine(preview: ImportPreview, result: ParseResult, unmasked: bool) -> None:
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


def _compare_workers(
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
        changes = _diff(old, row, WORKER_FIELDS, unmasked)
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


def _compare_checkins(
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
        change.changes = _diff(old, row, CHECKIN_FIELDS, unmasked)
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


def _rename_workers(conn: Connection, renames: dict[str, str]) -> None:
    """Give workers whose phone changed their new key, with everything that refers to them.

    The key holds the phone's last digits; without this a new phone would make one worker
    two, and the old one would keep owing calls.
    """
    for old, new in renames.items():
        conn.execute(update(t.workers).where(t.workers.c.key == old).values(key=new))
        conn.execute(
            update(t.checkins).where(t.checkins.c.matched_key == old).values(matched_key=new)
        )
        for table in (t.obligations, t.risk_flags, t.waivers):
            conn.execute(update(table).where(table.c.subject == old).values(subject=new))


def _diff(
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
