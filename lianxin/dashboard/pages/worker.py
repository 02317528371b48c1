"""One worker (外出务工人员): profile, check-in history, income chart, obligations."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select
from starlette.responses import Response

from lianxin.dashboard import auth
from lianxin.dashboard.auth import CurrentViewer
from lianxin.dashboard.scope import can_see_phone, place_clause
from lianxin.dashboard.web import EngineDep, render
from lianxin.privacy import mask_phone
from lianxin.store import schema as t

router = APIRouter()


@router.get("/workers/{key:path}")
def worker(key: str, request: Request, viewer: CurrentViewer, engine: EngineDep) -> Response:
    W = t.workers  # noqa: N806
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(W.c.key, W.c.name, W.c.village, W.c.phone, W.c.cadre_key).where(
                    W.c.key == key, place_clause(viewer, W)
                )
            )
            .mappings()
            .first()
        )
    if row is None:
        raise auth.forbid()
    full = can_see_phone(viewer, village=row["village"], cadre_key=row["cadre_key"])
    phone = (row["phone"] or "") if full else mask_phone(row["phone"])
    return render(request, "worker.html", {"worker": row, "phone": phone})
