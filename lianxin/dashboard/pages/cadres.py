"""Cadres (包户干部): each one's workload and calls made this month, most late first.

One bounded page at a time (LIMIT/OFFSET over the month's calls grouped by cadre): a province
has 150,000 cadres. A cadre sees only their own row, a village lead their village's cadres.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from lianxin.dashboard import inputs
from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.charts import bar_chart
from lianxin.dashboard.i18n import add_words, language_of, translate
from lianxin.dashboard.queries import cadres as workload
from lianxin.dashboard.queries.common import period_or_latest, text_or_none
from lianxin.dashboard.scope import Action, may, within
from lianxin.dashboard.web import EngineDep, render

router = APIRouter()

PER_PAGE = 50
CHART_ROWS = 10

WORDS: dict[str, tuple[str, str]] = {
    "cadres.title": ("包户干部", "Assigned cadres"),
    "cadres.cadre": ("干部", "Cadre"),
    "cadres.village": ("村", "Village"),
    "cadres.town": ("乡镇", "Town"),
    "cadres.period": ("月份", "Month"),
    "cadres.workers": ("包联人数", "Workers"),
    "cadres.due": ("应回访", "Calls due"),
    "cadres.done": ("已回访", "Called"),
    "cadres.open": ("待回访", "Open"),
    "cadres.late": ("逾期/已上报", "Overdue / escalated"),
    "cadres.waived": ("已豁免", "Waived"),
    "cadres.rate": ("回访率 %", "Called %"),
    "cadres.reminders": ("已提醒", "Reminders"),
    "cadres.filter": ("筛选", "Filter"),
    "cadres.clear": ("清除筛选", "Clear filters"),
    "cadres.none": ("没有符合条件的干部。", "No cadres match."),
    "cadres.previous": ("上一页", "Previous"),
    "cadres.next": ("下一页", "Next"),
    "cadres.page": ("页", "Page"),
    "cadres.chart": ("逾期最多的干部：回访率", "Cadres with most late calls: called %"),
    "cadres.calls_of": ("查看其回访", "See their calls"),
}
add_words(WORDS)


@dataclass
class Filters:
    period: str
    town: str | None
    village: str | None
    page: int

    def query(self, **changes: Any) -> dict[str, str]:
        """Return these filters as query parameters (empty ones left out), with `changes`."""
        values: dict[str, Any] = {
            "period": self.period,
            "town": self.town,
            "village": self.village,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v}


@router.get("/cadres")
def cadres(
    request: Request,
    viewer: CurrentViewer,
    engine: EngineDep,
    period: str | None = None,
    town: str | None = None,
    village: str | None = None,
    page: str | None = None,
) -> Response:
    """Each cadre's calls this month (or `period`) in the viewer's place, most late first."""
    where = within(viewer, town=text_or_none(town), village=text_or_none(village))
    with engine.connect() as conn:
        f = Filters(
            period=period_or_latest(conn, period),
            town=text_or_none(town),
            village=text_or_none(village),
            page=inputs.page_number(page),
        )
        # One row more than a page says whether there is a next one, without counting them all
        # (they are counted only for a page past the end, to show the last one instead).
        number, rows = inputs.last_page_rows(
            f.page,
            lambda n: workload.cadres(
                conn, f.period, where, limit=PER_PAGE + 1, offset=(n - 1) * PER_PAGE
            ),
            lambda: workload.cadre_count(conn, f.period, where),
            PER_PAGE,
        )
        f = replace(f, page=number)
    more, rows = len(rows) > PER_PAGE, rows[:PER_PAGE]
    worst = [(r["name"], r["rate"] or 0.0) for r in rows[:CHART_ROWS]]
    chart = bar_chart(worst, translate("cadres.chart", language_of(request)), maximum=100)
    return render(
        request,
        "cadres.html",
        {
            "f": f,
            "rows": rows,
            "more": more,
            "first": (f.page - 1) * PER_PAGE + 1,
            "chart": chart if worst else None,
            "may_handover": may(viewer, Action.handover),
            "typed": {},
        },
    )
