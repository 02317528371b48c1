"""Who has not been called this month (本月未回访): the month's check-in obligations by status.

One bounded page of rows at a time (LIMIT/OFFSET), most late first; the counts per status at
the top come from the compliance aggregates for a place, and from the obligations themselves
only for one cadre's workers (few rows, on the owner index).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import ColumnElement, Connection, and_, func, literal, select, union_all
from starlette.responses import Response

from lianxin.clock import today_local
from lianxin.dashboard import data, inputs
from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.i18n import add_words
from lianxin.dashboard.scope import Role, Viewer, can_see_phone, place_clause
from lianxin.dashboard.web import EngineDep, render
from lianxin.store import schema as t

router = APIRouter()

PER_PAGE = 50
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

WORDS: dict[str, tuple[str, str]] = {
    "calls.title": ("本月未回访", "Not yet called this month"),
    "calls.tab.owed": ("未回访", "Not called"),
    "calls.status.open": ("待回访", "Open"),
    "calls.status.overdue": ("已逾期", "Overdue"),
    "calls.status.escalated": ("已上报", "Escalated"),
    "calls.status.done": ("已回访", "Called"),
    "calls.status.waived": ("已豁免", "Waived"),
    "calls.period": ("月份", "Month"),
    "calls.town": ("乡镇", "Town"),
    "calls.village": ("村", "Village"),
    "calls.cadre": ("包户干部", "Cadre"),
    "calls.any_cadre": ("全部干部", "Every cadre"),
    "calls.filter": ("筛选", "Filter"),
    "calls.clear": ("清除筛选", "Clear filters"),
    "calls.worker": ("姓名", "Name"),
    "calls.window": ("回访期", "Window"),
    "calls.due": ("截止", "Due"),
    "calls.status": ("状态", "Status"),
    "calls.reminders": ("已提醒", "Reminders"),
    "calls.phone": ("电话", "Phone"),
    "calls.none": ("没有符合条件的回访。", "No calls match."),
    "calls.shown": ("显示", "Showing"),
    "calls.of": ("共", "of"),
    "calls.previous": ("上一页", "Previous"),
    "calls.next": ("下一页", "Next"),
    "calls.page": ("页", "Page"),
}
add_words(WORDS)


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
    chosen = data.filters(town=f.town, village=f.village, cadre_key=f.cadre)(o)
    return and_(o.c.kind == data.CHECKIN, o.c.period == f.period, place_clause(viewer, o), chosen)


def status_counts(conn: Connection, viewer: Viewer, f: Filters) -> dict[str, int]:
    """Return the month's calls by status for the chosen place (or one cadre's workers)."""
    if f.cadre or viewer.role is Role.cadre:
        o = t.obligations
        rows = conn.execute(
            select(o.c.status, func.count()).where(obligation_scope(viewer, f)).group_by(o.c.status)
        ).all()
        found = {str(status): int(n) for status, n in rows}
        return {s: found.get(s, 0) for s in data.STATUSES}
    cp = t.compliance
    chosen = data.filters(town=f.town, village=f.village)(cp)
    sums = [func.coalesce(func.sum(cp.c[s]), 0) for s in data.STATUSES]
    row = conn.execute(
        select(*sums).where(cp.c.period == f.period, place_clause(viewer, cp), chosen)
    ).one()
    return {s: int(n) for s, n in zip(data.STATUSES, row, strict=True)}


def owed_calls(conn: Connection, viewer: Viewer, f: Filters) -> list[dict[str, Any]]:
    """Return one page of the month's check-in obligations in the tab, most late first.

    Each status of the tab is read on its own, in index order (kind, period, status, due, id),
    and only as far as the page reaches; the statuses are then put in rank order (escalated,
    overdue, open). So a province's first pages never sort its million open calls. Only the
    page's rows are joined to the roster and the cadres.
    """
    o, w, c = t.obligations, t.workers, t.cadres
    offset = (f.page - 1) * PER_PAGE
    reach = offset + PER_PAGE
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
        .limit(PER_PAGE)
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
        data.mask_worker(
            dict(r._mapping), can_see_phone(viewer, village=r.village, cadre_key=r.cadre_key)
        )
        for r in rows
    ]


def cadre_choices(conn: Connection, viewer: Viewer, f: Filters, most: int = 200) -> list[Any]:
    """Return the cadres of the chosen place to filter by, or none when there are too many
    for a list (a county has thousands: pick a village first)."""
    cd = t.cadres
    chosen = data.filters(town=f.town, village=f.village)(cd)
    rows = conn.execute(
        select(cd.c.key, cd.c.name, cd.c.village)
        .where(place_clause(viewer, cd), chosen)
        .order_by(cd.c.village, cd.c.name)
        .limit(most + 1)
    ).all()
    return [] if len(rows) > most else list(rows)


@router.get("/calls")
def calls(
    request: Request,
    viewer: CurrentViewer,
    engine: EngineDep,
    period: str | None = None,
    status: str | None = None,
    town: str | None = None,
    village: str | None = None,
    cadre: str | None = None,
    page: str | None = None,
) -> Response:
    """The month's check-in calls not yet made (or of one status), filtered, a page at a time."""
    with engine.connect() as conn:
        month = data.period_or_latest(conn, period)
        f = Filters(
            period=month,
            tab=status if status in TABS else "owed",
            town=data.text_or_none(town),
            village=data.text_or_none(village),
            cadre=data.text_or_none(cadre),
            page=inputs.page_number(page),
        )
        counts = status_counts(conn, viewer, f)
        total = sum(counts[s] for s in TABS[f.tab])
        f = replace(f, page=inputs.clamp(f.page, total, PER_PAGE))  # past the end: the last
        rows = owed_calls(conn, viewer, f)
        cadres = cadre_choices(conn, viewer, f)
        cadre_name = None
        if f.cadre:
            cadre_name = conn.execute(
                select(t.cadres.c.name).where(t.cadres.c.key == f.cadre)
            ).scalar()
    counts_by_tab = {tab: sum(counts[s] for s in members) for tab, members in TABS.items()}
    total = counts_by_tab[f.tab]
    pages = max(1, -(-total // PER_PAGE))
    return render(
        request,
        "calls.html",
        {
            "f": f,
            "tabs": TABS,
            "counts": counts_by_tab,
            "rows": rows,
            "total": total,
            "pages": pages,
            "first": (f.page - 1) * PER_PAGE + 1 if rows else 0,
            "last": (f.page - 1) * PER_PAGE + len(rows),
            "cadres": cadres,
            "cadre_name": cadre_name,
            "today": today_local(),
        },
    )
