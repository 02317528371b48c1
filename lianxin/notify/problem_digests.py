"""Digests about supervision problems: 7, 3 and 1 days before a deadline, then daily when late.

One digest per responsible unit per stage; the overdue stage has the day in its key, so it goes
out once a day until the problem is rectified (or escalates up the ladder).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from sqlalchemy import Connection, select

from config.settings import RulesSettings
from lianxin.records import ObligationKind, ObligationStatus
from lianxin.store import schema as t


def problem_stage(today: date, due: date, days_before: list[int]) -> str | None:
    """Return the reminder stage of a deadline on `today`: "7_days", …, "overdue", or None.

    A stage fires on exactly its day before the deadline; every day after it is "overdue".
    """
    if today > due:
        return "overdue"
    left = (due - today).days
    return f"{left}_days" if left in days_before else None


@dataclass(frozen=True)
class ProblemItem:
    obligation_id: int
    kind: str  # problem_deadline or return_visit
    number: str
    place: str | None
    description: str
    due: date
    days_left: int


@dataclass
class ProblemDigest:
    key: str
    stage: str
    as_of: date
    cadre_key: str  # the responsible unit: who the digest goes to
    cadre_name: str
    village: str | None
    town: str | None
    routes: list[str] = field(default_factory=list)
    items: list[ProblemItem] = field(default_factory=list)
    template: str = "problem_digest"

    @property
    def obligation_ids(self) -> list[int]:
        return [item.obligation_id for item in self.items]


def build_problem_digests(
    conn: Connection, as_of: date, rules: RulesSettings
) -> list[ProblemDigest]:
    """Return the problem digests due on `as_of`, one per responsible unit and stage."""
    o, p = t.obligations, t.problems
    live = (
        ObligationStatus.open.value,
        ObligationStatus.overdue.value,
        ObligationStatus.escalated.value,
    )
    rows = conn.execute(
        select(o.c.id, o.c.kind, o.c.owner, o.c.due, p.c.number, p.c.place, p.c.description)
        .join(p, p.c.key == o.c.subject)
        .where(
            o.c.kind.in_(
                (ObligationKind.problem_deadline.value, ObligationKind.return_visit.value)
            ),
            o.c.status.in_(live),
            o.c.window_start <= as_of,
        )
        .order_by(o.c.owner, o.c.due, p.c.number, o.c.id)
    ).all()
    staged = [
        (r, stage)
        for r in rows
        if (stage := problem_stage(as_of, r.due, rules.problem_reminder_days)) is not None
    ]
    digests = []
    for (owner, stage), group in groupby(staged, key=lambda pair: (pair[0].owner, pair[1])):
        members = [r for r, _ in group]
        day = f"/{as_of.isoformat()}" if stage == "overdue" else f"/{members[0].due.isoformat()}"
        digests.append(
            ProblemDigest(
                key=f"problem/{stage}{day}/{owner}",
                stage=stage,
                as_of=as_of,
                cadre_key=owner,
                cadre_name=owner or "督查组",
                village=None,
                town=None,
                items=[
                    ProblemItem(
                        r.id, r.kind, r.number, r.place, r.description, r.due, (r.due - as_of).days
                    )
                    for r in members
                ],
            )
        )
    return digests
