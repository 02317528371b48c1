"""Who has not been called this month (本月未回访): the month's check-in obligations by status.

One bounded page of rows at a time (LIMIT/OFFSET), most late first; the counts per status at
the top come from the compliance aggregates for a place, and from the obligations themselves
only for one cadre's workers (few rows, on the owner index).
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request
from starlette.responses import Response

from lianxin.clock import today_local
from lianxin.dashboard import inputs
from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.i18n import add_words
from lianxin.dashboard.queries.calls import (
    TABS,
    Filters,
    cadre_choices,
    cadre_name,
    owed_calls,
    status_counts,
)
from lianxin.dashboard.queries.common import period_or_latest, text_or_none
from lianxin.dashboard.scope import Action, may
from lianxin.dashboard.web import EngineDep, render

router = APIRouter()

PER_PAGE = 50

WORDS: dict[str, tuple[str, str]] = {
    "calls.title": ("本月未回访", "Not yet called this month"),
    "calls.tab.owed": ("未回访", "Not called"),
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
    "calls.reminders": ("已提醒", "Reminders"),
    "calls.phone": ("电话", "Phone"),
    "calls.none": ("没有符合条件的回访。", "No calls match."),
    "calls.shown": ("显示", "Showing"),
    "calls.of": ("共", "of"),
    "calls.previous": ("上一页", "Previous"),
    "calls.next": ("下一页", "Next"),
    "calls.page": ("页", "Page"),
    "calls.record": ("记录回访", "Record the call"),
}
add_words(WORDS)


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
        month = period_or_latest(conn, period)
        f = Filters(
            period=month,
            tab=status if status in TABS else "owed",
            town=text_or_none(town),
            village=text_or_none(village),
            cadre=text_or_none(cadre),
            page=inputs.page_number(page),
        )
        counts = status_counts(conn, viewer, f)
        total = sum(counts[s] for s in TABS[f.tab])
        f = replace(f, page=inputs.clamp(f.page, total, PER_PAGE))  # past the end: the last
        rows = owed_calls(conn, viewer, f, PER_PAGE)
        cadres = cadre_choices(conn, viewer, f)
        chosen_cadre = cadre_name(conn, f.cadre) if f.cadre else None
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
            "cadre_name": chosen_cadre,
            "today": today_local(),
            "may_record": may(viewer, Action.record_checkin),
        },
    )
