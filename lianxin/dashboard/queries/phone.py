"""The phone page's read model: the calls a digest link still owes, each with its worker's
phone, days left, last call and last income; and the read receipts the cadres page shows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from lianxin.services.links import LIVE
from lianxin.store import schema as t


def open_calls(conn: Connection, obligations: Sequence[int], today: date) -> list[dict[str, Any]]:
    """Return the link's obligations still open (called ones leave), by village and name.

    Each row: obligation_id, worker_key, name, village, phone (in full: the page masks it
    unless allowed), due, days_left, last_call (a date or None), last_reached, last_income.
    """
    o, w, c = t.obligations, t.workers, t.checkins
    latest = (
        select(
            c.c.worker_key,
            c.c.call_date,
            c.c.reached,
            c.c.income_yuan,
            func.row_number()
            .over(partition_by=c.c.worker_key, order_by=c.c.period_index.desc())
            .label("n"),
        )
        .where(c.c.worker_key.in_(select(o.c.subject).where(o.c.id.in_(list(obligations)))))
        .subquery()
    )
    rows = conn.execute(
        select(
            o.c.id.label("obligation_id"),
            w.c.key.label("worker_key"),
            w.c.name,
            w.c.village,
            w.c.phone,
            o.c.due,
            latest.c.call_date.label("last_call"),
            latest.c.reached.label("last_reached"),
            latest.c.income_yuan.label("last_income"),
        )
        .join(w, w.c.key == o.c.subject)
        .join(latest, (latest.c.worker_key == w.c.key) & (latest.c.n == 1), isouter=True)
        .where(o.c.id.in_(list(obligations)), o.c.status.in_(LIVE))
        .order_by(w.c.village, w.c.name, o.c.id)
    ).all()
    return [{**r._mapping, "days_left": (r.due - today).days} for r in rows]
