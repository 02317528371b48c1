"""Problems (问题清单): the board by status and deadline, and marking them rectified or verified.

Columns open → rectifying → rectified → verified, each by deadline, the late ones (deadline
passed, not rectified) marked; a phone stacks them. Marking is `lianxin.services.problems`' work:
the route checks the role and the place, writes the mark and its audit row in one transaction, then
re-evaluates the rules so that the deadline obligation is done and the return visit is owed.
Descriptions, places and units come from fetched pages and are shown as text, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from lianxin.clock import today_local, utc_now
from lianxin.dashboard import audit, auth, inputs
from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.i18n import add_words
from lianxin.dashboard.links import http_url
from lianxin.dashboard.queries.common import Clause, Connection, Engine, text_or_none
from lianxin.dashboard.queries.problems import (
    PROBLEM_COLUMNS,
    problem_choices,
    problem_column_counts,
    problem_filter,
    problems_board,
)
from lianxin.dashboard.scope import Action, Viewer, may, problem_clause
from lianxin.dashboard.web import EngineDep, client_address, read_form, render
from lianxin.errors import ProblemMarkRefused
from lianxin.services import problems as marking

router = APIRouter()

PER_COLUMN = 30  # cards a column shows on the board; "more" opens the column alone
PER_PAGE = 50  # cards a page of one column shows

WORDS: dict[str, tuple[str, str]] = {
    "problems.title": ("问题清单", "Problems"),
    "problems.status.open": ("待整改", "Open"),
    "problems.status.rectifying": ("整改中", "Rectifying"),
    "problems.status.rectified": ("已整改", "Rectified"),
    "problems.status.verified": ("已销号", "Verified"),
    "problems.category": ("类别", "Category"),
    "problems.unit": ("责任单位", "Responsible unit"),
    "problems.any": ("全部", "Any"),
    "problems.late_only": ("只看超期", "Late only"),
    "problems.filter": ("筛选", "Filter"),
    "problems.clear": ("清除筛选", "Clear filters"),
    "problems.place": ("地点", "Place"),
    "problems.found": ("发现", "Found"),
    "problems.deadline": ("整改时限", "Deadline"),
    "problems.no_deadline": ("无时限", "No deadline"),
    "problems.days_left": ("剩余天数", "Days left"),
    "problems.days_late": ("超期天数", "Days overdue"),
    "problems.late": ("超期", "Late"),
    "problems.rectified_on": ("整改日期", "Rectified on"),
    "problems.verified_on": ("销号日期", "Verified on"),
    "problems.source": ("原文", "Source"),
    "problems.more": ("条未显示", "more not shown"),
    "problems.empty": ("无", "None"),
    "problems.on": ("日期", "Date"),
    "problems.note": ("备注", "Note"),
    "problems.mark_rectified": ("标记已整改", "Mark rectified"),
    "problems.mark_verified": ("回访后销号", "Mark verified"),
    "problems.done.rectified": (
        "已标记为已整改：整改时限已完成，回访（杀回马枪）开始计时。",
        "Marked rectified: the deadline is met and the return visit is now owed.",
    ),
    "problems.done.verified": ("已销号。", "Marked verified."),
    "problems.error.date": ("日期格式应为 YYYY-MM-DD。", "The date must read YYYY-MM-DD."),
    "problems.error.not_open": (
        "该问题已整改或已销号，不能再标记已整改。",
        "This problem is already rectified or verified.",
    ),
    "problems.error.not_rectified": (
        "只有已整改的问题才能销号。",
        "Only a rectified problem can be marked verified.",
    ),
    "problems.error.future": ("日期不能晚于今天。", "The date cannot be after today."),
    "problems.error.before_found": (
        "日期不能早于发现问题的日期。",
        "The date cannot be before the problem was found.",
    ),
    "problems.error.too_early": (
        "日期太早：只能填写近12个月内的日期。",
        "Too early: give a day within the last 12 months.",
    ),
    "problems.error.before_rectified": (
        "销号日期不能早于整改日期。",
        "The verification date cannot be before the rectification.",
    ),
    "problems.more_link": ("查看更多", "Show more"),
    "problems.all_columns": ("返回看板", "Back to the board"),
    "problems.previous": ("上一页", "Previous"),
    "problems.next": ("下一页", "Next"),
    "problems.error.changed": (
        "该问题刚被他人修改，请刷新后重试。",
        "Someone else changed this problem meanwhile: reload and try again.",
    ),
}
add_words(WORDS)


@dataclass
class Filters:
    category: str | None
    unit: str | None
    late: bool
    column: str | None = None  # one status's column alone, a page at a time
    page: int = 1

    def query(self, **changes: str | int | None) -> dict[str, str]:
        """Return these filters as query parameters (empty ones left out), with `changes`."""
        values: dict[str, str | int | None] = {
            "category": self.category,
            "unit": self.unit,
            "late": "1" if self.late else None,
            "column": self.column,
            "page": self.page if self.page > 1 else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v}


@dataclass
class Failed:
    """A mark that was refused, to show again with its message and what was typed."""

    key: str
    action: str  # rectified | verified
    on: str
    note: str
    error: str  # a word key


def _filters(values: dict[str, str]) -> Filters:
    column = values.get("column")
    page = values.get("page", "")
    return Filters(
        category=text_or_none(values.get("category")),
        unit=text_or_none(values.get("unit")),
        late=values.get("late") in ("1", "on", "true"),
        column=column if column in PROBLEM_COLUMNS else None,
        page=inputs.page_number(page),
    )


def _board(
    request: Request,
    viewer: Viewer,
    engine: Engine,
    f: Filters,
    done: str | None = None,
    failed: Failed | None = None,
    status_code: int = 200,
) -> Response:
    today = today_local()
    scope = problem_clause(viewer)
    where: Clause = problem_filter(today, scope, f.category, f.unit, f.late)
    with engine.connect() as conn:
        counts = problem_column_counts(conn, where)
        if column := f.column:  # one column, a page at a time; past its end, its last page
            f = replace(f, page=inputs.clamp(f.page, counts[column], PER_PAGE))
            board = problems_board(
                conn,
                today,
                where,
                per_status=PER_PAGE,
                statuses=(column,),
                offset=(f.page - 1) * PER_PAGE,
            )
        else:
            board = problems_board(conn, today, where, per_status=PER_COLUMN)
        categories, units = problem_choices(conn, scope)
    for rows in board.values():
        for row in rows:
            row["link"] = http_url(row["source_url"])
    return render(
        request,
        "problems.html",
        {
            "f": f,
            "board": board,
            "counts": counts,
            "categories": categories,
            "units": units,
            "today": today.isoformat(),
            "per_page": PER_PAGE if f.column else PER_COLUMN,
            "offset": (f.page - 1) * PER_PAGE if f.column else 0,
            "can_rectify": may(viewer, Action.mark_rectified),
            "can_verify": may(viewer, Action.mark_verified),
            "done": done if done in ("problems.done.rectified", "problems.done.verified") else None,
            "failed": failed,
            "note_limit": inputs.limit_of("note"),
        },
        status_code=status_code,
    )


@router.get("/problems")
def problems(
    request: Request,
    viewer: CurrentViewer,
    engine: EngineDep,
    category: str | None = None,
    unit: str | None = None,
    late: str | None = None,
    done: str | None = None,
    column: str | None = None,
    page: str | None = None,
) -> Response:
    """The problems naming the viewer's place, by status and deadline (`?column=open&page=2`:
    one status's column alone, a page at a time)."""
    f = _filters(
        {
            "category": category or "",
            "unit": unit or "",
            "late": late or "",
            "column": column or "",
            "page": page or "",
        }
    )
    return _board(request, viewer, engine, f, done=done)


