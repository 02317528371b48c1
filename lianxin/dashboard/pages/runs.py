"""Runs (运行): the flow runs Lianxin recorded, failed ones first to the eye, each linked into
the Prefect UI when its address and the run's id are known.

For the county bureau, the supervision group and the admin (`Action.see_operations`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from lianxin.dashboard import auth, inputs
from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.i18n import add_words
from lianxin.dashboard.links import flow_run_url, prefect_ui_base
from lianxin.dashboard.pages.sources import LAST_PAGE, clock, masked
from lianxin.dashboard.queries import operations
from lianxin.dashboard.scope import Action, may
from lianxin.dashboard.web import EngineDep, render
from lianxin.services.watchdog import FAILED_STATUSES, as_utc, one_line

router = APIRouter()

PAGE = 30
# What each flow keeps in its run's stats (tasks/store.py, rules/evaluate.py, notify/deliver.py,
# flows/parse_volume.py), as (word, key): the counts worth a glance, in this order.
COUNTS = (
    ("runs.pages", "pages_fetched"),  # ingest
    ("runs.records", "records_parsed"),
    ("runs.quarantined", "rows_quarantined"),
    ("runs.pages", "pages"),  # reparse; an ingest recorded without Prefect
    ("runs.changed", "changed_pages"),
    ("runs.quarantined", "quarantined"),
    ("runs.created", "created"),  # followups
    ("runs.risk_flags", "risk_flags"),
    ("runs.sent", "sent"),  # remind
    ("runs.send_failed", "failed"),
)
LISTS = (("runs.failed_sources", "failed_sources"), ("runs.fetch_errors", "fetch_errors"))  # ingest
CLOSED = ("→done", "→waived")  # the followups' transitions that close an obligation

WORDS: dict[str, tuple[str, str]] = {
    "runs.title": ("运行记录", "Flow runs"),
    "runs.flow": ("流程", "Flow"),
    "runs.status": ("状态", "Status"),
    "runs.all": ("全部", "All"),
    "runs.filter": ("筛选", "Filter"),
    "runs.as_of": ("业务日期", "As of"),
    "runs.started": ("开始", "Started"),
    "runs.finished": ("结束", "Finished"),
    "runs.duration": ("用时", "Took"),
    "runs.summary": ("摘要", "Summary"),
    "runs.prefect": ("Prefect", "Prefect"),
    "runs.open_in_prefect": ("在 Prefect 中查看", "Open in Prefect"),
    "runs.none": ("暂无运行记录", "No runs recorded yet"),
    "runs.no_ui": (
        "未配置 Prefect 界面地址（dashboard.prefect_ui_url），运行不带链接",
        "No Prefect UI address (dashboard.prefect_ui_url): runs are listed without links",
    ),
    "runs.pages": ("页面", "pages"),
    "runs.records": ("记录", "records"),
    "runs.quarantined": ("隔离", "quarantined"),
    "runs.changed": ("有变化", "changed"),
    "runs.created": ("新建跟进事项", "obligations created"),
    "runs.closed": ("完成跟进事项", "obligations closed"),
    "runs.risk_flags": ("收入预警", "risk flags"),
    "runs.sent": ("已发提醒", "reminders sent"),
    "runs.send_failed": ("发送失败", "sends failed"),
    "runs.fetch_errors": ("抓取错误", "fetch errors"),
    "runs.failed_sources": ("失败数据源", "failed sources"),
    "runs.status.completed": ("完成", "completed"),
    "runs.status.failed": ("失败", "failed"),
    "runs.status.crashed": ("崩溃", "crashed"),
}
add_words(WORDS)


def run_summary(stats: Mapping[str, Any] | None) -> list[tuple[str, int]]:
    """Return the counts worth showing from a run's stats, as (word, number), whatever the flow."""
    stats = stats or {}
    out: list[tuple[str, int]] = []
    for word, key in COUNTS:
        value = stats.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            out.append((word, value))
    transitions = stats.get("transitions")
    if isinstance(transitions, dict):
        closed = [n for label, n in transitions.items() if str(label).endswith(CLOSED)]
        out.append(("runs.closed", sum(n for n in closed if isinstance(n, int))))
    for word, key in LISTS:
        if isinstance(stats.get(key), list) and stats[key]:
            out.append((word, len(stats[key])))
    return out


def duration(started: datetime | None, finished: datetime | None) -> str:
    """Return how long a run took as h:mm:ss, or "" while it has not finished."""
    if started is None or finished is None:
        return ""
    seconds = max(0, round((as_utc(finished) - as_utc(started)).total_seconds()))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


@router.get("/runs")
def runs(
    request: Request,
    viewer: CurrentViewer,
    engine: EngineDep,
    flow: str = "",
    status: str = "",
    page: str = "1",
) -> Response:
    """The latest flow runs, filtered by flow and status, paged, linked into the Prefect UI."""
    if not may(viewer, Action.see_operations):
        raise auth.forbid()
    flow, status = flow.strip()[:32], status.strip()[:16]
    with engine.connect() as conn:
        number, found = inputs.last_page_rows(  # past the end: the last page
            inputs.page_number(page, LAST_PAGE),
            lambda n: operations.runs(
                conn, PAGE + 1, flow=flow or None, status=status or None, offset=(n - 1) * PAGE
            ),
            lambda: operations.run_count(conn, flow=flow or None, status=status or None),
            PAGE,
        )
        flows, statuses = operations.run_kinds(conn)
    ui = prefect_ui_base(request.app.state.settings)
    rows = [
        {
            "id": r["id"],
            "flow": r["flow"],
            "as_of": r["as_of"],
            "started": clock(r["started_at"]),
            "finished": clock(r["finished_at"]),
            "duration": duration(r["started_at"], r["finished_at"]),
            "status": r["status"],
            "failed": r["status"] in FAILED_STATUSES,
            "summary": run_summary(r["stats"]),
            "error": masked(one_line(str((r["stats"] or {}).get("error") or ""))),
            "url": flow_run_url(ui, r["prefect_flow_run_id"]),
            "flow_run_id": r["prefect_flow_run_id"] or "",
        }
        for r in found[:PAGE]
    ]
    return render(
        request,
        "runs.html",
        {
            "runs": rows,
            "flows": sorted({*flows, flow} - {""}),
            "statuses": sorted({*statuses, *FAILED_STATUSES, status} - {""}),
            "filter": {"flow": flow, "status": status},
            "page": number,
            "more": len(found) > PAGE,
            "ui": ui,
        },
    )
