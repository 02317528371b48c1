"""One worker (外出务工人员): profile, calls, income, obligations, and the two actions on them.

Recording a call is the same operation as `lianxin checkin record` (`calls.record_call`): the
call is stored, the rules re-evaluated and the compliance aggregates refreshed. A waiver (豁免)
is stored with its reason and who gave it, then applied at once the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from lianxin.clock import today_local, utc_now
from lianxin.dashboard import audit, auth, inputs
from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.charts import line_chart
from lianxin.dashboard.i18n import add_words, language_of, translate
from lianxin.dashboard.links import http_url
from lianxin.dashboard.queries.common import Engine
from lianxin.dashboard.queries.workers import mask_worker, worker_in_scope, worker_page
from lianxin.dashboard.scope import Action, Viewer, can_see_phone, may
from lianxin.dashboard.web import EngineDep, client_address, read_form, render
from lianxin.errors import DateOutOfRange
from lianxin.records import ObligationKind, WorkStatus
from lianxin.rules.waivers import WaiverCategory, add_waiver
from lianxin.services.calls import record_call
from lianxin.services.reevaluate import evaluate_after_change

router = APIRouter()

REASON_MAX = inputs.limit_of("reason")
DONE = ("worker.recorded", "worker.waived")  # the messages a redirect may ask for

WORDS: dict[str, tuple[str, str]] = {
    "worker.town": ("乡镇", "Town"),
    "worker.cadre": ("包户干部", "Cadre"),
    "worker.status": ("务工状态", "Work status"),
    "worker.id_number": ("身份证号", "ID number"),
    "worker.employer": ("务工单位", "Employer"),
    "worker.work_place": ("务工地点", "Place of work"),
    "worker.profile": ("基本信息", "Profile"),
    "worker.calls": ("回访记录", "Calls"),
    "worker.no_calls": ("还没有回访记录。", "No calls yet."),
    "worker.period": ("月份", "Month"),
    "worker.call_date": ("回访日期", "Call date"),
    "worker.reached": ("是否接通", "Reached"),
    "worker.yes": ("接通", "Yes"),
    "worker.no": ("未接通", "No"),
    "worker.place": ("地点", "Place"),
    "worker.income": ("上月收入（元）", "Last month's income (yuan)"),
    "worker.income_chart": ("月收入（元）", "Monthly income (yuan)"),
    "worker.no_income": ("没有收入记录。", "No income recorded."),
    "worker.demands": ("诉求", "Demands"),
    "worker.source": ("来源", "Source"),
    "worker.manual": ("手工录入", "Entered by hand"),
    "worker.flags": ("防返贫监测预警", "Income-risk flags"),
    "worker.flag.income_risk": ("收入下降（防返贫监测）", "Income fell (risk of falling back)"),
    "worker.reference": ("参照（元）", "Reference (yuan)"),
    "worker.detail": ("说明", "Detail"),
    "worker.obligations": ("待办事项", "Follow-ups"),
    "worker.kind": ("事项", "Follow-up"),
    "worker.due": ("截止", "Due"),
    "worker.level": ("上报级别", "Escalation level"),
    "worker.reminders": ("已提醒", "Reminders"),
    "worker.waivers": ("豁免记录", "Waivers"),
    "worker.moves": ("迁移记录", "Moves"),
    "worker.moved": (
        "从 {from_village} 迁到 {to_village}",
        "Moved from {from_village} to {to_village}",
    ),
    "worker.moved_on": ("迁移日期", "Moved on"),
    "worker.moved_cadres": ("干部变更", "Cadre"),
    "worker.matched_on": ("认定依据", "Matched on"),
    "worker.matched_on.id_number": ("身份证号相同", "same ID number"),
    "worker.matched_on.phone_name": ("手机号和姓名相同", "same phone and name"),
    "worker.other_entry": ("另一条名册记录", "The other roster entry"),
    "worker.given_by": ("决定人", "Given by"),
    "worker.given_on": ("日期", "Date"),
    "worker.reason": ("理由", "Reason"),
    "worker.category": ("类型", "Category"),
    "worker.record": ("记录回访", "Record a call"),
    "worker.note": ("备注", "Note"),
    "worker.save": ("保存", "Save"),
    "worker.waive": ("豁免", "Waive"),
    "worker.waive_help": (
        "豁免后不再要求回访，需写明理由，记录决定人。",
        "A waiver ends the follow-up; it needs a reason and is recorded with your name.",
    ),
    "worker.all_kinds": ("全部事项", "Every follow-up"),
    "worker.unknown": ("不详", "Unknown"),
    "worker.recorded": ("回访已记录，提醒已停止。", "The call is recorded; its reminders stop."),
    "worker.waived": ("已豁免。", "Waived."),
    "worker.fix": ("请修改标红的项目。", "Please correct the fields marked in red."),
    "worker.bad_date": ("请填写有效日期（不能晚于今天）。", "Give a valid date, not after today."),
    "worker.date.future": ("日期不能晚于今天。", "The date cannot be after today."),
    "worker.date.too_early": (
        "日期太早：只能填写近12个月内的日期。",
        "Too early: give a day within the last 12 months.",
    ),
    "worker.bad_income": ("收入须为0至200000之间的整数。", "Income: a whole number, 0–200,000."),
    "worker.bad_choice": ("请选择一项。", "Choose one."),
    "worker.bad_reason": ("请写明理由（500字以内）。", "Give a reason (up to 500 characters)."),
    "worker.kind.monthly_checkin": ("每月电话回访", "Monthly call"),
    "worker.kind.problem_deadline": ("整改时限", "Rectification deadline"),
    "worker.kind.return_visit": ("回头看", "Return visit"),
    "worker.kind.employment_assistance": ("就业帮扶", "Employment assistance"),
    "worker.kind.home_visit": ("入户走访", "Home visit"),
    "worker.work.employed": ("在岗务工", "Employed"),
    "worker.work.looking": ("待业求职", "Looking for work"),
    "worker.work.returned": ("返乡", "Returned home"),
    "worker.work.other": ("其他", "Other"),
    "worker.category.returned_for_good": ("返乡不再外出", "Returned for good"),
    "worker.category.moved_out": ("迁出本县", "Moved out of the county"),
    "worker.category.deceased": ("已故", "Deceased"),
    "worker.category.other": ("其他", "Other"),
}
add_words(WORDS)


@dataclass
class Forms:
    """What the two forms show: the values typed (kept on an error) and the errors by field."""

    checkin: dict[str, str] = field(default_factory=dict)
    waiver: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # field name → word key


def in_scope(engine: Engine, viewer: Viewer, key: str) -> bool:
    """Return whether `key` is a worker within `viewer`'s place (a cadre: one of their own)."""
    with engine.connect() as conn:
        return worker_in_scope(conn, viewer, key)


