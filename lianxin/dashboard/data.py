"""What the dashboard's pages show, read in SQL: plain dicts and dataclasses, no HTML.

Every function takes a Connection and, where rows belong to places, a `Where`: a function that
returns the WHERE clause limiting a table to what the viewer may see
(`functools.partial(scope.place_clause, viewer)`), or one built from keyword filters by
`filters(county=…, town=…, village=…, cadre_key=…)`. Phones come back in full with the flag
`phone_masked=False`; a page masks them with `mask_worker` unless its viewer may see them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Table, and_, case, func, select, true
from sqlalchemy.sql.expression import ColumnElement

from lianxin.privacy import mask_id_number, mask_phone
from lianxin.records import ObligationKind, period_index
from lianxin.store import schema as t

Where = Callable[[Table], ColumnElement[bool]]
CHECKIN = ObligationKind.monthly_checkin.value
STATUSES = ("done", "open", "overdue", "escalated", "waived")
OPEN_PROBLEM = ("open", "rectifying")
TREND_MONTHS = 6


def filters(
    county: str | None = None,
    town: str | None = None,
    village: str | None = None,
    cadre_key: str | None = None,
) -> Where:
    """Return a `Where` that keeps the rows of the given place (and cadre) on any table."""

    def where(table: Table) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = []
        if village and "village" in table.c:
            clauses.append(table.c.village == village)
        if town and "town" in table.c:
            clauses.append(table.c.town == town)
        if county:
            if "county" in table.c:
                clauses.append(table.c.county == county)
            elif "town" in table.c:
                towns = select(t.regions.c.name).where(
                    t.regions.c.level == "town", t.regions.c.parent == county
                )
                clauses.append(table.c.town.in_(towns))
        if cadre_key:
            if "owner" in table.c:
                clauses.append(table.c.owner == cadre_key)
            elif "cadre_key" in table.c:
                clauses.append(table.c.cadre_key == cadre_key)
        return and_(true(), *clauses)

    return where


def rate(done: int, due: int, waived: int = 0) -> float | None:
    """Return the share of calls made, in percent, of those owed (waived ones are not owed)."""
    owed = due - waived
    return round(100.0 * done / owed, 1) if owed > 0 else None


def previous_periods(period: str, months: int) -> list[str]:
    """Return the `months` periods ending with `period`, oldest first."""
    index = period_index(period)
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


# --- overview ---------------------------------------------------------------------------------


@dataclass
class Overview:
    period: str
    level: str  # what `places` lists: county, town or village
    totals: dict[str, Any]
    places: list[dict[str, Any]]  # this month's compliance, one row per place of `level`
    worst_villages: list[dict[str, Any]]  # most overdue calls first
    trend: list[dict[str, Any]]  # one row per month, oldest first
    problems_due_soon: int
    problems_overdue: int
    risk_flags: int


def _sums(cp: Table) -> list[Any]:
    return [func.coalesce(func.sum(cp.c[c]), 0).label(c) for c in ("due", *STATUSES, "risk_flags")]


def _with_rate(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    out["rate"] = rate(int(out["done"]), int(out["due"]), int(out["waived"]))
    return out


def overview(
    conn: Connection,
    period: str,
    today: date,
    where: Where | None = None,
    *,
    county: str | None = None,
    town: str | None = None,
    village: str | None = None,
    problem_where: ColumnElement[bool] | None = None,
    worst: int = 10,
) -> Overview:
    """Return the month's compliance for the place chosen, read from `compliance` only.

    `places` lists the level under the narrowest place given (counties for a province, towns
    for a county, villages for a town). Problems are counted with `problem_where` (default all).
    """
    cp = t.compliance
    scope = (where or filters(county, town, village))(cp)
    month = and_(cp.c.period == period, scope)
    level, column = (
        ("village", cp.c.village)
        if town or village
        else ("town", cp.c.town)
        if county
        else ("county", cp.c.county)
    )
    keys = (
        [cp.c.county, cp.c.town] if level == "village" else [cp.c.county] if level == "town" else []
    )
    places = conn.execute(
        select(*keys, column.label("name"), *_sums(cp))
        .where(month)
        .group_by(*keys, column)
        .order_by(*keys, column)
    ).all()
    totals = _with_rate(conn.execute(select(*_sums(cp)).where(month)).one())
    late = cp.c.overdue + cp.c.escalated
    worst_rows = conn.execute(
        select(
            cp.c.county,
            cp.c.town,
            cp.c.village,
            cp.c.due,
            cp.c.done,
            cp.c.waived,
            late.label("late"),
        )
        .where(month, late > 0)
        .order_by(late.desc(), cp.c.village)
        .limit(worst)
    ).all()
    months = previous_periods(period, TREND_MONTHS)
    trend = {
        row.period: _with_rate(row)
        for row in conn.execute(
            select(cp.c.period, *_sums(cp))
            .where(cp.c.period.in_(months), scope)
            .group_by(cp.c.period)
        )
    }
    due_soon, overdue = problem_counts(conn, today, problem_where)
    return Overview(
        period=period,
        level=level,
        totals=totals,
        places=[_with_rate(r) for r in places],
        worst_villages=[dict(r._mapping) for r in worst_rows],
        trend=[trend.get(m) or {"period": m, "due": 0, "done": 0, "rate": None} for m in months],
        problems_due_soon=due_soon,
        problems_overdue=overdue,
        risk_flags=int(totals["risk_flags"]),
    )


def problem_counts(
    conn: Connection, today: date, where: ColumnElement[bool] | None = None, days: int = 7
) -> tuple[int, int]:
    """Return (unresolved problems due within `days` days from today, those past their deadline)."""
    p = t.problems
    unresolved = and_(
        p.c.status.in_(OPEN_PROBLEM), p.c.deadline.is_not(None), true() if where is None else where
    )
    soon = func.sum(case((p.c.deadline.between(today, today + timedelta(days=days)), 1), else_=0))
    late = func.sum(case((p.c.deadline < today, 1), else_=0))
    row = conn.execute(select(soon, late).where(unresolved)).one()
    return int(row[0] or 0), int(row[1] or 0)


# --- cadres -----------------------------------------------------------------------------------


def cadres(
    conn: Connection, period: str, where: Where | None = None, limit: int = 200, **kw: str | None
) -> list[dict[str, Any]]:
    """Return each cadre's check-in workload for `period` and how much is done, most late first."""
    o, c = t.obligations, t.cadres
    scope = (where or filters(**kw))(o)
    counts = [func.sum(case((o.c.status == s, 1), else_=0)).label(s) for s in STATUSES]
    late = func.sum(case((o.c.status.in_(("overdue", "escalated")), 1), else_=0))
    rows = conn.execute(
        select(
            o.c.owner.label("cadre_key"),
            func.max(c.c.name).label("name"),
            func.max(c.c.village).label("village"),
            func.max(c.c.town).label("town"),
            func.count().label("due"),
            *counts,
        )
        .join(c, c.c.key == o.c.owner, isouter=True)
        .where(o.c.kind == CHECKIN, o.c.period == period, scope)
        .group_by(o.c.owner)
        .order_by(late.desc(), o.c.owner)
        .limit(limit)
    ).all()
    return [_with_rate(r) for r in rows]


