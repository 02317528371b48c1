"""Hand a cadre's caseload (all of it, or one village's) to another cadre.

The workers' cadre and their live obligations move in one transaction, each obligation with a
history row; the handover is kept (`cadre_handovers`) so that a roster page re-published with
the old cadre's name does not take the caseload back. Digests are keyed per recipient
(`checkin/<period>/<stage>/<cadre>`): the old cadre's sent digest neither silences nor repeats
the new cadre's, who gets the handed-over workers from the next stage on; calls the old cadre
was already reminded of are not reminded again at the same stage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, literal, or_, select, update

from lianxin.errors import HandoverRefused
from lianxin.store import schema as t
from lianxin.store.aggregates import refresh_changed_since
from lianxin.store.moves import LIVE, reassign

C, W, OBL = t.cadres, t.workers, t.obligations
AuditHook = Callable[[Connection, "Handover"], None]


@dataclass
class Handover:
    old: str  # cadre keys
    new: str
    village: str | None
    old_name: str = ""
    new_name: str = ""
    workers: int = 0
    obligations: int = 0  # live obligations that change hands
    villages: dict[str, int] = field(default_factory=dict)  # village → workers
    applied: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def resolve_cadre(conn: Connection, text: str) -> tuple[str, str]:
    """Return (key, name) of the cadre `text` names: a cadre key, or a name only one cadre has."""
    rows = conn.execute(
        select(C.c.key, C.c.name).where(or_(C.c.key == text, C.c.name == text)).order_by(C.c.key)
    ).all()
    exact = [r for r in rows if r.key == text]
    if exact or len(rows) == 1:
        key, name = (exact or rows)[0]
        return str(key), str(name)
    if not rows:
        raise HandoverRefused("unknown", f"no cadre on file is called {text!r}")
    keys = ", ".join(r.key for r in rows)
    raise HandoverRefused("ambiguous", f"{text!r} names {len(rows)} cadres ({keys}): give a key")


def plan(conn: Connection, old: str, new: str, village: str | None = None) -> Handover:
    """Return what handing `old`'s caseload (or its `village`'s) to `new` would move."""
    old_key, old_name = resolve_cadre(conn, old)
    new_key, new_name = resolve_cadre(conn, new)
    if old_key == new_key:
        raise HandoverRefused("same", f"{old_key} cannot hand a caseload to themselves")
    h = Handover(old_key, new_key, village or None, old_name, new_name)
    counts = conn.execute(
        select(W.c.village, func.count())
        .where(_workers(h))
        .group_by(W.c.village)
        .order_by(W.c.village)
    ).all()
    h.villages = {str(v): int(n) for v, n in counts}
    h.workers = sum(h.villages.values())
    h.obligations = int(
        conn.execute(
            select(func.count()).select_from(OBL).where(_obligations(h), OBL.c.status.in_(LIVE))
        ).scalar_one()
    )
    if not h.workers and not h.obligations:
        where = f" in {village}" if village else ""
        raise HandoverRefused("empty", f"{old_key} looks after no workers{where}")
    return h


def _workers(h: Handover) -> Any:
    return and_(W.c.cadre_key == h.old, *([W.c.village == h.village] if h.village else []))


def _obligations(h: Handover) -> Any:
    return and_(OBL.c.owner == h.old, *([OBL.c.village == h.village] if h.village else []))


def handover(
    engine: Engine,
    old: str,
    new: str,
    village: str | None,
    now: datetime,
    *,
    actor: str,
    dry_run: bool = False,
    audit: AuditHook | None = None,
) -> Handover:
    """Hand `old`'s caseload (or its `village`'s) to `new`; with `dry_run`, only say what would.

    Raise `HandoverRefused` for an unknown, ambiguous or identical cadre, or nothing to hand.
    """
    with engine.begin() as conn:
        h = plan(conn, old, new, village)
        if dry_run:
            return h
        conn.execute(
            t.cadre_handovers.insert().values(
                old_cadre=h.old, new_cadre=h.new, village=h.village, actor=actor[:64], at=now
            )
        )
        why = f"handed over from {h.old_name} to {h.new_name}" + (
            f" ({h.village})" if h.village else ""
        )
        h.obligations = reassign(
            conn,
            _obligations(h),
            subject=OBL.c.subject,
            owner=literal(h.new),
            village=OBL.c.village,
            town=OBL.c.town,
            reason=literal(f"{why} by {actor}"),
            actor="handover",
            now=now,
        )
        conn.execute(update(W).where(_workers(h)).values(cadre_key=h.new, changed_at=now))
        refresh_changed_since(conn, now, now)  # the cadres page counts them under NEW at once
        h.applied = True
        if audit:
            audit(conn, h)
    return h
