"""The phone page (/m/<token>): a personal digest's workers, one tap to call, one to record.

Reached without a password through the link in the cadre's own digest (lianxin.notify.links).
Every request is paced per link and per address (`dashboard.link_rate`, 429); the token is
checked before anything is read (altered, unknown or revoked → 403, expired → 410); opening
it marks the digest read (已读). Each worker's form posts to /m/<token>/calls/<obligation>
with a CSRF token bound to the link; the call is saved by `services.links.save_call` (the same
`record_call` as the CLI and the worker page) and audited as `link:<id> (cadre)`. The page
works without JavaScript (a plain POST, then back here); with it, static/phone.js saves with
fetch() and keeps what was typed on the phone when a save fails.

No log line, error or audit row carries the token: uvicorn's access log is redacted
(dashboard/server.py) and refusals name the link by its id only.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response

from lianxin.clock import today_local, utc_now
from lianxin.dashboard import audit
from lianxin.dashboard.pacing import LinkPace
from lianxin.dashboard.pages.worker import read_call_form
from lianxin.dashboard.queries import phone as queries
from lianxin.dashboard.web import CSRF_FIELD, CSRF_HEADER, client_address, read_form, render
from lianxin.errors import DateOutOfRange, LinkRefused
from lianxin.privacy import mask_phone
from lianxin.records import WorkStatus
from lianxin.services.links import LinkCall, OpenLink, check_link, mark_read, save_call
from lianxin.signing import link_csrf, secret_key_for

router = APIRouter()

STATUSES = [s.value for s in WorkStatus]


def _pace(request: Request) -> LinkPace:
    pace: LinkPace = request.app.state.link_pace
    return pace


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _refuse(request: Request, status: int, reason: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"ok": False, "error": f"phone.refused.{reason}"}, status_code=status)
    raise HTTPException(status_code=status, detail=f"phone.refused.{reason}")


def _open(request: Request, token: str) -> tuple[OpenLink | None, Response | None, str]:
    """Return the link (or the refusal to answer with) and the signing key, after the pace."""
    settings = request.app.state.settings
    key = secret_key_for(settings)
    if not _pace(request).admit(token.partition(".")[0][:32], client_address(request)):
        return None, _refuse(request, 429, "pace"), key
    try:
        return check_link(request.app.state.engine, key, token, utc_now()), None, key
    except LinkRefused as exc:
        return None, _refuse(request, exc.status, exc.reason), key


@router.get("/m/{token}")
def phone_page(token: str, request: Request) -> Response:
    """The link's workers still to call, each with a tel: link and a one-tap form."""
    link, refused, key = _open(request, token)
    if link is None:
        return refused  # type: ignore[return-value]
    engine = request.app.state.engine
    now = utc_now()
    mark_read(engine, link.id, now)
    full = bool(request.app.state.settings.dashboard.link_full_phone)
    with engine.connect() as conn:
        rows = queries.open_calls(conn, link.obligations, today_local(now))
    for row in rows:
        row["tel"] = row["phone"] if full and row["phone"] else None
        row["shown_phone"] = row["phone"] if full else mask_phone(row["phone"])
    return render(
        request,
        "phone.html",
        {
            "link": link,
            "rows": rows,
            "statuses": STATUSES,
            "link_csrf": link_csrf(key, link.id),
            "token": token,
            "today": today_local(now).isoformat(),
            "saved": request.query_params.get("saved", "")[:64],
            "expires": link.expires_at,
        },
    )


@router.post("/m/{token}/calls/{obligation_id}")
async def save(token: str, obligation_id: int, request: Request) -> Response:
    """Record the call of one of the link's workers; back to the page (or JSON for fetch())."""
    link, refused, key = _open(request, token)
    if link is None:
        return refused  # type: ignore[return-value]
    form = await read_form(request)
    given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD, "")
    if not secrets.compare_digest(given.encode(), link_csrf(key, link.id).encode()):
        return _refuse(request, 403, "csrf")
    form.setdefault("call_date", today_local().isoformat())
    call, errors = read_call_form(form)
    if call is None:
        return _bad_input(request, errors)
    now = utc_now()
    settings = request.app.state.settings
    engine = request.app.state.engine
    try:
        done = await run_in_threadpool(
            save_call,
            engine,
            link,
            obligation_id,
            LinkCall(call.reached, call.status, call.income_yuan, call.demands, call.note),
            call.call_date,
            settings.rules,
            now,
        )
    except LinkRefused as exc:
        return _refuse(request, exc.status, exc.reason)
    except ValidationError:
        return _bad_input(request, {"income": "worker.bad_income"})
    except DateOutOfRange as exc:
        return _bad_input(request, {"call_date": f"worker.date.{exc.reason}"})
    with engine.begin() as conn:
        audit.record(
            conn,
            None,
            "record_checkin_link",
            done.worker_key,
            _audit_detail(link, obligation_id, done.period, call.reached, call.income_yuan),
            client_address(request),
            username=link.actor,
        )
    if _wants_json(request):
        return JSONResponse({"ok": True, "obligation": obligation_id})
    return RedirectResponse(f"/m/{token}?saved={obligation_id}", status_code=303)


def _audit_detail(
    link: OpenLink, obligation_id: int, period: str, reached: bool, income: int | None
) -> dict[str, Any]:
    return {
        "link": link.id,
        "cadre": link.cadre_key,
        "obligation": obligation_id,
        "period": period,
        "reached": reached,
        "income_given": income is not None,
    }


def _bad_input(request: Request, errors: dict[str, str]) -> Response:
    if _wants_json(request):
        return JSONResponse({"ok": False, "error": "phone.bad_input", "fields": errors}, 422)
    raise HTTPException(status_code=422, detail="phone.bad_input")