def worker_url(key: str, done: str | None = None) -> str:
    return f"/workers/{quote(key, safe='')}" + (f"?done={done}" if done else "")


def _show(
    request: Request,
    viewer: Viewer,
    engine: Engine,
    key: str,
    forms: Forms | None = None,
    status_code: int = 200,
) -> Response:
    with engine.connect() as conn:
        found = worker_page(conn, key)
    if found is None:
        raise auth.forbid()
    profile = found.profile
    full = can_see_phone(viewer, village=profile["village"], cadre_key=profile["cadre_key"])
    language = language_of(request)
    chart = None
    if any(v is not None for _, v in found.income):
        chart = line_chart(
            [p for p, _ in found.income],
            {translate("worker.income", language): [v for _, v in found.income]},
            translate("worker.income_chart", language),
        )
    done = request.query_params.get("done")
    today = today_local()
    forms = forms or Forms()
    return render(
        request,
        "worker.html",
        {
            "worker": mask_worker(profile, full),
            "page": found,
            "chart": chart,
            "is_web_link": lambda url: http_url(url) is not None,
            "done": done if done in DONE else None,
            "may_record": may(viewer, Action.record_checkin),
            "may_waive": may(viewer, Action.waive),
            "work_statuses": [s.value for s in WorkStatus],
            "categories": [c.value for c in WaiverCategory],
            "kinds": [k.value for k in ObligationKind],
            "checkin": {"call_date": today.isoformat(), "reached": "yes", **forms.checkin},
            "waiver": {"kind": "*", "given_on": today.isoformat(), **forms.waiver},
            "errors": forms.errors,
            "today": today,
            "action_url": worker_url(key),
            "note_limit": inputs.limit_of("note"),
        },
        status_code=status_code,
    )


@router.get("/workers/{key:path}")
def worker(key: str, request: Request, viewer: CurrentViewer, engine: EngineDep) -> Response:
    """A worker's profile, calls, income chart, flags, follow-ups and waivers."""
    if not in_scope(engine, viewer, key):
        raise auth.forbid()
    return _show(request, viewer, engine, key)


@dataclass
class CallForm:
    call_date: date
    reached: bool
    status: WorkStatus | None
    income_yuan: int | None
    note: str | None
    demands: str | None = None  # 诉求


def read_call_form(form: dict[str, str]) -> tuple[CallForm | None, dict[str, str]]:
    """Return the call a form describes, or None and the errors by field (word keys).

    Whether its day is allowed is `record_call`'s to say (DateOutOfRange).
    """
    errors: dict[str, str] = {}
    call_date = _typed_day(form.get("call_date", ""))
    if call_date is None:
        errors["call_date"] = "worker.bad_date"
    reached = form.get("reached", "")
    if reached not in ("yes", "no"):
        errors["reached"] = "worker.bad_choice"
    status_text = form.get("status", "").strip()
    if status_text and status_text not in WorkStatus.__members__:
        errors["status"] = "worker.bad_choice"
    income_text = form.get("income", "").strip().replace(",", "")
    # ASCII digits only (², ３８００ are refused); the bounds are CheckIn's, checked by record_call.
    income = inputs.ascii_int(income_text)
    if income_text and income is None:
        errors["income"] = "worker.bad_income"
    note = form.get("note", "").strip()
    if len(note) > inputs.limit_of("note"):
        errors["note"] = "input.too_long.note"
    demands = form.get("demands", "").strip()
    if len(demands) > inputs.limit_of("demands"):
        errors["demands"] = "input.too_long.demands"
    if errors or call_date is None:
        return None, errors
    return CallForm(
        call_date=call_date,
        reached=reached == "yes",
        status=WorkStatus(status_text) if status_text else None,
        income_yuan=income,
        note=note or None,
        demands=demands or None,
    ), {}


