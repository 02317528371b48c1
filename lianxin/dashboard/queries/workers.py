"""One worker's page: profile, calls, obligations, income flags and waivers.

Phones come back in full with the flag `phone_masked=False`; a page masks them with
`mask_worker` unless its viewer may see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from lianxin.dashboard.queries.common import previous_periods
from lianxin.dashboard.scope import Viewer, place_clause
from lianxin.privacy import mask_fields
from lianxin.records import ObligationKind, period_index
from lianxin.store import schema as t

INCOME_MONTHS = 12


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
    # Moves to or from this roster entry (the same person in another village's roster).
    moves: list[dict[str, Any]] = field(default_factory=list)


def worker_page(conn: Connection, key: str) -> WorkerPage | None:
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
    calls = _dicts(
        conn,
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
        .order_by(c.c.period_index),
    )
    # Listing every kind lets the (kind, subject, period) index answer without a table scan.
    kinds = [k.value for k in ObligationKind]
    owed = _dicts(
        conn,
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
        .order_by(o.c.due.desc()),
    )
    flags = _dicts(
        conn,
        select(f.c.kind, f.c.period, f.c.income_yuan, f.c.reference_yuan, f.c.detail)
        .where(f.c.subject == key)
        .order_by(f.c.period),
    )
    waived = _dicts(
        conn,
        select(v.c.kind, v.c.category, v.c.reason, v.c.given_by, v.c.given_on)
        .where(v.c.subject == key)
        .order_by(v.c.given_on.desc(), v.c.id.desc()),
    )
    m = t.worker_moves
    moves = _dicts(
        conn,
        select(m).where((m.c.from_key == key) | (m.c.to_key == key)).order_by(m.c.moved_at, m.c.id),
    )
    return WorkerPage(
        moves=moves,
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


def _dicts(conn: Connection, query: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(query)]


def mask_worker(data: dict[str, Any], can_see_phone: bool) -> dict[str, Any]:
    """Return a copy of a worker (or call) dict with its personal fields masked by the one rule
    (`privacy.mask_fields`: every phone, a cadre's too, and the ID number) unless allowed.

    The copy's `phone_masked` says which: a page links a phone (`tel:`) only when it is False.
    """
    if can_see_phone:
        return {**data, "phone_masked": False}
    return {**mask_fields(data), "phone_masked": True}


def worker_in_scope(conn: Connection, viewer: Viewer, key: str) -> bool:
    """Return whether `key` is a worker within `viewer`'s place (a cadre: one of their own)."""
    w = t.workers
    found = conn.execute(select(w.c.key).where(w.c.key == key, place_clause(viewer, w))).first()
    return found is not None
