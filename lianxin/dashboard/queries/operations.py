"""The operations pages: sources (fetching, parsing, quarantine, findings) and flow runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, case, func, select, true

from lianxin.dashboard.scope import Where
from lianxin.store import schema as t

INGEST = "ingest"


@dataclass
class Sources:
    # Per source: last fetch, fetches and errors (all time), the last error, and the pages
    # fetched and records parsed by the latest ingest (None when that run did not count them).
    health: list[dict[str, Any]]
    records_by_run: list[dict[str, Any]]  # recent ingest runs, oldest first: {source: records}
    quarantine: list[dict[str, Any]]  # newest first, with the page's title and source if parsed
    findings: list[dict[str, Any]]  # newest period first
    findings_total: int = 0


def sources(
    conn: Connection,
    where: Where | None = None,
    *,
    source: str | None = None,
    url: str | None = None,
    limit: int = 50,
    offset: int = 0,
    kind: str | None = None,
    findings_limit: int = 50,
    ingest_runs: int = 10,
) -> Sources:
    """Return the health of fetching and parsing: per-source fetches, records over the last
    `ingest_runs` ingests, a page of the quarantine and the reconciliation findings.

    The quarantine can be narrowed to a `source` and to URLs containing `url` (taken
    literally), the findings to one `kind`. `where` limits the quarantine (through the report
    of the page) and the findings to a place; a page that never parsed has no place and shows
    only to a viewer of everything.
    """
    fe, r, q, fi, rep = t.fetches, t.runs, t.quarantine, t.findings, t.reports
    recent = conn.execute(
        select(r.c.id, r.c.started_at, r.c.status, r.c.stats)
        .where(r.c.flow == INGEST)
        .order_by(r.c.started_at.desc(), r.c.id.desc())
        .limit(ingest_runs)
    ).all()
    latest_records = (recent[0].stats or {}).get("records_by_source") if recent else None
    since = select(func.max(r.c.started_at)).where(r.c.flow == INGEST).scalar_subquery()
    errored = fe.alias("errored")
    last_error = (
        select(errored.c.error)
        .where(errored.c.source == fe.c.source, errored.c.error.is_not(None))
        .order_by(errored.c.fetched_at.desc(), errored.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    health = [
        {**x._mapping, "records": (latest_records or {}).get(x.source)}
        for x in conn.execute(
            select(
                fe.c.source,
                func.max(fe.c.fetched_at).label("last_fetched_at"),
                func.count().label("fetches"),
                func.sum(case((fe.c.error.is_not(None), 1), else_=0)).label("errors"),
                func.sum(case((fe.c.fetched_at >= since, 1), else_=0)).label("pages"),
                last_error.label("last_error"),
            )
            .group_by(fe.c.source)
            .order_by(fe.c.source)
        )
    ]
    by_run = [
        {
            "id": x.id,
            "started_at": x.started_at,
            "status": x.status,
            "records_by_source": (x.stats or {})["records_by_source"],
        }
        for x in reversed(recent)
        if (x.stats or {}).get("records_by_source") is not None
    ]
    quarantined = conn.execute(
        select(
            q.c.id,
            q.c.url,
            q.c.row,
            q.c.reason,
            q.c.severity,
            q.c.raw,
            q.c.created_at,
            rep.c.title,
            rep.c.source,
        )
        .select_from(q.outerjoin(rep, rep.c.url == q.c.url))
        .where(_quarantined(where, source, url))
        .order_by(q.c.created_at.desc(), q.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    in_place = and_(where(fi) if where else true(), fi.c.kind == kind if kind else true())
    found = conn.execute(
        select(fi.c.kind, fi.c.period, fi.c.subject, fi.c.village, fi.c.detail, fi.c.source_url)
        .where(in_place)
        .order_by(fi.c.period.desc(), fi.c.kind, fi.c.id)
        .limit(findings_limit)
    ).all()
    total = conn.execute(select(func.count()).select_from(fi).where(in_place)).scalar_one()
    return Sources(
        health=health,
        records_by_run=by_run,
        quarantine=[dict(x._mapping) for x in quarantined],
        findings=[dict(x._mapping) for x in found],
        findings_total=int(total),
    )


def _quarantined(where: Where | None, source: str | None, url: str | None) -> Any:
    """Return the clause keeping the quarantine rows (joined to their report) `sources` shows."""
    q, rep = t.quarantine, t.reports
    kept = [where(rep)] if where else []
    if source:
        kept.append(rep.c.source == source)
    if url:
        kept.append(q.c.url.contains(url, autoescape=True))
    return and_(true(), *kept)


def quarantine_count(
    conn: Connection,
    where: Where | None = None,
    *,
    source: str | None = None,
    url: str | None = None,
) -> int:
    """Return how many quarantined rows `sources` pages through with these filters."""
    q, rep = t.quarantine, t.reports
    query = select(func.count()).select_from(q.outerjoin(rep, rep.c.url == q.c.url))
    return int(conn.execute(query.where(_quarantined(where, source, url))).scalar_one())


def _run_filter(flow: str | None, status: str | None) -> Any:
    r = t.runs
    return and_(r.c.flow == flow if flow else true(), r.c.status == status if status else true())


def run_count(conn: Connection, *, flow: str | None = None, status: str | None = None) -> int:
    """Return how many runs `runs` pages through for `flow` and `status`."""
    query = select(func.count()).select_from(t.runs).where(_run_filter(flow, status))
    return int(conn.execute(query).scalar_one())


def runs(
    conn: Connection,
    limit: int = 30,
    *,
    flow: str | None = None,
    status: str | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Return flow runs (of `flow`, with `status`), newest first, with the Prefect flow-run id."""
    r = t.runs
    rows = conn.execute(
        select(r)
        .where(_run_filter(flow, status))
        .order_by(r.c.started_at.desc(), r.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [dict(x._mapping) for x in rows]


def run_kinds(conn: Connection) -> tuple[list[str], list[str]]:
    """Return the flows and the statuses the runs table holds, for the runs page's filters."""
    r = t.runs
    flows = conn.execute(select(r.c.flow).distinct().order_by(r.c.flow)).scalars().all()
    statuses = conn.execute(select(r.c.status).distinct().order_by(r.c.status)).scalars().all()
    return list(flows), list(statuses)
