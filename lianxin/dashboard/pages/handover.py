"""Hand a cadre's caseload to another cadre from the cadres page (工作交接), for leads.

The same operation as `lianxin cadres handover` (`services.handover`): a preview first, then
the handover, audited. A village lead hands over within their village only; a town lead
between cadres of their town; the county and the administrator anywhere.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lianxin.clock import utc_now
from lianxin.dashboard import audit, auth
from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.i18n import add_words
from lianxin.dashboard.queries.cadres import handover_in_place
from lianxin.dashboard.scope import Action, Role, Viewer, may
from lianxin.dashboard.web import EngineDep, client_address, read_form, render
from lianxin.errors import HandoverRefused
from lianxin.services.handover import Handover, handover, resolve_cadre

router = APIRouter()
FIELD_MAX = 160

WORDS: dict[str, tuple[str, str]] = {
    "handover.title": ("工作交接", "Hand over a caseload"),
    "handover.old": ("交出干部（姓名或 镇|姓名）", "From cadre (name or town|name)"),
    "handover.new": ("接手干部", "To cadre"),
    "handover.village": ("只交接本村（可空）", "Only this village (optional)"),
    "handover.preview": ("预览", "Preview"),
    "handover.apply": ("确认交接", "Hand over"),
    "handover.would": ("将交接", "Would hand over"),
    "handover.done": ("已交接", "Handed over"),
    "handover.workers": ("人", "workers"),
    "handover.calls": ("项待办（回访、走访等）", "open follow-ups"),
    "handover.next": (
        "下一次提醒起由接手干部收到。",
        "From the next reminder on, the new cadre gets them.",
    ),
    "handover.unknown": ("没有这个干部。", "No cadre of that name is on file."),
    "handover.ambiguous": (
        "有多个同名干部，请填 镇|姓名。",
        "Several cadres have that name: give town|name.",
    ),
    "handover.same": ("交出和接手的是同一个干部。", "Both sides are the same cadre."),
    "handover.empty": ("该干部没有可交接的人员。", "That cadre has no workers to hand over."),
    "handover.place": ("只能在您负责的范围内交接。", "You may hand over only within your place."),
}
add_words(WORDS)


@router.post("/cadres/handover")
async def cadres_handover(request: Request, viewer: CurrentViewer, engine: EngineDep) -> Response:
    """Preview or carry out a handover typed on the cadres page; refusals are shown on it."""
    form = await read_form(request)
    if not may(viewer, Action.handover):
        raise auth.forbid()
    typed = {k: form.get(k, "").strip()[:FIELD_MAX] for k in ("old", "new", "village")}
    if viewer.role == Role.village_lead:
        typed["village"] = viewer.village or ""
    dry_run = form.get("apply") != "1"
    error: str | None = None
    done: Handover | None = None
    try:
        with engine.connect() as conn:
            keys = [resolve_cadre(conn, typed["old"])[0], resolve_cadre(conn, typed["new"])[0]]
            allowed = handover_in_place(conn, viewer, keys, typed["village"] or None)
        if not allowed:
            error = "handover.place"
        else:
            done = await run_in_threadpool(
                _hand_over, engine, viewer, keys, typed, dry_run, client_address(request)
            )
    except HandoverRefused as exc:
        error = f"handover.{exc.reason}"
    context: dict[str, Any] = {"typed": typed, "error": error, "done": done}
    return render(request, "handover.html", context, status_code=422 if error else 200)


def _hand_over(
    engine: Any,
    viewer: Viewer,
    keys: list[str],
    typed: dict[str, str],
    dry: bool,
    where: str | None,
) -> Handover:
    def record(conn: Any, h: Handover) -> None:
        detail = {"to": h.new, "village": h.village or "", "workers": h.workers}
        detail["obligations"] = h.obligations
        audit.record(conn, viewer, "cadre_handover", h.old, detail, where)

    village = typed["village"] or None
    actor = f"dashboard:{viewer.username}"
    old, new = keys
    return handover(engine, old, new, village, utc_now(), actor=actor, dry_run=dry, audit=record)
