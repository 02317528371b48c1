"""Why does an obligation exist, and what happened to it: `lianxin explain` and `preview`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, or_, select

from config.settings import RulesSettings
from lianxin.clock import local_zone
from lianxin.notify.digests import Digest, build_checkin_digests
from lianxin.notify.problem_digests import ProblemDigest, build_problem_digests
from lianxin.rules.escalation import LEVELS
from lianxin.rules.evaluate import evaluate_in
from lianxin.store import schema as t


@dataclass
class Story:
    obligation: dict[str, Any]
    events: list[dict[str, Any]]


def find_subjects(conn: Connection, text: str) -> list[str]:
    """Return the subject keys `text` names: a key, a worker's name, a problem's number or words."""
    o, w, p = t.obligations, t.workers, t.problems
    exact = conn.execute(select(o.c.subject).where(o.c.subject == text).limit(1)).scalars().all()
    if exact:
        return list(exact)
    workers = conn.execute(
        select(w.c.key).where(or_(w.c.name == text, w.c.key.startswith(text))).order_by(w.c.key)
    ).scalars()
    problems = conn.execute(
        select(p.c.key)
        .where(or_(p.c.number == text, p.c.description.contains(text)))
        .order_by(p.c.key)
    ).scalars()
    return list(dict.fromkeys([*workers, *problems]))


def stories(conn: Connection, subject: str) -> list[Story]:
    """Return each obligation of `subject`, oldest first, with its full history."""
    o, e = t.obligations, t.obligation_events
    obligations = [
        dict(r._mapping)
        for r in conn.execute(
            select(o).where(o.c.subject == subject).order_by(o.c.window_start, o.c.id)
        )
    ]
    result = []
    for ob in obligations:
        events = [
            dict(r._mapping)
            for r in conn.execute(select(e).where(e.c.obligation_id == ob["id"]).order_by(e.c.id))
        ]
        result.append(Story(obligation=ob, events=events))
    return result


def moves_of(conn: Connection, worker: str) -> list[dict[str, Any]]:
    """Return the moves that led to or away from the worker key `worker`, oldest first."""
    m = t.worker_moves
    query = select(m).where(or_(m.c.from_key == worker, m.c.to_key == worker)).order_by(m.c.id)
    return [dict(r._mapping) for r in conn.execute(query)]


def move_line(move: dict[str, Any]) -> str:
    """Return one move in a line: from where and whose, to where and whose, when, seen where."""
    return (
        f"moved from {move['from_village']} ({move['from_cadre'] or '-'}) to "
        f"{move['to_village']} ({move['to_cadre'] or '-'}) on {move['moved_at']:%Y-%m-%d}, "
        f"same {'ID number' if move['matched_on'] == 'id_number' else 'phone and name'}, "
        f"roster {move['source_url'] or '-'}"
    )


@dataclass
class PreviewDay:
    day: date
    reminders: list[tuple[str, str, int]] = field(default_factory=list)  # cadre, stage, workers
    escalations: dict[str, int] = field(default_factory=dict)  # "to the town" → obligations
    created: dict[str, int] = field(default_factory=dict)


def preview(engine: Engine, start: date, days: int, rules: RulesSettings) -> list[PreviewDay]:
    """Return who would be reminded or escalated on each of `days` days from `start`, and why.

    Every day is evaluated inside one transaction that is rolled back: nothing is written.
    A digest already in the ledger, or previewed on an earlier day, is not counted again.
    """
    out: list[PreviewDay] = []
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            sent = {
                key.split("@", 1)[0]
                for key in conn.execute(
                    select(t.reminders.c.idempotency_key).where(t.reminders.c.outcome == "sent")
                ).scalars()
            }
            for offset in range(days):
                day = start + timedelta(days=offset)
                morning = datetime.combine(day, time(8, 30), local_zone()).astimezone(UTC)
                stats = evaluate_in(conn, day, rules, morning)
                planned = PreviewDay(day=day, created=dict(stats.created_by_kind))
                digests: list[Digest | ProblemDigest] = [
                    *build_checkin_digests(conn, day, rules),
                    *build_problem_digests(conn, day, rules),
                ]
                for digest in digests:
                    if digest.key in sent:
                        continue
                    sent.add(digest.key)
                    planned.reminders.append(
                        (digest.cadre_name, str(digest.stage), len(digest.items))
                    )
                planned.escalations = _escalations(stats.transitions, conn, morning)
                out.append(planned)
        finally:
            transaction.rollback()
    return out


def _escalations(transitions: dict[str, int], conn: Connection, at: datetime) -> dict[str, int]:
    if not any("escalated" in label for label in transitions):
        return {}
    e, o = t.obligation_events, t.obligations
    rows = conn.execute(
        select(o.c.level)
        .join(e, e.c.obligation_id == o.c.id)
        .where(e.c.at == at, e.c.actor == "rule:escalation", e.c.new_status == "escalated")
    ).scalars()
    return {f"to {LEVELS[level]}": n for level, n in sorted(Counter(rows).items())}
