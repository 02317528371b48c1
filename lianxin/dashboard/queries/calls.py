"""The calls page's read model (本月未回访): the month's check-in obligations by status.

One bounded page of rows at a time (LIMIT/OFFSET), most late first; the counts per status come
from the compliance aggregates for a place, and from the obligations themselves only for one
cadre's workers (few rows, on the owner index).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, literal, select, union_all

from lianxin.dashboard.queries.common import CHECKIN, STATUSES
from lianxin.dashboard.queries.workers import mask_worker
from lianxin.dashboard.scope import Role, Viewer, can_see_phone, place_clause, place_filter
from lianxin.store import schema as t

LATE = ("overdue", "escalated")
# The tabs, first the default: calls still owed, then each status (done and waived for reference).
TABS: dict[str, tuple[str, ...]] = {
    "owed": ("open", *LATE),
    "overdue": ("overdue",),
    "escalated": ("escalated",),
    "open": ("open",),
    "done": ("done",),
    "waived": ("waived",),
}
# Most late first: escalated, overdue, still open, then what is settled.
_RANK = {"escalated": 0, "overdue": 1, "open": 2, "done": 3, "waived": 4}


@dataclass
class Filters:
    period: str
    tab: str
    town: str | None
    village: str | None
    cadre: str | None
    page: int

    def query(self, **changes: Any) -> dict[str, str]:
        """Return these filters as query parameters (empty ones left out), with `changes`."""
        values = {
            "period": self.period,
            "status": self.tab,
            "town": self.town,
            "village": self.village,
            "cadre": self.cadre,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v}


def obligation_scope(viewer: Viewer, f: Filters) -> ColumnElement[bool]:
    """Return the clause keeping this month's check-in obligations of the viewer's chosen place."""
    o = t.obligations
    chosen = place_filter(town=f.town, village=f.village, cadre_key=f.cadre)(o)
    return and_(o.c.kind == CHECKIN, o.c.period == f.period, place_clause(viewer, o), chosen)


def status_counts(conn: Connection, viewer: Viewer, f: Filters) -> dict[str, int]:
    """Return the month's calls by status for the chosen place (or one cadre's workers)."""
    if f.cadre or viewer.role is Role.cadre:
        o = t.obligations
        rows = conn.execute(
            select(o.c.status, func.count()).where(obligation_scope(viewer, f)).group_by(o.c.status)
        ).all()
        found = {str(status): int(n) for status, n in rows}
        return {s: found.get(s, 0) for s in STATUSES}
    cp = t.compliance
    chosen = place_filter(town=f.town, village=f.village)(cp)
    sums = [func.coalesce(func.sum(cp.c[s]), 0) for s in STATUSES]
    row = conn.execute(
        select(*sums).where(cp.c.period == f.period, place_clause(viewer, cp), chosen)
    ).one()
    return {s: int(n) for s, n in zip(STATUSES, row, strict=True)}


def owed_calls(conn: Connection, viewer: Viewer, f: Filters, per_page: int) -> list[dict[str, Any]]:
    """Return one page of the month's check-in obligations in the tab, most late first.

    Each status of the tab is read on its own, in index order (kind, period, status, due, id),
    and only as far as the page reaches; the statuses are then put in rank order (escalated,
    overdue, open). So a province's first pages never sort its million open calls. Only the
    page's rows are joined to the roster and the cadres.
    """
    o, w, c = t.obligations, t.workers, t.cadres
    offset = (f.page - 1) * per_page
    reach = offset + per_page
    parts = [
        select(
            o.c.id,
            o.c.subject.label("key"),
            o.c.village,
            o.c.town,
            o.c.owner.label("cadre_key"),
            o.c.window_start,
            o.c.due,
            o.c.status,
            o.c.level,
            o.c.reminders_sent,
            literal(_RANK[status]).label("rank"),
        )
        .where(obligation_scope(viewer, f), o.c.status == status)
        .order_by(o.c.due, o.c.id)
        .limit(reach)
        .subquery()
        for status in TABS[f.tab]
    ]
    both = union_all(*(select(part) for part in parts)).subquery()
    chosen = (
        select(both)
        .order_by(both.c.rank, both.c.due, both.c.id)
        .limit(per_page)
        .offset(offset)
        .subquery()
    )
    rows = conn.execute(
        select(chosen, w.c.name, w.c.phone, c.c.name.label("cadre_name"))
        .join(w, w.c.key == chosen.c.key, isouter=True)
        .join(c, c.c.key == chosen.c.cadre_key, isouter=True)
        .order_by(chosen.c.rank, chosen.c.due, chosen.c.id)
    ).all()
    return [
        mask_worker(
            dict(r._mapping), can_see_phone(viewer, village=r.village, cadre_key=r.cadre_key)
        )
        for r in rows
    ]


def cadre_choices(conn: Connection, viewer: Viewer, f: Filters, most: int = 200) -> list[Any]:
    """Return the cadres of the chosen place to filter by, or none when there are too many
    for a list (a county has thousands: pick a village first)."""
    cd = t.cadres
    chosen = place_filter(town=f.town, village=f.village)(cd)
    rows = conn.execute(
        select(cd.c.key, cd.c.name, cd.c.village)
        .where(place_clause(viewer, cd), chosen)
        .order_by(cd.c.village, cd.c.name)
        .limit(most + 1)
    ).all()
    return [] if len(rows) > most else list(rows)


def cadre_name(conn: Connection, cadre_key: str) -> str | None:
    """Return the name of the cadre `cadre_key`, None if there is none."""
    return conn.execute(select(t.cadres.c.name).where(t.cadres.c.key == cadre_key)).scalar()
