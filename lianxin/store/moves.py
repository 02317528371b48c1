"""Follow the person: moved workers and handed-over caseloads, as SQL over whole tables.

A worker who turns up in another village's or town's roster with the ID number, or the phone
and name, of a worker already on file is one person who moved (masked numbers, as pages
publish them, match nobody). `detect_moves` finds them with two index joins between the rows
a batch of pages just wrote and those on file before it, records each
move in `worker_moves`, and hands the old key's live obligations to the new key and cadre
(`reassign`), each with a history row saying why. A row that matches two people on file, or
two rows that match one, is not guessed: it goes to quarantine with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
    update,
)

from lianxin.clock import today_local
from lianxin.privacy import scrub
from lianxin.records import ObligationStatus, Severity
from lianxin.store import schema as t
from lianxin.store.aggregates import Place, refresh_changed_since
from lianxin.store.upsert import execute_counting, upsert

W, M, OBL, E = t.workers, t.worker_moves, t.obligations, t.obligation_events
LIVE = (
    ObligationStatus.open.value,
    ObligationStatus.overdue.value,
    ObligationStatus.escalated.value,
)
AMBIGUOUS = "同一人匹配到多条在册记录（身份证号或手机号+姓名相同），未自动合并，请人工核对"


@dataclass
class MoveStats:
    moved: int = 0  # people recorded as moved by this batch
    obligations: int = 0  # live obligations handed to the new cadre
    ambiguous: int = 0  # rows quarantined instead of guessed


def not_moved_away(key: ColumnElement[Any]) -> ColumnElement[bool]:
    """Return the condition that the worker `key` has not moved to another roster entry."""
    return not_(exists().where(M.c.from_key == key))


def _candidates(urls: Sequence[str]) -> Any:
    """Return (to_key, from_key, by_id) for every incoming row matching another on file.

    Two index joins (ID number; phone and name), not one join on an OR that no index serves.
    """
    new, old = W.alias("incoming"), W.alias("on_file")
    elsewhere = or_(
        old.c.village != new.c.village,
        func.coalesce(old.c.town, "") != func.coalesce(new.c.town, ""),
    )

    def joined(on: ColumnElement[bool], by_id: int) -> Any:
        return (
            select(
                new.c.key.label("to_key"),
                old.c.key.label("from_key"),
                literal(by_id).label("by_id"),
            )
            .join(old, and_(on, old.c.key != new.c.key))
            .where(
                new.c.source_url.in_(list(urls)),
                # On file before this batch: two rosters of one batch listing one person say
                # nothing about which is the newer.
                func.coalesce(old.c.source_url, "").not_in(list(urls)),
                elsewhere,
                not_moved_away(old.c.key),
                not_(exists().where(M.c.to_key == old.c.key, M.c.from_key == new.c.key)),
            )
        )

    same_id = and_(_full(new.c.id_number), old.c.id_number == new.c.id_number)
    same_phone = and_(_full(new.c.phone), old.c.phone == new.c.phone, old.c.name == new.c.name)
    both = union_all(joined(same_id, 1), joined(same_phone, 0)).subquery("matches")
    return (
        select(both.c.to_key, both.c.from_key, func.max(both.c.by_id).label("by_id"))
        .group_by(both.c.to_key, both.c.from_key)
        .subquery("candidates")
    )


def _full(value: ColumnElement[Any]) -> ColumnElement[bool]:
    """Return the condition that `value` is given and not masked (a published 138****2222 or
    4301**********1234 is shared by many people)."""
    return and_(value != "", not_(value.contains("*")))


def detect_moves(conn: Connection, urls: Sequence[str], now: datetime) -> MoveStats:
    """Record the moves the rows of `urls` reveal and hand their live obligations over."""
    stats = MoveStats()
    if not urls:
        return stats
    cand = _candidates(urls)
    per_to = select(cand.c.to_key).group_by(cand.c.to_key).having(func.count() > 1)
    per_from = select(cand.c.from_key).group_by(cand.c.from_key).having(func.count() > 1)
    unique = and_(cand.c.to_key.not_in(per_to), cand.c.from_key.not_in(per_from))
    new, old = W.alias("incoming"), W.alias("on_file")
    moves = (
        select(
            cand.c.from_key,
            cand.c.to_key,
            old.c.village,
            old.c.town,
            old.c.cadre_key,
            new.c.village,
            new.c.town,
            new.c.cadre_key,
            cand.c.by_id,
            new.c.source_url,
            literal(now),
        )
        .join(old, old.c.key == cand.c.from_key)
        .join(new, new.c.key == cand.c.to_key)
        .where(unique)
    )
    columns = [
        "from_key",
        "to_key",
        "from_village",
        "from_town",
        "from_cadre",
        "to_village",
        "to_town",
        "to_cadre",
        "matched_on",
        "source_url",
        "moved_at",
    ]
    rows = [dict(zip(columns, r, strict=True)) for r in conn.execute(moves)]
    for row in rows:  # the few moves of a batch, already found by one join
        row["matched_on"] = "id_number" if row["matched_on"] else "phone_name"
    stats.moved = upsert(conn, M, rows, keys=["from_key"], update=())
    _audit(conn, rows, now)
    stats.ambiguous = _quarantine_ambiguous(conn, cand, per_to, per_from, now)
    if stats.moved:
        left = _places_left(conn, now)
        stats.obligations = reassign(
            conn,
            OBL.c.subject.in_(select(M.c.from_key).where(M.c.moved_at == now)),
            subject=_moved("to_key"),
            owner=func.coalesce(_moved("to_cadre"), ""),
            village=_moved("to_village"),
            town=_moved("to_town"),
            reason=literal("moved from ")
            + func.coalesce(_moved("from_village"), "?")
            + literal(" to ")
            + func.coalesce(_moved("to_village"), "?")
            + literal(" (roster ")
            + func.coalesce(_moved("source_url"), "")
            + literal(")"),
            actor="ingest:moved",
            now=now,
        )
        # The villages they left count one call fewer; those they joined are counted as changed.
        refresh_changed_since(conn, now, now, also=left)
    return stats


def _places_left(conn: Connection, now: datetime) -> list[tuple[str, Place]]:
    """Return the (period, place) of every live obligation the moves recorded at `now` take."""
    rows = conn.execute(
        select(OBL.c.period, OBL.c.town, OBL.c.village)
        .where(
            OBL.c.subject.in_(select(M.c.from_key).where(M.c.moved_at == now)),
            OBL.c.status.in_(LIVE),
            OBL.c.village.is_not(None),
        )
        .distinct()
    )
    return [(period, (town, village)) for period, town, village in rows]


def _audit(conn: Connection, moves: list[dict[str, Any]], now: datetime) -> None:
    """Write one audit row per move, by the ingest, masked like every audit row."""
    shown = ("to_key", "from_village", "to_village", "from_cadre", "to_cadre", "matched_on")
    rows = [
        {
            "at": now,
            "username": "ingest",
            "role": "",
            "action": "worker_moved",
            "target": scrub(move["from_key"])[:400],
            "detail": {
                **{name: scrub(str(move[name] or "")) for name in shown},
                "source_url": move["source_url"],
            },
            "address": None,
        }
        for move in moves
    ]
    if rows:
        conn.execute(t.audit_log.insert(), rows)


def _moved(column: str) -> Any:
    return select(M.c[column]).where(M.c.from_key == OBL.c.subject).scalar_subquery()


def _quarantine_ambiguous(
    conn: Connection, cand: Any, per_to: Any, per_from: Any, now: datetime
) -> int:
    rows = conn.execute(
        select(W.c.source_url, W.c.content_hash, W.c.id, W.c.village, W.c.town)
        .where(
            or_(
                W.c.key.in_(per_to),
                W.c.key.in_(select(cand.c.to_key).where(cand.c.from_key.in_(per_from))),
            )
        )
        .order_by(W.c.id)
    ).all()
    return upsert(
        conn,
        t.quarantine,
        [
            {
                "url": url or "",
                "content_hash": content_hash or "",
                "row": id_,
                "reason": AMBIGUOUS,
                "severity": Severity.warning.value,
                "raw": {"village": village, "town": town},
                "created_at": now,
            }
            for url, content_hash, id_, village, town in rows
        ],
        keys=["content_hash", "row", "reason"],
        update=(),
    )


def reassign(
    conn: Connection,
    scope: ColumnElement[bool],
    *,
    subject: Any,
    owner: Any,
    village: Any,
    town: Any,
    reason: Any,
    actor: str,
    now: datetime,
) -> int:
    """Hand every live obligation in `scope` to `subject`/`owner` with a history row each.

    Where the new subject already owes the same kind and period, the old one is withdrawn
    (waived, with the reason) instead: one open obligation per person per period. Return how
    many obligations changed hands.
    """
    live = and_(scope, OBL.c.status.in_(LIVE))
    twin = OBL.alias("twin")
    taken = exists().where(
        twin.c.id != OBL.c.id,
        twin.c.kind == OBL.c.kind,
        twin.c.period == OBL.c.period,
        twin.c.subject == subject,
    )
    as_of = today_local(now)

    def history(where: Any, new_status: Any, why: Any) -> None:
        columns = ["obligation_id", "at", "as_of", "old_status", "new_status", "actor", "reason"]
        picked = select(
            OBL.c.id, literal(now), literal(as_of), OBL.c.status, new_status, literal(actor), why
        ).where(where)
        conn.execute(E.insert().from_select(columns, picked))

    waived = and_(live, taken)
    history(
        waived, literal(ObligationStatus.waived.value), reason + literal("; already owed there")
    )
    conn.execute(
        update(OBL)
        .where(waived)
        .values(status=ObligationStatus.waived.value, changed_at=now)
        .execution_options(synchronize_session=False)
    )
    moving = and_(live, not_(taken))
    history(moving, OBL.c.status, reason)
    return execute_counting(
        conn,
        update(OBL)
        .where(moving)
        .values(subject=subject, owner=owner, village=village, town=town, changed_at=now),
    )


def apply_handovers(conn: Connection, urls: Sequence[str]) -> None:
    """Point the rows of `urls` at the cadre their caseload was handed to, oldest first."""
    h = t.cadre_handovers
    if not urls:
        return
    for old, new, village in conn.execute(  # one statement per handover, never per worker
        select(h.c.old_cadre, h.c.new_cadre, h.c.village).order_by(h.c.id)
    ):
        scope = [W.c.cadre_key == old, W.c.source_url.in_(list(urls))]
        if village:
            scope.append(W.c.village == village)
        conn.execute(update(W).where(*scope).values(cadre_key=new))
