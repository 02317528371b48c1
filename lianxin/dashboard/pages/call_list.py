"""A cadre's printable call list (回访清单): this month's calls still owed, on paper.

`/cadres/<key>/print` lists the cadre's workers not yet called, with name, phone (in full only
for a viewer who may see it), village, days left and the last call, and blank columns to
write in by hand; the print stylesheet (static/lianxin.css, `@media print`) drops the header
and nav, prints black on white and repeats the table's header on every sheet.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from lianxin.clock import today_local
from lianxin.dashboard import auth
from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.i18n import add_words
from lianxin.dashboard.queries.call_list import LIST_MAX, cadre_in_scope, open_calls
from lianxin.dashboard.queries.common import period_or_latest
from lianxin.dashboard.web import EngineDep, render

router = APIRouter()

WORDS: dict[str, tuple[str, str]] = {
    "print.title": ("回访清单", "Call list"),
    "print.link": ("打印回访清单", "Print the call list"),
    "print.now": ("打印", "Print"),
    "print.back": ("返回", "Back"),
    "print.printed": ("打印日期", "Printed"),
    "print.count": ("待回访 {n} 人", "{n} to call"),
    "print.none": ("本月的回访都已完成。", "Every call this month is made."),
    "print.cut": ("只列出前 {n} 人。", "Only the first {n} are listed."),
    "print.number": ("序号", "No."),
    "print.days_left": ("剩余天数", "Days left"),
    "print.late": ("逾期 {n} 天", "{n} days late"),
    "print.last_call": ("上次回访", "Last call"),
    "print.reached": ("接通", "Reached"),
    "print.situation": ("务工情况", "Work now"),
    "print.income": ("上月收入", "Last month's income"),
    "print.notes": ("诉求 / 备注", "Demands / notes"),
}
add_words(WORDS)


@router.get("/cadres/{key:path}/print")
def call_list(
    key: str,
    request: Request,
    viewer: CurrentViewer,
    engine: EngineDep,
    period: str | None = None,
) -> Response:
    """The cadre's calls still owed this month (or `period`), laid out to print."""
    today = today_local()
    with engine.connect() as conn:
        cadre = cadre_in_scope(conn, viewer, key)
        if cadre is None:
            raise auth.forbid()
        month = period_or_latest(conn, period)
        rows = open_calls(conn, viewer, key, month, today)
    return render(
        request,
        "call_list.html",
        {
            "cadre": cadre,
            "period": month,
            "rows": rows,
            "cut": len(rows) >= LIST_MAX,
            "most": LIST_MAX,
            "today": today,
        },
    )