# --- one worker -------------------------------------------------------------------------------


@dataclass
class WorkerPage:
    profile: dict[str, Any]
    checkins: list[dict[str, Any]]  # oldest first: period, call_date, reached, status, income
    obligations: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    income: list[tuple[str, int | None]] = field(default_factory=list)  # for the line chart


def worker(conn: Connection, key: str) -> WorkerPage | None:
    """Return a worker's profile, call history, obligations and income flags (None if unknown)."""
    w, c, o, f = t.workers, t.checkins, t.obligations, t.risk_flags
    row = conn.execute(select(w).where(w.c.key == key)).first()
    if row is None:
        return None
    profile = dict(row._mapping)
    profile["phone_masked"] = False
    calls = [
        dict(r._mapping)
        for r in conn.execute(
            select(
                c.c.period,
                c.c.call_date,
                c.c.reached,
                c.c.status,
                c.c.employer,
                c.c.place,
                c.c.income_yuan,
                c.c.demands,
                c.c.source_url,
            )
            .where(c.c.matched_key == key)
            .order_by(c.c.period_index)
        )
    ]
    # Listing every kind lets the (kind, subject, period) index answer without a table scan.
    kinds = [k.value for k in ObligationKind]
    owed = [
        dict(r._mapping)
        for r in conn.execute(
            select(
                o.c.id, o.c.kind, o.c.period, o.c.due, o.c.status, o.c.level, o.c.owner, o.c.detail
            )
            .where(o.c.kind.in_(kinds), o.c.subject == key)
            .order_by(o.c.due.desc())
        )
    ]
    flags = [
        dict(r._mapping)
        for r in conn.execute(
            select(f.c.kind, f.c.period, f.c.income_yuan, f.c.reference_yuan, f.c.detail)
            .where(f.c.subject == key)
            .order_by(f.c.period)
        )
    ]
    return WorkerPage(
        profile=profile,
        checkins=calls,
        obligations=owed,
        flags=flags,
        income=[(x["period"], x["income_yuan"]) for x in calls],
    )


