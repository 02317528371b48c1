"""What the dashboard's pages show, read in SQL: plain dicts and dataclasses, no HTML.

Every function takes a Connection and, where rows belong to places, a `Where`: a function that
returns the WHERE clause limiting a table to what the viewer may see
(`functools.partial(scope.place_clause, viewer)`), or one built from keyword filters by
`filters(county=…, town=…, village=…, cadre_key=…)`. Phones come back in full with the flag
`phone_masked=False`; a page masks them with `mask_worker` unless its viewer may see them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, Table, and_, case, func, select, true
from sqlalchemy.sql.expression import ColumnElement

from lianxin.clock import today_local
from lianxin.privacy import mask_id_number, mask_phone
from lianxin.records import ObligationKind, period_index
from lianxin.store import schema as t

Where = Callable[[Table], ColumnElement[bool]]
CHECKIN = ObligationKind.monthly_checkin.value
STATUSES = ("done", "open", "overdue", "escalated", "waived")
OPEN_PROBLEM = ("open", "rectifying")
TREND_MONTHS = 6
INCOME_MONTHS = 12


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


# A month, YYYY-MM, in ASCII digits: `\d` would take ２０２６-11 (any Unicode digit) as one.
PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def latest_period(conn: Connection) -> str:
    """Return the latest month the aggregates hold, or this month in Shanghai."""
    found = conn.execute(select(func.max(t.compliance.c.period))).scalar_one()
    return str(found or today_local().strftime("%Y-%m"))


def period_or_latest(conn: Connection, asked: str | None) -> str:
    """Return the month a page was asked for (`?period=`), or the latest when it is not one."""
    return asked if asked and PERIOD.fullmatch(asked) else latest_period(conn)


def text_or_none(value: str | None) -> str | None:
    """Return a query or form value stripped, None when it is empty."""
    return (value.strip() or None) if value else None


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
    levels = ["county", "town", "village"]
    level = "village" if town or village else "town" if county else "county"
    while True:
        # A level with a single place (one county, or a county without regions) says nothing:
        # list the level under it instead.
        keys = [cp.c[name] for name in levels[: levels.index(level)]]
        column = cp.c[level]
        places = conn.execute(
            select(*keys, column.label("name"), *_sums(cp))
            .where(month)
            .group_by(*keys, column)
            .order_by(*keys, column)
        ).all()
        if len(places) != 1 or level == "village":
            break
        level = levels[levels.index(level) + 1]
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
    conn: Connection,
    period: str,
    where: Where | None = None,
    limit: int = 200,
    offset: int = 0,
    **kw: str | None,
) -> list[dict[str, Any]]:
    """Return a page of cadres' check-in workload for `period`, most late calls first.

    Each row: cadre_key, name, village, town (from `cadres`), workers (on the roster under
    them), due, done, open, overdue, escalated, waived, late, reminders (sent about these
    calls) and rate. The counts come from `cadre_compliance`, kept by the flows (one row per
    cadre and village, so a cadre's villages are added up); only the page's rows are joined to
    `cadres` and have their workers and reminders counted.
    """
    cc, c, w, o = t.cadre_compliance, t.cadres, t.workers, t.obligations
    scope = (where or filters(**kw))(cc)
    counts = [func.sum(cc.c[s]).label(s) for s in STATUSES]
    late = func.sum(cc.c.overdue + cc.c.escalated).label("late")
    owners = (
        select(cc.c.owner.label("cadre_key"), func.sum(cc.c.due).label("due"), *counts, late)
        .where(cc.c.period == period, scope)
        .group_by(cc.c.owner)
        .order_by(late.desc(), cc.c.owner)
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    assigned = select(func.count()).where(w.c.cadre_key == owners.c.cadre_key).scalar_subquery()
    reminders = (
        select(func.coalesce(func.sum(o.c.reminders_sent), 0))
        .where(o.c.owner == owners.c.cadre_key, o.c.kind == CHECKIN, o.c.period == period)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(
            owners,
            reminders.label("reminders"),
            func.coalesce(c.c.name, owners.c.cadre_key).label("name"),
            c.c.village,
            c.c.town,
            assigned.label("workers"),
        )
        .join(c, c.c.key == owners.c.cadre_key, isouter=True)
        .order_by(owners.c.late.desc(), owners.c.cadre_key)
    ).all()
    return [_with_rate(r) for r in rows]


def cadre_count(conn: Connection, period: str, where: Where | None = None) -> int:
    """Return how many rows `cadres` has for `period` within `where`: its last page's number."""
    cc = t.cadre_compliance
    owners = select(cc.c.owner).where(cc.c.period == period, (where or filters())(cc))
    counted = select(func.count()).select_from(owners.group_by(cc.c.owner).subquery())
    return int(conn.execute(counted).scalar_one())


# --- one worker -------------------------------------------------------------------------------


@dataclass
class WorkerPage:
    profile: dict[str, Any]  # the roster row, with `cadre_name`
    checkins: list[dict[str, Any]]  # oldest first: period, call_date, reached, status, income
    obligations: list[dict[str, Any]]  # latest due first, with reminders sent
    flags: list[dict[str, Any]]
    # For the line chart: every month from the first call to the last (at most INCOME_MONTHS),
    # None where no call gave an income, so the line shows the gap.
    income: list[tuple[str, int | None]] = field(default_factory=list)
    waivers: list[dict[str, Any]] = field(default_factory=list)  # 豁免, newest first


def worker(conn: Connection, key: str) -> WorkerPage | None:
    """Return a worker's profile, call history, obligations and income flags (None if unknown)."""
    w, c, o, f, v = t.workers, t.checkins, t.obligations, t.risk_flags, t.waivers
    row = conn.execute(
        select(w, t.cadres.c.name.label("cadre_name"))
        .join(t.cadres, t.cadres.c.key == w.c.cadre_key, isouter=True)
        .where(w.c.key == key)
    ).first()
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
                o.c.id,
                o.c.kind,
                o.c.period,
                o.c.window_start,
                o.c.due,
                o.c.status,
                o.c.level,
                o.c.owner,
                o.c.detail,
                o.c.reminders_sent,
                o.c.last_reminded_at,
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
    waived = [
        dict(r._mapping)
        for r in conn.execute(
            select(v.c.kind, v.c.category, v.c.reason, v.c.given_by, v.c.given_on)
            .where(v.c.subject == key)
            .order_by(v.c.given_on.desc(), v.c.id.desc())
        )
    ]
    return WorkerPage(
        profile=profile,
        checkins=calls,
        obligations=owed,
        flags=flags,
        income=_monthly_income(calls),
        waivers=waived,
    )


def _monthly_income(calls: list[dict[str, Any]]) -> list[tuple[str, int | None]]:
    """Return (period, income) for each month from the first call to the last, None if unknown."""
    if not calls:
        return []
    by_period = {x["period"]: x["income_yuan"] for x in calls}
    last = calls[-1]["period"]
    span = period_index(last) - period_index(calls[0]["period"]) + 1
    return [(p, by_period.get(p)) for p in previous_periods(last, min(span, INCOME_MONTHS))]


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


PROBLEM_COLUMNS = ("open", "rectifying", "rectified", "verified")


def problem_filter(
    today: date,
    where: ColumnElement[bool] | None = None,
    category: str | None = None,
    unit: str | None = None,
    late_only: bool = False,
) -> ColumnElement[bool]:
    """Return the problems the board shows: within `where` (the viewer's), of `category` and
    responsible `unit` when given, and only those past their deadline unrectified if `late_only`."""
    p = t.problems
    clauses: list[ColumnElement[bool]] = [true() if where is None else where]
    if category:
        clauses.append(p.c.category == category)
    if unit:
        clauses.append(p.c.responsible_unit == unit)
    if late_only:
        clauses += [p.c.status.in_(OPEN_PROBLEM), p.c.deadline < today]
    return and_(*clauses)


def problems_board(
    conn: Connection,
    today: date,
    where: ColumnElement[bool] | None = None,
    per_status: int = 100,
    statuses: tuple[str, ...] = PROBLEM_COLUMNS,
    offset: int = 0,
) -> dict[str, list[dict[str, Any]]]:
    """Return problems by status (open → verified), each column by deadline, late ones marked
    (deadline passed, not rectified) and `days` to the deadline (negative: days overdue); at most
    `per_status` a column, from `offset` on, for the `statuses` asked."""
    p = t.problems
    board: dict[str, list[dict[str, Any]]] = {}
    for status in statuses:
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
            .order_by(p.c.deadline.is_(None), p.c.deadline, p.c.number, p.c.id)
            .limit(per_status)
            .offset(offset)
        ).all()
        board[status] = [
            {
                **r._mapping,
                "late": status in OPEN_PROBLEM and r.deadline is not None and r.deadline < today,
                "days": (r.deadline - today).days if r.deadline is not None else None,
            }
            for r in rows
        ]
    return board


def problem_column_counts(
    conn: Connection, where: ColumnElement[bool] | None = None
) -> dict[str, int]:
    """Return how many problems within `where` each status has (all of them, not one page)."""
    p = t.problems
    rows = conn.execute(
        select(p.c.status, func.count())
        .where(where if where is not None else true())
        .group_by(p.c.status)
    ).all()
    found = {str(status): int(n) for status, n in rows}
    return {status: found.get(status, 0) for status in PROBLEM_COLUMNS}


def problem_choices(
    conn: Connection, where: ColumnElement[bool] | None = None, limit: int = 200
) -> tuple[list[str], list[str]]:
    """Return the categories and responsible units of the problems within `where`, sorted."""
    p = t.problems
    scope = where if where is not None else true()

    def distinct(column: Any) -> list[str]:
        query = select(column).where(scope, column.is_not(None)).distinct()
        return [str(v) for v in conn.execute(query.order_by(column).limit(limit)).scalars()]

    return distinct(p.c.category), distinct(p.c.responsible_unit)


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