@router.post("/problems/{key:path}/rectified")
async def mark_rectified(
    key: str, request: Request, viewer: CurrentViewer, engine: EngineDep
) -> Response:
    """Mark a problem rectified (已整改) on a day (default today), with an optional note."""
    return await _mark(key, request, viewer, engine, Action.mark_rectified)


@router.post("/problems/{key:path}/verified")
async def mark_verified(
    key: str, request: Request, viewer: CurrentViewer, engine: EngineDep
) -> Response:
    """Mark a rectified problem verified (已销号) after the return visit, on a day."""
    return await _mark(key, request, viewer, engine, Action.mark_verified)


async def _mark(
    key: str, request: Request, viewer: Viewer, engine: Engine, action: Action
) -> Response:
    if not may(viewer, action):
        raise auth.forbid()
    form = await read_form(request)
    f = _filters(form)
    name = "rectified" if action is Action.mark_rectified else "verified"
    typed = form.get("on", "").strip()
    note = form.get("note", "").strip()
    if len(note) > inputs.limit_of("note"):  # refused whole, never cut and stored
        failed = Failed(key, name, typed, note[: inputs.limit_of("note")], "input.too_long.note")
        return _board(request, viewer, engine, f, failed=failed, status_code=422)

    def record(conn: Connection, done: marking.Mark) -> None:
        detail = {"from": done.old_status, "on": done.on.isoformat(), "note": note}
        audit.record(conn, viewer, f"problem_{name}", key, detail, client_address(request))

    try:
        on = date.fromisoformat(typed) if typed else today_local()
        rules = request.app.state.settings.rules
        marking.mark(engine, name, key, on, rules, utc_now(), problem_clause(viewer), record)
    except ValueError:
        failed = Failed(key, name, typed, note, "problems.error.date")
        return _board(request, viewer, engine, f, failed=failed, status_code=422)
    except ProblemMarkRefused as exc:
        if exc.reason == "unknown":  # not there, or not the viewer's: the same answer
            raise auth.forbid() from exc
        failed = Failed(key, name, typed, note, f"problems.error.{exc.reason}")
        return _board(request, viewer, engine, f, failed=failed, status_code=422)
    query = urlencode({**f.query(), "done": f"problems.done.{name}"})
    return RedirectResponse(f"/problems?{query}", status_code=303)
