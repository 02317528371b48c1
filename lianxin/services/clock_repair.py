"""Undo what lies after today (`lianxin db repair-clock`): a store pushed into the future by a call,
mark or waiver dated ahead, or by the rules run as of a later day, before such days were refused.

Found and undone, each counted:

- check-ins dated after today, or for a month after the current one: deleted;
- problem marks (rectified_on / verified_on) after today: cleared, the status put back;
- waivers given after today: deleted;
- obligations a later day's evaluation created: deleted with their history; those it moved: put
  back to the status they had before (the history row's old status), their later history
  deleted;
- income-risk flags and compliance rows of months after the current one: deleted;
- rule runs as of a day after today: deleted, so the rules' day is today again.

Then the rules run in full as of today and every month's compliance is recomputed, in the same
transaction (a dry run rolls it all back). A second repair finds nothing and runs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, case, delete, exists, func, or_, select, update

from config.settings import RulesSettings
from lianxin.records import ProblemStatus, period_index
from lianxin.rules.evaluate import evaluate_in
from lianxin.store import schema as t
from lianxin.store.aggregates import all_periods, refresh_compliance

C, P, V, OBL, E = t.checkins, t.problems, t.waivers, t.obligations, t.obligation_events
OPEN = ProblemStatus.open.value
RECTIFIED = ProblemStatus.rectified.value
VERIFIED = ProblemStatus.verified.value
DOOMED = -2  # the level that marks obligations about to be deleted

# What each count means, in the order printed.
KINDS = {
    "checkins": "check-ins dated after today or for a later month deleted",
    "verified_marks": "problem verifications dated after today cleared",
    "rectified_marks": "problem rectifications dated after today cleared",
    "waivers": "waivers given after today deleted",
    "obligations_created": "obligations created by a later day's evaluation deleted",
    "obligations_moved": "obligations moved by a later day's evaluation put back",
    "events": "history rows of later days deleted",
    "risk_flags": "income-risk flags of later months deleted",
    "compliance": "compliance rows of later months deleted",
    "rule_runs": "rule runs as of a later day deleted",
}


@dataclass(frozen=True)
class Repair:
    today: date
    undone: dict[str, int]  # kind (see KINDS) → rows, only the kinds with any
    dry_run: bool

    @property
    def nothing(self) -> bool:
        return not self.undone


def repair_clock(
    engine: Engine,
    today: date,
    rules: RulesSettings,
    now: datetime,
    dry_run: bool = False,
    audit: Any = None,
) -> Repair:
    """Undo everything dated after `today` (see the module), re-evaluate in full as of `today`
    and refresh compliance, in one transaction; return what was undone.

    With nothing to undo nothing is written (no rule run either). `audit(conn, undone)` is
    called in the transaction when something was undone. With `dry_run`, all is rolled back.
    """
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            undone = undo_future(conn, today)
            if undone:
                evaluate_in(conn, today, rules, now, mode="full")
                refresh_compliance(conn, all_periods(conn), now)
                if audit is not None:
                    audit(conn, undone)
        except BaseException:
            transaction.rollback()
            raise
        if dry_run or not undone:
            transaction.rollback()
        else:
            transaction.commit()
    return Repair(today=today, undone=undone, dry_run=dry_run)


def undo_future(conn: Connection, today: date) -> dict[str, int]:
    """Delete or reset every row dated after `today` on `conn`; return the counts by kind."""
    period = f"{today:%Y-%m}"
    counts = {
        "checkins": _count(
            conn,
            delete(C).where(or_(C.c.call_date > today, C.c.period_index > period_index(period))),
        ),
        **_undo_marks(conn, today),
        "waivers": _count(conn, delete(V).where(V.c.given_on > today)),
        **_undo_obligations(conn, today, period),
        "risk_flags": _count(conn, delete(t.risk_flags).where(t.risk_flags.c.period > period)),
        "compliance": _count(conn, delete(t.compliance).where(t.compliance.c.period > period))
        + _count(conn, delete(t.cadre_compliance).where(t.cadre_compliance.c.period > period)),
        "rule_runs": _count(conn, delete(t.rule_runs).where(t.rule_runs.c.as_of > today)),
    }
    return {kind: n for kind, n in counts.items() if n}


def _count(conn: Connection, statement: Any) -> int:
    return int(conn.execute(statement).rowcount or 0)


def _undo_marks(conn: Connection, today: date) -> dict[str, int]:
    verified = _count(
        conn,
        update(P)
        .where(P.c.verified_on > today)
        .values(
            verified_on=None,
            status=func.coalesce(
                # Only a rectified problem could be verified: that is what it was before.
                func.nullif(P.c.status, VERIFIED),
                RECTIFIED,
            ),
        ),
    )
    marked = conn.execute(select(P.c.key, P.c.status).where(P.c.rectified_on > today)).all()
    for key, status in marked:
        before = _status_before_rectified(conn, key) if status in (RECTIFIED, VERIFIED) else status
        conn.execute(
            update(P)
            .where(P.c.key == key)
            .values(rectified_on=None, verified_on=None, status=before)
        )
    return {"verified_marks": verified, "rectified_marks": len(marked)}


def _status_before_rectified(conn: Connection, key: str) -> str:
    """Return the status the audit log says the problem had before it was marked rectified."""
    a = t.audit_log
    detail = conn.execute(
        select(a.c.detail)
        .where(a.c.action == "problem_rectified", a.c.target == key)
        .order_by(a.c.id.desc())
        .limit(1)
    ).scalar()
    was = detail.get("from") if isinstance(detail, dict) else None
    return was if was in (OPEN, ProblemStatus.rectifying.value) else OPEN


def _undo_obligations(conn: Connection, today: date, period: str) -> dict[str, int]:
    later = E.c.as_of > today
    born_later = or_(
        OBL.c.window_start > today,
        OBL.c.period > period,
        exists().where(E.c.obligation_id == OBL.c.id, later, E.c.old_status.is_(None)),
    )
    # Marked first (as `transitions.create` marks its newborns), so that deleting their history
    # cannot hide which they were.
    conn.execute(update(OBL).where(born_later).values(level=DOOMED))
    doomed = select(OBL.c.id).where(OBL.c.level == DOOMED)
    events = _count(conn, delete(E).where(E.c.obligation_id.in_(doomed)))
    created = _count(conn, delete(OBL).where(OBL.c.level == DOOMED))
    # The status before a later day first moved it: the old status of its first later row.
    e = E.alias("first_later")
    first_later = (
        select(func.min(e.c.id))
        .where(e.c.obligation_id == OBL.c.id, e.c.as_of > today)
        .correlate(OBL)
        .scalar_subquery()
    )
    before = select(E.c.old_status).where(E.c.id == first_later).correlate(OBL).scalar_subquery()
    moved = _count(
        conn,
        update(OBL)
        .where(exists().where(E.c.obligation_id == OBL.c.id, later))
        .values(
            status=before,
            # Not late then: the escalation a later day gave it goes too (a late one's level
            # is the escalation step's to recompute).
            level=case((before == OPEN, 0), else_=OBL.c.level),
        ),
    )
    events += _count(conn, delete(E).where(later))
    return {"obligations_created": created, "obligations_moved": moved, "events": events}
