"""The overview (总览): this month's calls by place, their trend, problems due and risk flags.

Read from the aggregates the flows keep (`queries.overview`); `?county=` and `?town=` drill down
inside the viewer's place.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from lianxin.clock import today_local
from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.charts import bar_chart, line_chart
from lianxin.dashboard.i18n import language_of, translate
from lianxin.dashboard.queries.common import period_or_latest
from lianxin.dashboard.queries.overview import overview as month_overview
from lianxin.dashboard.queries.overview import worker_count
from lianxin.dashboard.scope import problem_clause, within
from lianxin.dashboard.web import EngineDep, render

router = APIRouter()


@router.get("/")
def overview(
    request: Request,
    viewer: CurrentViewer,
    engine: EngineDep,
    period: str | None = None,
    county: str | None = None,
    town: str | None = None,
) -> Response:
    """This month's calls by place (from the aggregates the flows keep), trend, problems, risk.

    `?county=` and `?town=` drill down inside the viewer's place: the table then lists that
    county's towns or that town's villages (a place outside the viewer's shows nothing).
    """
    county = county or viewer.county
    town = town or viewer.town
    where = within(viewer, county=county, town=town, village=viewer.village)
    with engine.connect() as conn:
        month = period_or_latest(conn, period)
        summary = month_overview(
            conn,
            month,
            today_local(),
            where,
            county=county,  # the level listed is the one under the narrowest place chosen
            town=town,
            village=viewer.village,
            problem_where=problem_clause(viewer),
        )
        workers = worker_count(conn, where)
    totals = summary.totals
    late = int(totals["overdue"]) + int(totals["escalated"])
    counts = {
        "overview.workers": workers,
        "overview.open": int(totals["open"]) + late,  # this month's calls not yet made
        "overview.overdue": late,
        "overview.problems_open": summary.problems_due_soon + summary.problems_overdue,
    }
    language = language_of(request)
    rates = [(p["name"] or "—", p["rate"] or 0.0) for p in summary.places]
    charts = {
        "places": bar_chart(rates, translate("overview.chart_places", language), maximum=100),
        "trend": line_chart(
            [m["period"] for m in summary.trend],
            {translate("overview.rate", language): [m["rate"] for m in summary.trend]},
            translate("overview.chart_trend", language),
        ),
    }
    trail: list[tuple[str, dict[str, str], str | None]] = [("overview.scope_all", {}, None)]
    if county:
        trail.append(("place.county", {"county": county}, county))
    if town:
        trail.append(("place.town", {"county": county or "", "town": town}, town))
    return render(
        request,
        "overview.html",
        {
            "counts": counts,
            "summary": summary,
            "charts": charts,
            "period": month,
            "trail": [
                (key, "/?" + urlencode({"period": month, **args}), name)
                for key, args, name in trail
            ],
        },
    )
