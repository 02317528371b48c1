"""Build one digest per cadre per stage from the open obligations: never one message per worker.

One query reads every open check-in obligation with its worker and cadre; the rows are grouped
by (cadre, period) into digests. The idempotency key is the same on every run for the same
cadre, period and stage, which is what makes a digest go out at most once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, select

from config.settings import RulesSettings
from lianxin.records import ObligationKind, ObligationStatus
from lianxin.rules.checkin import CheckinWindow, Stage, stage_on
from lianxin.store import schema as t


@dataclass(frozen=True)
class DigestItem:
    obligation_id: int
    worker_name: str
    phone: str | None  # full here; templates mask it
    village: str
    due: date
    days_left: int  # negative once overdue


@dataclass
class Digest:
    key: str  # idempotency key
    stage: Stage
    period: str
    due: date
    as_of: date
    cadre_key: str
    cadre_name: str
    village: str | None
    town: str | None
    routes: list[str]
    items: list[DigestItem] = field(default_factory=list)
    cadre_phone: str | None = None  # for @-mentions in group bots; never shown in full

    @property
    def obligation_ids(self) -> list[int]:
        return [item.obligation_id for item in self.items]


def digest_key(period: str, stage: Stage, cadre_key: str) -> str:
    """Return the idempotency key of a check-in digest: kind, period, stage and recipient."""
    return f"checkin/{period}/{stage.value}/{cadre_key}"


def build_checkin_digests(conn: Connection, as_of: date, rules: RulesSettings) -> list[Digest]:
    """Return the check-in digests due as of `as_of`, one per cadre and period with open calls."""
    o, w, c = t.obligations, t.workers, t.cadres
    rows = conn.execute(
        select(
            o.c.id,
            o.c.owner,
            o.c.period,
            o.c.window_start,
            o.c.due,
            w.c.name,
            w.c.phone,
            w.c.village,
            w.c.town,
            c.c.name.label("cadre_name"),
            c.c.village.label("cadre_village"),
            c.c.town.label("cadre_town"),
            c.c.routes,
            c.c.phone.label("cadre_phone"),
        )
        .join(w, w.c.key == o.c.subject)
        .join(c, c.c.key == o.c.owner, isouter=True)
        .where(
            o.c.kind == ObligationKind.monthly_checkin.value,
            o.c.status.in_(
                (
                    ObligationStatus.open.value,
                    ObligationStatus.overdue.value,
                    ObligationStatus.escalated.value,
                )
            ),
            o.c.window_start <= as_of,
        )
        .order_by(o.c.owner, o.c.period, w.c.village, w.c.name, o.c.id)
    ).all()
    digests = []
    for (owner, period), group in groupby(rows, key=lambda r: (r.owner, r.period)):
        members = list(group)
        first = members[0]
        window = CheckinWindow(period=period, start=first.window_start, due=first.due)
        stage = stage_on(as_of, window, rules.days_left_stage)
        if stage is None:
            continue
        digests.append(
            Digest(
                key=digest_key(period, stage, owner),
                stage=stage,
                period=period,
                due=first.due,
                as_of=as_of,
                cadre_key=owner,
                cadre_name=first.cadre_name or owner.split("|")[-1] or "未分配",
                village=first.cadre_village or first.village,
                town=first.cadre_town or first.town,
                routes=list(first.routes or []),
                cadre_phone=first.cadre_phone,
                items=[
                    DigestItem(
                        obligation_id=r.id,
                        worker_name=r.name,
                        phone=r.phone,
                        village=r.village,
                        due=r.due,
                        days_left=(r.due - as_of).days,
                    )
                    for r in members
                ],
            )
        )
    return digests


def digest_summary(digest: Digest) -> dict[str, Any]:
    """Return a digest as plain data (no personal data) for logs and artifacts."""
    return {
        "key": digest.key,
        "stage": digest.stage.value,
        "cadre": digest.cadre_name,
        "village": digest.village,
        "workers": len(digest.items),
    }