def mask_worker(data: dict[str, Any], can_see_phone: bool) -> dict[str, Any]:
    """Return a copy of a worker (or call) dict with phone and ID number masked unless allowed."""
    if can_see_phone:
        return dict(data)
    out = dict(data)
    for name in ("phone", "worker_phone"):
        if out.get(name):
            out[name] = mask_phone(out[name])
    if out.get("id_number"):
        out["id_number"] = mask_id_number(out["id_number"])
    out["phone_masked"] = True
    return out


# --- problems, sources, runs ------------------------------------------------------------------


def problems_board(
    conn: Connection,
    today: date,
    where: ColumnElement[bool] | None = None,
    per_status: int = 100,
) -> dict[str, list[dict[str, Any]]]:
    """Return problems by status (open → verified), each column by deadline, late ones marked."""
    p = t.problems
    board: dict[str, list[dict[str, Any]]] = {}
    for status in ("open", "rectifying", "rectified", "verified"):
        rows = conn.execute(
            select(
                p.c.key,
                p.c.number,
                p.c.found,
                p.c.place,
                p.c.description,
                p.c.category,
                p.c.responsible_unit,
                p.c.deadline,
                p.c.rectified_on,
                p.c.verified_on,
                p.c.source_url,
            )
            .where(p.c.status == status, where if where is not None else true())
            .order_by(p.c.deadline.is_(None), p.c.deadline, p.c.number)
            .limit(per_status)
        ).all()
        board[status] = [
            {
                **r._mapping,
                "late": status in OPEN_PROBLEM and r.deadline is not None and r.deadline < today,
            }
            for r in rows
        ]
    return board


@dataclass
class Sources:
    last_fetch: list[dict[str, Any]]  # per source: last fetched_at, fetches, errors
    records_by_run: list[dict[str, Any]]  # per run: started_at, {source: records}
    quarantine: list[dict[str, Any]]
    findings: list[dict[str, Any]]


def sources(conn: Connection, limit: int = 50) -> Sources:
    """Return the health of fetching and parsing: last fetches, records, quarantine, findings."""
    fe, r, q, fi = t.fetches, t.runs, t.quarantine, t.findings
    last = conn.execute(
        select(
            fe.c.source,
            func.max(fe.c.fetched_at).label("last_fetched_at"),
            func.count().label("fetches"),
            func.sum(case((fe.c.error.is_not(None), 1), else_=0)).label("errors"),
        )
        .group_by(fe.c.source)
        .order_by(fe.c.source)
    ).all()
    runs_ = conn.execute(
        select(r.c.id, r.c.flow, r.c.started_at, r.c.status, r.c.stats)
        .order_by(r.c.started_at.desc(), r.c.id.desc())
        .limit(limit)
    ).all()
    by_run = [
        {
            "id": x.id,
            "flow": x.flow,
            "started_at": x.started_at,
            "status": x.status,
            "records_by_source": (x.stats or {}).get("records_by_source", {}),
        }
        for x in runs_
        if (x.stats or {}).get("records_by_source")
    ]
    quarantined = conn.execute(
        select(q.c.url, q.c.row, q.c.reason, q.c.severity, q.c.raw, q.c.created_at)
        .order_by(q.c.created_at.desc(), q.c.id.desc())
        .limit(limit)
    ).all()
    found = conn.execute(
        select(fi.c.kind, fi.c.period, fi.c.subject, fi.c.village, fi.c.detail, fi.c.source_url)
        .order_by(fi.c.period.desc(), fi.c.kind, fi.c.id)
        .limit(limit)
    ).all()
    return Sources(
        last_fetch=[dict(x._mapping) for x in last],
        records_by_run=by_run,
        quarantine=[dict(x._mapping) for x in quarantined],
        findings=[dict(x._mapping) for x in found],
    )


def runs(conn: Connection, limit: int = 30) -> list[dict[str, Any]]:
    """Return the latest flow runs, newest first, with the Prefect flow-run id to link to."""
    r = t.runs
    rows = conn.execute(select(r).order_by(r.c.started_at.desc(), r.c.id.desc()).limit(limit)).all()
    return [dict(x._mapping) for x in rows]
