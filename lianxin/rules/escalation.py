"""Escalate late obligations along the administrative hierarchy, and apply waivers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, case, exists, literal, select

from config.settings import RulesSettings
from lianxin.records import OBLIGATION_KINDS, ObligationStatus
from lianxin.rules.transitions import OBL, Step, move
from lianxin.store import schema as t

LEVELS = {0: "the cadre", 1: "the village lead", 2: "the town", 3: "the county bureau"}
_LATE = (ObligationStatus.overdue.value, ObligationStatus.escalated.value)
MAX_NAMED_SUBJECTS = 5000  # beyond, a subquery: SQLite allows 32,766 parameters a statement


def escalate(step: Step, rules: RulesSettings) -> None:
    """Raise each late obligation to the level its lateness calls for; done ones stop rising."""
    village = step.as_of - timedelta(days=rules.escalate_village_after_days)
    town = step.as_of - timedelta(days=rules.escalate_town_after_days)
    county = step.as_of - timedelta(days=rules.escalate_county_after_days)
    level = case((OBL.c.due < county, 3), (OBL.c.due < town, 2), (OBL.c.due < village, 1), else_=0)
    status = case(
        (level > 0, literal(ObligationStatus.escalated.value)),
        else_=literal(ObligationStatus.overdue.value),
    )
    reason = case(
        *(
            (level == n, literal(f"late beyond the grace period: escalated to {who}"))
            for n, who in LEVELS.items()
            if n
        ),
        else_=literal("late, within the cadre's grace period"),
    )
    late = and_(OBL.c.kind.in_(OBLIGATION_KINDS), OBL.c.status.in_(_LATE))
    move(step, late, status, reason, "rule:escalation", new_level=level)


def apply_waivers(step: Step) -> None:
    """Waive every live obligation that a waiver given by `as_of` covers, citing its reason."""
    v = t.waivers
    covering = and_(
        v.c.subject == OBL.c.subject, v.c.kind.in_(("*", OBL.c.kind)), v.c.given_on <= step.as_of
    )
    reason = (
        select(
            literal("waived by ")
            + v.c.given_by
            + literal(" (")
            + v.c.category
            + literal("): ")
            + v.c.reason
        )
        .where(covering)
        .order_by(v.c.given_on.desc(), v.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    live = (ObligationStatus.open.value, *_LATE)
    # Driven by the waivers (a few hundred): each subject's obligations are found through the
    # (kind, subject, period) key, where testing every live obligation for a waiver read
    # millions of rows at province scale (2 s a run, every run). The subjects are named in the
    # statement, so that SQLite, whose statistics may predate the first waiver, sees how few.
    waived = select(v.c.subject).where(v.c.given_on <= step.as_of)
    subjects = step.conn.execute(waived.distinct()).scalars().all()
    if not subjects:
        return
    move(
        step,
        and_(
            OBL.c.kind.in_(OBLIGATION_KINDS),
            OBL.c.subject.in_(subjects if len(subjects) <= MAX_NAMED_SUBJECTS else waived),
            OBL.c.status.in_(live),
            exists().where(covering),
        ),
        literal(ObligationStatus.waived.value),
        reason,
        "rule:waiver",
    )
