"""Rules about supervision problems (问题清单): rectification deadlines and return visits."""

from __future__ import annotations

from sqlalchemy import and_, case, func, literal, or_, select

from config.settings import RulesSettings
from lianxin.records import ObligationKind, ProblemStatus
from lianxin.rules.transitions import LIVE, OBL, Step, create, due_status, move
from lianxin.rules.worker_rules import not_waived
from lianxin.store import schema as t
from lianxin.store.sqlfuncs import add_days

P = t.problems
DEADLINE = ObligationKind.problem_deadline.value
RETURN_VISIT = ObligationKind.return_visit.value
_UNRECTIFIED = (ProblemStatus.open.value, ProblemStatus.rectifying.value)
_RECTIFIED = (ProblemStatus.rectified.value, ProblemStatus.verified.value)


def problem_deadlines(step: Step, rules: RulesSettings) -> None:
    """Owe rectification (整改) by each problem's deadline; done once it is marked rectified."""
    actor = "rule:problem_deadline"
    lead = max(rules.problem_reminder_days, default=7)
    source = select(
        P.c.key.label("subject"),
        func.coalesce(P.c.responsible_unit, "").label("owner"),
        literal("").label("period"),
        func.coalesce(P.c.found, add_days(step.conn, P.c.deadline, -lead)).label("window_start"),
        P.c.deadline.label("due"),
        P.c.place.label("village"),
        literal(None).label("town"),
        (literal("rectify (整改) by the deadline: ") + func.substr(P.c.description, 1, 80)).label(
            "detail"
        ),
    ).where(
        P.c.deadline.is_not(None),
        P.c.status.in_(_UNRECTIFIED),
        not_waived(P.c.key, DEADLINE, step.as_of),
    )
    if step.incremental:
        source = source.where(P.c.changed_at > step.changed_since)
    create(step, DEADLINE, source, actor)
    rectified = (
        select(P.c.key)
        .where(
            P.c.key == OBL.c.subject,
            P.c.status.in_(_RECTIFIED),
            or_(P.c.rectified_on.is_(None), P.c.rectified_on <= step.as_of),
        )
        .exists()
    )
    scope = and_(OBL.c.kind == DEADLINE, OBL.c.status.in_(LIVE))
    reason = case(
        (rectified, literal("the problem is marked rectified (已整改)")),
        (OBL.c.due < step.as_of, literal("not rectified by the deadline")),
        else_=literal("rectification under way"),
    )
    move(step, scope, due_status(rectified, step.as_of), reason, actor)


def return_visits(step: Step, rules: RulesSettings) -> None:
    """Owe a return visit (杀回马枪) within N days of a problem being marked rectified."""
    actor = "rule:return_visit"
    source = select(
        P.c.key.label("subject"),
        literal("supervision").label("owner"),
        literal("").label("period"),
        P.c.rectified_on.label("window_start"),
        add_days(step.conn, P.c.rectified_on, rules.return_visit_days).label("due"),
        P.c.place.label("village"),
        literal(None).label("town"),
        literal(
            f"marked rectified: verify on site within {rules.return_visit_days} days (杀回马枪)"
        ).label("detail"),
    ).where(
        P.c.status.in_(_RECTIFIED),
        P.c.rectified_on.is_not(None),
        P.c.rectified_on <= step.as_of,
        not_waived(P.c.key, RETURN_VISIT, step.as_of),
    )
    if step.incremental:
        source = source.where(P.c.changed_at > step.changed_since)
    create(step, RETURN_VISIT, source, actor)
    verified = (
        select(P.c.key)
        .where(
            P.c.key == OBL.c.subject,
            P.c.status == ProblemStatus.verified.value,
            or_(P.c.verified_on.is_(None), P.c.verified_on <= step.as_of),
        )
        .exists()
    )
    scope = and_(OBL.c.kind == RETURN_VISIT, OBL.c.status.in_(LIVE))
    reason = case(
        (verified, literal("verified on a return visit (已销号)")),
        (OBL.c.due < step.as_of, literal("no return visit by the due date")),
        else_=literal("return visit due"),
    )
    move(step, scope, due_status(verified, step.as_of), reason, actor)
