"""Read-side queries for the CLI, the demo summary and artifacts: aggregates done in SQL."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, case, func, select

from lianxin.records import ObligationKind
from lianxin.store import schema as t


def counts(engine: Engine) -> dict[str, int]:
    """Return the number of rows of each record table."""
    tables = {
        "reports": t.reports,
        "cadres": t.cadres,
        "workers": t.workers,
        "checkins": t.checkins,
        "problems": t.problems,
        "obligations": t.obligations,
        "reminders": t.reminders,
        "quarantined": t.quarantine,
    }
    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in tables.items()
        }


def checkins_by_village(engine: Engine, period: str) -> list[dict[str, Any]]:
    """Return, per town and village, the check-in obligations of `period` by status."""
    o, w = t.obligations, t.workers

    def n(status: str) -> Any:
        return func.sum(case((o.c.status == status, 1), else_=0))

    query = (
        select(
            w.c.town,
            w.c.village,
            func.count().label("due"),
            n("done").label("done"),
            n("open").label("open"),
            n("overdue").label("overdue"),
        )
        .join(w, w.c.key == o.c.subject)
        .where(o.c.kind == ObligationKind.monthly_checkin.value, o.c.period == period)
        .group_by(w.c.town, w.c.village)
        .order_by(w.c.town, w.c.village)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def open_by_cadre(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """Return cadres with open or overdue check-in obligations, most overdue first."""
    o, c = t.obligations, t.cadres
    overdue = func.sum(case((o.c.status == "overdue", 1), else_=0)).label("overdue")
    open_ = func.sum(case((o.c.status == "open", 1), else_=0)).label("open")
    query = (
        select(
            o.c.owner,
            c.c.name,
            c.c.village,
            overdue,
            open_,
        )
        .join(c, c.c.key == o.c.owner, isouter=True)
        .where(
            o.c.kind == ObligationKind.monthly_checkin.value, o.c.status.in_(("open", "overdue"))
        )
        .group_by(o.c.owner, c.c.name, c.c.village)
        .order_by(overdue.desc(), open_.desc(), o.c.owner)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def quarantine_reasons(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """Return quarantined rows grouped by reason, most frequent first."""
    q = t.quarantine
    query = (
        select(
            q.c.severity, q.c.reason, func.count().label("rows"), func.min(q.c.url).label("example")
        )
        .group_by(q.c.severity, q.c.reason)
        .order_by(func.count().desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def reports_by_source(engine: Engine) -> list[dict[str, Any]]:
    """Return, per source and kind, how many reports and records are stored."""
    r = t.reports
    query = (
        select(
            r.c.source,
            r.c.kind,
            func.count().label("reports"),
            func.sum(r.c.record_count).label("records"),
            func.sum(case((r.c.parse_status != "ok", 1), else_=0)).label("with_problems"),
        )
        .group_by(r.c.source, r.c.kind)
        .order_by(r.c.source, r.c.kind)
    )
    with engine.connect() as conn:
        return [dict(x._mapping) for x in conn.execute(query)]


def last_runs(engine: Engine, limit: int = 8) -> list[dict[str, Any]]:
    """Return the latest runs, newest first."""
    query = select(t.runs).order_by(t.runs.c.started_at.desc(), t.runs.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def record_run(
    engine: Engine,
    flow: str,
    as_of: date | None,
    started_at: datetime,
    finished_at: datetime,
    status: str,
    stats: dict[str, Any],
    flow_run_id: str | None = None,
) -> None:
    """Keep one row per flow run, for `lianxin status` and the dashboard."""
    with engine.begin() as conn:
        conn.execute(
            t.runs.insert().values(
                flow=flow,
                as_of=as_of,
                started_at=started_at,
                finished_at=finished_at,
                status=status,
                stats=stats,
                prefect_flow_run_id=flow_run_id,
            )
        )


def findings(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """Return reconciliation findings counted by period and kind, newest period first."""
    f = t.findings
    query = (
        select(
            f.c.period,
            f.c.kind,
            func.count().label("findings"),
            func.min(f.c.detail).label("example"),
        )
        .group_by(f.c.period, f.c.kind)
        .order_by(f.c.period.desc(), f.c.kind)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def obligations_by_kind(engine: Engine) -> list[dict[str, Any]]:
    """Return every kind of obligation counted by status, and the income-risk flags."""
    o = t.obligations
    statuses = ("open", "overdue", "escalated", "done", "waived")
    query = (
        select(
            o.c.kind,
            *(func.sum(case((o.c.status == s, 1), else_=0)).label(s) for s in statuses),
        )
        .group_by(o.c.kind)
        .order_by(o.c.kind)
    )
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        flags = conn.execute(select(func.count()).select_from(t.risk_flags)).scalar_one()
    rows.append({"kind": "income_risk flags", "open": flags})
    return rows


def last_evaluated_day(engine: Engine) -> date | None:
    """Return the day the follow-up rules last ran as of, or None before their first run."""
    with engine.connect() as conn:
        day = conn.execute(
            select(t.rule_runs.c.as_of).order_by(t.rule_runs.c.id.desc()).limit(1)
        ).scalar()
    return day  # type: ignore[no-any-return]
