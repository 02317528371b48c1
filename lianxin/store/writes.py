"""Write parse results to the store in batches; known pages are skipped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, tuple_

from lianxin.records import (
    ParseResult,
    cadre_key,
    period_index,
    person_key,
    phone_tail,
    worker_key,
)
from lianxin.store import schema as t
from lianxin.store.marks import hand_marks, restore_marks
from lianxin.store.matching import match_checkins
from lianxin.store.moves import apply_handovers, detect_moves
from lianxin.store.upsert import upsert


@dataclass
class SaveStats:
    pages: int = 0
    unchanged_pages: int = 0
    regions: int = 0
    cadres: int = 0
    workers: int = 0
    checkins: int = 0
    problems: int = 0
    quarantined: int = 0
    matched: int = 0  # check-ins newly matched to a roster worker
    moved: int = 0  # workers found in another village's or town's roster: one person who moved
    moved_obligations: int = 0  # their live obligations handed to the new cadre
    ambiguous_moves: int = 0  # rows matching two people on file: quarantined, not guessed
    periods: list[str] = field(default_factory=list)  # check-in periods this batch touched
    by_kind: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def save_results(engine: Engine, results: Sequence[ParseResult], now: datetime) -> SaveStats:
    """Upsert every record of `results` in one transaction; return what was written.

    Listing pages only carry links and are not stored as reports. A report whose URL and
    content hash are already stored is skipped whole, so ingesting a page twice changes nothing.
    """
    stats = SaveStats()
    results = [r for r in results if r.report.kind != "listing"]
    if not results:
        return stats
    with engine.begin() as conn:
        pairs = [(r.report.url, r.report.content_hash) for r in results]
        seen = set(
            conn.execute(
                select(t.reports.c.url, t.reports.c.content_hash).where(
                    tuple_(t.reports.c.url, t.reports.c.content_hash).in_(pairs)
                )
            )
        )
        fresh = [r for r in results if (r.report.url, r.report.content_hash) not in seen]
        stats.unchanged_pages = len(results) - len(fresh)
        write_results(conn, fresh, now, stats)
    return stats


RECORD_TABLES = (t.workers, t.cadres, t.checkins, t.problems)


def write_results(
    conn: Connection, fresh: Sequence[ParseResult], now: datetime, stats: SaveStats
) -> None:
    """Write `fresh` results, replacing whatever records their URLs produced before.

    A page that changed may have lost rows; deleting its old records first keeps the store
    equal to what the page says now. Quarantine rows for the same bytes are replaced too.
    """
    stats.pages = len(fresh)
    if not fresh:
        return
    urls = [r.report.url for r in fresh]
    marks = hand_marks(conn, urls)  # 已整改 / 已销号 by hand: a changed page must not undo them
    for table in RECORD_TABLES:
        conn.execute(delete(table).where(table.c.source_url.in_(urls)))
    conn.execute(
        delete(t.quarantine).where(
            t.quarantine.c.content_hash.in_([r.report.content_hash for r in fresh])
        )
    )
    upsert(conn, t.reports, [_report_row(r) for r in fresh], keys=["url"])
    stats.regions = upsert(
        conn,
        t.regions,
        _dedupe(
            [
                {
                    "level": g.level.value,
                    "name": g.name,
                    "code": g.code,
                    "parent": g.parent or "",
                }
                for r in fresh
                for g in r.regions
            ],
            ("level", "name", "parent"),
        ),
        keys=["level", "name", "parent"],
    )
    stats.cadres = upsert(conn, t.cadres, _dedupe(cadre_rows(fresh), ("key",)), keys=["key"])
    stats.workers = upsert(
        conn, t.workers, _dedupe(worker_rows(fresh, now), ("key",)), keys=["key"]
    )
    apply_handovers(conn, urls)
    moves = detect_moves(conn, urls, now)
    stats.moved, stats.moved_obligations = moves.moved, moves.obligations
    stats.ambiguous_moves = moves.ambiguous
    stats.checkins = upsert(
        conn,
        t.checkins,
        _dedupe(checkin_rows(fresh, now), ("worker_key", "period")),
        keys=["worker_key", "period"],
    )
    stats.matched = match_checkins(conn)
    stats.periods = sorted({c.period for r in fresh for c in r.checkins})
    stats.problems = upsert(
        conn, t.problems, _dedupe(problem_rows(fresh, now), ("key",)), keys=["key"]
    )
    restore_marks(conn, marks)
    stats.quarantined = upsert(
        conn,
        t.quarantine,
        _dedupe(_quarantine_rows(fresh, now), ("content_hash", "row", "reason")),
        keys=["content_hash", "row", "reason"],
        update=(),
    )
    for r in fresh:
        stats.by_kind[r.report.kind.value] = stats.by_kind.get(r.report.kind.value, 0) + 1


def _dedupe(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    # One statement may not touch the same key twice (PostgreSQL refuses it); the last wins.
    return list({tuple(row[k] for k in keys): row for row in rows}.values())


def _report_row(r: ParseResult) -> dict[str, Any]:
    rep = r.report
    return {
        "url": rep.url,
        "source": rep.source,
        "kind": rep.kind.value,
        "title": rep.title,
        "published": rep.published,
        "published_time": rep.published_time,
        "authors": rep.authors,
        "editor": rep.editor,
        "content_source": rep.content_source,
        "body": rep.body,
        "content_hash": rep.content_hash,
        "fetched_at": rep.fetched_at,
        "parse_status": rep.parse_status.value,
        "errors": rep.errors,
        "county": rep.county,
        "town": rep.town,
        "village": rep.village,
        "record_count": r.record_count,
        "charset": rep.charset,
        "parts": [part.model_dump() for part in rep.parts] or None,
        "referrer": rep.referrer,
        "referrer_title": rep.referrer_title,
        "facts": [fact.model_dump(mode="json") for fact in r.facts] or None,
    }


def _provenance(r: ParseResult) -> dict[str, Any]:
    # Every record says which page, fetched when, with which bytes, it came from.
    return {
        "source_url": r.report.url,
        "content_hash": r.report.content_hash,
        "fetched_at": r.report.fetched_at,
    }


def cadre_rows(results: Sequence[ParseResult]) -> list[dict[str, Any]]:
    return [
        {
            "key": cadre_key(c.town, c.name),
            "name": c.name,
            "unit": c.unit,
            "phone": c.phone,
            "village": c.village,
            "town": c.town,
            "routes": c.routes,
            "supervisor": c.supervisor,
            **_provenance(r),
        }
        for r in results
        for c in r.cadres
    ]


def worker_rows(
    results: Sequence[ParseResult], now: datetime | None = None
) -> list[dict[str, Any]]:
    return [
        {
            "key": worker_key(w.village, w.name, w.phone),
            "household": w.household,
            "name": w.name,
            "phone": w.phone,
            "id_number": w.id_number,
            "village": w.village,
            "town": w.town,
            "cadre_key": cadre_key(w.town, w.cadre) if w.cadre else None,
            "wish": w.wish,
            "skills": w.skills,
            "training": w.training,
            "employer": w.employer,
            "work_place": w.work_place,
            "start_date": w.start_date,
            "status": w.status.value,
            "extra": w.extra,
            "person_key": person_key(w.village, w.name),
            "changed_at": now or r.report.fetched_at,
            **_provenance(r),
        }
        for r in results
        for w in r.workers
    ]


def checkin_rows(
    results: Sequence[ParseResult], now: datetime | None = None
) -> list[dict[str, Any]]:
    return [
        {
            "worker_key": worker_key(c.village, c.worker_name, c.worker_phone),
            "village": c.village,
            "worker_name": c.worker_name,
            "worker_phone": c.worker_phone,
            "cadre": c.cadre,
            "period": c.period,
            "call_date": c.call_date,
            "reached": c.reached,
            "status": c.status.value if c.status else None,
            "employer": c.employer,
            "place": c.place,
            "income_yuan": c.income_yuan,
            "demands": c.demands,
            "policy_explained": c.policy_explained,
            "followup_needed": c.followup_needed,
            "notes": c.notes,
            "extra": c.extra,
            "phone_tail": phone_tail(c.worker_phone),
            "person_key": person_key(c.village, c.worker_name),
            "period_index": period_index(c.period),
            "changed_at": now or r.report.fetched_at,
            **_provenance(r),
        }
        for r in results
        for c in r.checkins
    ]


def problem_rows(
    results: Sequence[ParseResult], now: datetime | None = None
) -> list[dict[str, Any]]:
    return [
        {
            "key": f"{r.report.url}#{p.number}",
            "number": p.number,
            "found": p.found,
            "place": p.place,
            "description": p.description,
            "category": p.category,
            "responsible_unit": p.responsible_unit,
            "deadline": p.deadline,
            "status": p.status.value,
            "changed_at": now or r.report.fetched_at,
            **_provenance(r),
        }
        for r in results
        for p in r.problems
    ]


def _quarantine_rows(results: Sequence[ParseResult], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "url": q.url,
            "content_hash": r.report.content_hash,
            "row": q.row or 0,
            "reason": q.reason,
            "severity": q.severity.value,
            "raw": q.raw,
            "created_at": now,
        }
        for r in results
        for q in r.quarantined
    ]


def quarantine_table(results: Sequence[ParseResult]) -> list[dict[str, Any]]:
    """Return the quarantined rows of `results` grouped by severity and reason, most first."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for r in results:
        for q in r.quarantined:
            entry = groups.setdefault(
                (q.severity.value, q.reason),
                {"severity": q.severity.value, "reason": q.reason, "rows": 0, "example": q.url},
            )
            entry["rows"] += 1
    return sorted(groups.values(), key=lambda e: (-e["rows"], e["severity"], e["reason"]))
