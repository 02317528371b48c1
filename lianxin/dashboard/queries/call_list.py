"""One cadre's call list (回访清单) for a month, to print: their calls still owed, by village and
name, each with the worker's phone, the due day and the last call made to them.

A cadre has tens of workers, so the list is read whole (bounded by `LIST_MAX`) on the owner
index, and each row's last call on the check-ins' (matched worker, month) index.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from lianxin.dashboard.queries.calls import TABS
from lianxin.dashboard.queries.common import CHECKIN
from lianxin.dashboard.queries.workers import mask_worker
from lianxin.dashboard.scope import Role, Viewer, can_see_phone, place_clause
from lianxin.store import schema as t

LIST_MAX = 500  # more than any cadre looks after; the page says when the list was cut


def cadre_in_scope(conn: Connection, viewer: Viewer, key: str) -> dict[str, Any] | None:
    """Return the cadre `key` (key, name, village, town) if `viewer` may see them, else None.

    A cadre sees only themselves; every other role the cadres of their place.
    """
    c = t.cadres
    query = select(c.c.key, c.c.name, c.c.village, c.c.town).where(c.c.key == key)
    if viewer.role is Role.cadre:
        if viewer.cadre_key != key:
            return None
    else:
        query = query.where(place_clause(viewer, c))
    row = conn.execute(query).first()
    return dict(row._mapping) if row else None


def open_calls(
    conn: Connection, viewer: Viewer, cadre_key: str, period: str, today: date
) -> list[dict[str, Any]]:
    """Return the cadre's check-in calls of `period` still owed (open, overdue, escalated)
    within `viewer`'s place: worker key, name, household, phone (masked unless allowed),
    village, due, days_left (from `today`; negative once late), status and last_call."""
    o, w, c = t.obligations, t.workers, t.checkins
    last_call = (
        select(func.max(c.c.call_date)).where(c.c.matched_key == o.c.subject).scalar_subquery()
    )
    rows = conn.execute(
        select(
            o.c.subject.label("key"),
            o.c.village,
            o.c.owner.label("cadre_key"),
            o.c.due,
            o.c.status,
            w.c.name,
            w.c.household,
            w.c.phone,
            last_call.label("last_call"),
        )
        .join(w, w.c.key == o.c.subject, isouter=True)
        .where(
            o.c.kind == CHECKIN,
            o.c.period == period,
            o.c.owner == cadre_key,
            o.c.status.in_(TABS["owed"]),
            place_clause(viewer, o),
        )
        .order_by(o.c.village, w.c.name, o.c.subject)
        .limit(LIST_MAX)
    ).all()
    listed = []
    for r in rows:
        row = mask_worker(
            dict(r._mapping), can_see_phone(viewer, village=r.village, cadre_key=r.cadre_key)
        )
        row["days_left"] = (r.due - today).days if r.due else None
        listed.append(row)
    return listed