def _typed_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _field_errors(exc: ValidationError) -> dict[str, str]:
    """Map CheckIn's validation errors to the form's fields."""
    fields = {str(e["loc"][0]) if e["loc"] else "" for e in exc.errors()}
    errors = {"income": "worker.bad_income"} if "income_yuan" in fields else {}
    if fields - {"income_yuan"}:
        errors["call_date"] = "worker.bad_date"
    return errors


@router.post("/workers/{key:path}/checkins")
async def record_checkin(
    key: str, request: Request, viewer: CurrentViewer, engine: EngineDep
) -> Response:
    """Record a call the way `lianxin checkin record` does, audited; back to the worker."""
    form = await read_form(request)
    if not may(viewer, Action.record_checkin) or not in_scope(engine, viewer, key):
        raise auth.forbid()
    # Shown again on an error, each cut to its limit (a note refused as too long included).
    fields = ("call_date", "reached", "status", "income", "demands", "note")
    typed = {k: form.get(k, "")[: inputs.limit_of(k)] for k in fields}
    call, errors = read_call_form(form)
    if call is not None:
        now = utc_now()
        try:
            done = await run_in_threadpool(
                record_call,
                engine,
                key,
                call.call_date,
                call.reached,
                request.app.state.settings.rules,
                now,
                income_yuan=call.income_yuan,
                status=call.status,
                note=call.note,
                by=viewer.username,
                demands=call.demands,
            )
        except ValidationError as exc:  # CheckIn's bounds: nothing was stored
            errors = _field_errors(exc)
        except DateOutOfRange as exc:  # after today or too far back: nothing was stored
            errors = {"call_date": f"worker.date.{exc.reason}"}
        else:
            # record_call commits the call and the evaluation itself; the audit row follows.
            with engine.begin() as conn:
                audit.record(
                    conn,
                    viewer,
                    "record_checkin",
                    key,
                    {
                        "period": done.period,
                        "call_date": call.call_date.isoformat(),
                        "reached": call.reached,
                        "status": call.status.value if call.status else None,
                        "income_given": call.income_yuan is not None,
                        "transitions": done.stats.transitions,
                    },
                    client_address(request),
                )
            return RedirectResponse(worker_url(key, "worker.recorded"), status_code=303)
    forms = Forms(checkin=typed, errors=errors)
    return _show(request, viewer, engine, key, forms, status_code=422)


def given_by(viewer: Viewer) -> str:
    """Return who gives a waiver as the waiver table keeps it: name and role, in Chinese."""
    return f"{viewer.name}（{translate(f'role.{viewer.role}', 'zh')}）"[:64]


@router.post("/workers/{key:path}/waivers")
async def waive(key: str, request: Request, viewer: CurrentViewer, engine: EngineDep) -> Response:
    """Waive the worker's follow-up (all kinds or one) with a reason, apply it, audit it."""
    form = await read_form(request)
    if not may(viewer, Action.waive) or not in_scope(engine, viewer, key):
        raise auth.forbid()
    typed = {k: form.get(k, "") for k in ("category", "kind", "reason", "given_on")}
    reason = typed["reason"].strip()
    now, today = utc_now(), today_local()
    given_on = _typed_day(typed["given_on"]) if typed["given_on"].strip() else today
    errors: dict[str, str] = {}
    if given_on is None:
        errors["given_on"] = "worker.bad_date"
    if typed["category"] not in WaiverCategory.__members__:
        errors["category"] = "worker.bad_choice"
    if typed["kind"] != "*" and typed["kind"] not in ObligationKind.__members__:
        errors["kind"] = "worker.bad_choice"
    if not reason or len(reason) > REASON_MAX:
        errors["reason"] = "worker.bad_reason"
    if errors or given_on is None:
        return _show(request, viewer, engine, key, Forms(waiver=typed, errors=errors), 422)
    try:
        with engine.begin() as conn:
            add_waiver(
                conn,
                key,
                typed["category"],
                reason,
                given_by(viewer),
                given_on,
                now,
                kind=typed["kind"],
            )
            audit.record(
                conn,
                viewer,
                "waive",
                key,
                {
                    "category": typed["category"],
                    "kind": typed["kind"],
                    "reason": reason,
                    "given_on": given_on.isoformat(),
                },
                client_address(request),
            )
    except DateOutOfRange as exc:  # the transaction rolled back: nothing was stored
        errors = {"given_on": f"worker.date.{exc.reason}"}
        return _show(request, viewer, engine, key, Forms(waiver=typed, errors=errors), 422)
    # As `lianxin run followups` would, at once: the waiver moves the live obligations it covers.
    await run_in_threadpool(
        evaluate_after_change, engine, today, request.app.state.settings.rules, now
    )
    return RedirectResponse(worker_url(key, "worker.waived"), status_code=303)
