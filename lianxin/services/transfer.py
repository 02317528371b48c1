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
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath
from typing import Literal

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
from lianxin.records import (
    ParseResult,
    ParseStatus,
    Quarantined,
    ReportKind,
)
from lianxin.services.import_preview import (
    ImportPreview,
    compare_checkins,
    compare_workers,
    count_quarantine,
)
from lianxin.services.roundtrip import refuse_future_calls, resolve_masked, undo_export
from lianxin.store import schema as t
from lianxin.store.writes import SaveStats, write_results

__all__ = [
    "ImportKind",
    "ImportPreview",
    "ImportResult",
    "ImportScope",
    "apply_import",
    "parse_upload",
    "preview_import",
]

ImportKind = Literal["roster", "checkin_table", "auto"]


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
    count_quarantine(preview, result, unmasked)
    renames: dict[str, str] = {}
    seen.append(str(preview.already_imported))
    if report.kind is ReportKind.roster:
        renames = compare_workers(conn, preview, result, unmasked, seen)
    else:
        compare_checkins(conn, preview, result, unmasked, seen)
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
