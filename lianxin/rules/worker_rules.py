"""Rules about workers: the monthly check-in, home visits, employment assistance, income risk."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.dialects import postgresql, sqlite

from config.settings import RulesSettings
from lianxin.records import ObligationKind, WorkStatus, period_index
from lianxin.rules.checkin import CheckinWindow
from lianxin.rules.transitions import LIVE, OBL, Born, Step, create, due_status, move
from lianxin.store import schema as t
from lianxin.store.moves import not_moved_away
from lianxin.store.sqlfuncs import add_days, month_count, no_index, period_of
from lianxin.store.upsert import execute_counting

C, W = t.checkins, t.workers
CHECKIN = ObligationKind.monthly_checkin.value
HOME_VISIT = ObligationKind.home_visit.value
ASSISTANCE = ObligationKind.employment_assistance.value
CALLED = "a call of this month is recorded"
NOT_CALLED = "no call recorded by the due date"
FOLLOWUP_LATE = "not done by the due date"


def not_waived(subject: ColumnElement[Any], kind: str, as_of: date) -> ColumnElement[bool]:
    """Return the condition that no waiver given by `as_of` covers `subject` for `kind`."""
    v = t.waivers
    return not_(
        exists().where(v.c.subject == subject, v.c.kind.in_(("*", kind)), v.c.given_on <= as_of)
    )


def _calls_of(calls: Any, *conditions: Any) -> ColumnElement[bool]:
    """Return EXISTS over the rows of `calls` (checkins or an alias) meeting `conditions`.

    It selects the key, not `*`: SQLite then answers from ix_checkins_matched_period alone.
    """
    return select(calls.c.matched_key).where(*conditions).exists()


def _called_in(
    subject: ColumnElement[Any], month: ColumnElement[Any], as_of: date
) -> ColumnElement[bool]:
    """Return the condition that `subject` has a call of `month` (a month count, as
    `period_index`) made by `as_of`: what a monthly check-in owes."""
    return _calls_of(C, C.c.matched_key == subject, C.c.period_index == month, called_by(as_of))


def called_by(as_of: date, calls: Any = C) -> ColumnElement[bool]:
    """Return the condition that a row of `calls` (checkins or an alias) was made by `as_of`.

    A call without a day counts as made. One expression, not `IS NULL OR <=`: an OR over the
    call day lets PostgreSQL read a partial index twice, as a bitmap, and then visit every row
    it names (province home visits: 13 s against 7.7 s for the index alone).
    """
    return func.coalesce(calls.c.call_date, literal(as_of, Date)) <= as_of


def changed_checkin_subjects(step: Step) -> Select[Any]:
    """Return the workers with a check-in written since the last run (incremental runs)."""
    return select(C.c.matched_key).where(C.c.changed_at > step.changed_since)


def monthly_checkins(step: Step, rules: RulesSettings, window: CheckinWindow) -> None:
    """Owe a call per eligible worker per month; done once a call of that month is published."""
    actor = "rule:monthly_checkin"
    if step.as_of >= window.start:
        source = select(
            W.c.key.label("subject"),
            func.coalesce(W.c.cadre_key, "").label("owner"),
            literal(window.period).label("period"),
            literal(window.start).label("window_start"),
            literal(window.due).label("due"),
            W.c.village,
            W.c.town,
            literal(
                f"{window.period} monthly check-in (每月上旬电话回访): the worker is employed "
                f"or looking for work; call due by {window.due.isoformat()}"
            ).label("detail"),
        ).where(
            # Never through ix_workers_status: it names nine workers in ten (a full run reads
            # them all anyway), and an incremental run finds its few by changed_at.
            no_index(step.conn, W.c.status).in_(rules.checkin_statuses),
            not_waived(W.c.key, CHECKIN, step.as_of),
            not_moved_away(W.c.key),
        )
        if step.incremental and _period_started(step, window.period):
            source = source.where(W.c.changed_at > step.changed_since)
        born = Born(
            done=_called_in(W.c.key, literal(period_index(window.period)), step.as_of),
            due=literal(window.due, Date),
            done_reason=CALLED,
            late_reason=NOT_CALLED,
        )
        create(step, CHECKIN, source, actor, born, one_per_key=True)  # a worker, a row
    # Compare month counts, not period strings: (matched_key, period_index) is the index a
    # planner without statistics must still find.
    called = _called_in(OBL.c.subject, month_count(OBL.c.period), step.as_of)
    scope = and_(
        OBL.c.kind == CHECKIN,
        OBL.c.status.in_(LIVE),
        OBL.c.window_start <= step.as_of,
        step.not_newborn(CHECKIN),
    )
    if step.incremental:
        scope = _touched(step, CHECKIN, scope)
    reason = case(
        (called, literal(CALLED)),
        (OBL.c.due < step.as_of, literal(NOT_CALLED)),
        else_=literal("no call recorded yet; the window is still open"),
    )
    move(step, scope, due_status(called, step.as_of), reason, actor)


def _touched(step: Step, kind: str, scope: ColumnElement[bool]) -> ColumnElement[bool]:
    """Narrow `scope` to what an incremental run revisits: new calls, or calls falling due.

    Two index lookups (kind and subject; status and due) united by id, where one OR over the
    two read every obligation of the kind on PostgreSQL (county bench: 1.4 s against 0.09 s).
    """
    changed = select(OBL.c.id).where(
        OBL.c.kind == kind, OBL.c.subject.in_(changed_checkin_subjects(step))
    )
    falling_due = select(OBL.c.id).where(
        OBL.c.kind == kind, OBL.c.status == "open", OBL.c.due < step.as_of
    )
    return and_(OBL.c.id.in_(union(changed, falling_due)), scope)


def _period_started(step: Step, period: str) -> bool:
    query = select(OBL.c.id).where(OBL.c.kind == CHECKIN, OBL.c.period == period).limit(1)
    return step.conn.execute(query).first() is not None


def _later_call(
    subject: ColumnElement[Any], month: ColumnElement[Any], as_of: date, reached: bool = False
) -> ColumnElement[bool]:
    """Return the condition that `subject` has a call of a month after `month` (a month count,
    as `period_index`) made by `as_of` (and answered, with `reached`): what closes a follow-up.

    Every column it reads is in ix_checkins_matched_period: the probe never visits a row."""
    later = C.alias("later")
    return _calls_of(
        later,
        later.c.matched_key == subject,
        later.c.period_index > month,
        *([later.c.reached == true()] if reached else []),
        called_by(as_of, later),
    )


def _followup(
    step: Step,
    kind: str,
    due_days: int,
    detail: ColumnElement[str],
    done_reason: str,
    actor: str,
    *conditions: Any,
    reached: bool = False,
) -> None:
    """Owe a follow-up for each check-in matching `conditions`, then move the open ones.

    Each starts on the call's day and is due `due_days` later, owed by the worker's cadre. A
    later call of the worker (answered, with `reached`) closes it: that call re-assessed them,
    and if they still need help it has created the next episode.
    """
    start = func.coalesce(C.c.call_date, literal(step.as_of))
    due = add_days(step.conn, start, due_days)
    source = (
        select(
            C.c.matched_key.label("subject"),
            func.coalesce(W.c.cadre_key, "").label("owner"),
            C.c.period.label("period"),
            start.label("window_start"),
            due.label("due"),
            W.c.village,
            W.c.town,
            detail.label("detail"),
        )
        .join(W, W.c.key == no_index(step.conn, C.c.matched_key))
        .where(called_by(step.as_of), not_waived(C.c.matched_key, kind, step.as_of), *conditions)
    )
    if step.incremental:
        source = source.where(C.c.changed_at > step.changed_since)
    born = Born(
        done=_later_call(C.c.matched_key, C.c.period_index, step.as_of, reached),
        due=due,
        done_reason=done_reason,
        late_reason=FOLLOWUP_LATE,
    )
    create(step, kind, source, actor, born)
    done = _later_call(OBL.c.subject, month_count(OBL.c.period), step.as_of, reached)
    _advance_followup(step, kind, done, done_reason, actor)


def home_visits(step: Step, rules: RulesSettings) -> None:
    """Owe a home visit (入户走访) when calls went unanswered N months running."""
    months = rules.home_visit_after_months
    c2 = C.alias("earlier")
    run = (
        select(func.count())
        .where(
            c2.c.matched_key == C.c.matched_key,
            c2.c.reached == false(),
            c2.c.period_index.between(C.c.period_index - (months - 1), C.c.period_index),
            called_by(step.as_of, c2),
        )
        .scalar_subquery()
    )
    _followup(
        step,
        HOME_VISIT,
        rules.home_visit_due_days,
        literal(
            f"unreachable by phone {months} months running (连续{months}个月未接通): "
            "visit the household"
        ),
        "the worker answered a later call",
        "rule:home_visit",
        C.c.reached == false(),
        C.c.period_index <= period_index(f"{step.as_of:%Y-%m}"),
        run == months,
        reached=True,
    )


def assistance(step: Step, rules: RulesSettings) -> None:
    """Owe employment assistance within N days when a worker lost the job or earned nothing."""
    _followup(
        step,
        ASSISTANCE,
        rules.assistance_due_days,
        case(
            (
                C.c.income_yuan == 0,
                literal(
                    "no income last month: offer job information, training or a public-welfare post"
                ),
            ),
            else_=literal("looking for work: offer job information and training"),
        ),
        "a later call re-assessed the worker's employment",
        "rule:employment_assistance",
        or_(C.c.income_yuan == 0, C.c.status == WorkStatus.looking.value),
    )


def _advance_followup(
    step: Step, kind: str, done: ColumnElement[bool], done_reason: str, actor: str
) -> None:
    scope = and_(
        OBL.c.kind == kind,
        OBL.c.status.in_(LIVE),
        OBL.c.window_start <= step.as_of,
        step.not_newborn(kind),
    )
    if step.incremental and step.conn.dialect.name == "sqlite":
        # SQLite walks every obligation of the kind for the OR below (province: 2.8 s of an
        # incremental day); the two index lookups united, as for the monthly call, are exact.
        scope = _touched(step, kind, scope)
    elif step.incremental:
        # The OR form here: the united form made PostgreSQL much slower on this scope (county
        # bench, 566 rows: 4.0 s against 0.09 s before), while it helps the monthly call.
        scope = and_(
            scope,
            or_(
                OBL.c.subject.in_(changed_checkin_subjects(step)),
                and_(OBL.c.status == "open", OBL.c.due < step.as_of),
            ),
        )
    reason = case(
        (done, literal(done_reason)),
        (OBL.c.due < step.as_of, literal(FOLLOWUP_LATE)),
        else_=literal("open"),
    )
    move(step, scope, due_status(done, step.as_of), reason, actor)


def income_risk(step: Step, rules: RulesSettings) -> int:
    """Flag workers whose latest income fell below their recent median or the monitoring line.

    A grouped pass picks the workers who could be flagged at all, with their latest reported
    month; their latest income and the three reported before it are then read (`_incomes`).
    The median is spelled in SQL both databases speak: the one of three values lying between
    the other two, for two their mean, for one the value.
    """
    current = period_index(f"{step.as_of:%Y-%m}")
    # Only a worker whose lowest income lies below the line, or below the share of their
    # highest, can be flagged: the median of three lies under the highest, and the latest
    # income above the lowest. One grouped pass finds them (a quarter of the workers in the
    # synthetic province).
    lowest, highest = func.min(C.c.income_yuan), func.max(C.c.income_yuan)
    candidates = (
        select(C.c.matched_key.label("subject"), func.max(C.c.period_index).label("latest"))
        .where(_reported(C, current, step.as_of))
        .group_by(C.c.matched_key)
        .having(
            func.max(C.c.period_index) >= current - 1,
            or_(
                lowest < rules.monitoring_line_yuan,
                lowest < highest * rules.income_risk_share,
            ),
        )
    )
    if step.incremental:
        candidates = candidates.where(C.c.matched_key.in_(changed_checkin_subjects(step)))
    r = _incomes(step, candidates.subquery("candidates"), current)
    median = case(
        (r.c.p3.is_not(None), _middle(r.c.p1, r.c.p2, r.c.p3)),
        (r.c.p2.is_not(None), (r.c.p1 + r.c.p2) / 2),
        else_=r.c.p1,
    )
    below_median = and_(r.c.p1.is_not(None), r.c.p0 < median * rules.income_risk_share)
    below_line = r.c.p0 < rules.monitoring_line_yuan
    reference = case((below_line, literal(rules.monitoring_line_yuan)), else_=median)
    detail = case(
        (
            below_line,
            literal(
                f"income below the monitoring line of {rules.monitoring_line_yuan} yuan a month"
            ),
        ),
        else_=literal(
            f"income below {rules.income_risk_share:.0%} of the median of the "
            "previous three reported months"
        ),
    )
    rows = (
        select(
            literal("income_risk"),
            r.c.subject,
            r.c.period,
            W.c.village,
            W.c.town,
            r.c.p0,
            func.cast(reference, t.risk_flags.c.reference_yuan.type),
            detail,
            literal(step.now),
        )
        .select_from(r)
        .join(W, W.c.key == r.c.subject)
        .where(or_(below_line, below_median))
    )
    insert = (postgresql if step.conn.dialect.name == "postgresql" else sqlite).insert(t.risk_flags)
    columns = [
        "kind",
        "subject",
        "period",
        "village",
        "town",
        "income_yuan",
        "reference_yuan",
        "detail",
        "created_at",
    ]
    return execute_counting(
        step.conn,
        insert.from_select(columns, rows).on_conflict_do_nothing(
            index_elements=["kind", "subject", "period"]
        ),
    )


def _reported(calls: Any, current: int, as_of: date) -> ColumnElement[bool]:
    """Return the condition that a row of `calls` reports an income of a month up to `current`."""
    return and_(
        calls.c.matched_key.is_not(None),
        calls.c.income_yuan.is_not(None),
        calls.c.period_index <= current,
        called_by(as_of, calls),
    )


def _incomes(step: Step, candidates: Any, current: int) -> Any:
    """Return, per candidate (subject, latest), its latest period and incomes p0 (the latest)
    to p3 (the third reported before it), NULL where there are fewer.

    Each database gets the form it runs fastest (province, 690 k candidates): SQLite probes
    ix_checkins_matched_period four times per worker, backwards from the end of their calls
    (6 s, where a window sorted and materialized their 3.4 M calls: 15 s); PostgreSQL sorts the
    window in memory (9.4 s, where the probes took 11.8 s).
    """
    if step.conn.dialect.name == "postgresql":

        def latest_first(function: Any) -> Any:  # one window: sorted once
            return function.over(partition_by=C.c.matched_key, order_by=C.c.period_index.desc())

        ranked = select(
            C.c.matched_key.label("subject"),
            C.c.period,
            C.c.income_yuan.label("p0"),
            latest_first(func.row_number()).label("rn"),
            *(latest_first(func.lead(C.c.income_yuan, n)).label(f"p{n}") for n in (1, 2, 3)),
        ).where(
            _reported(C, current, step.as_of), C.c.matched_key.in_(select(candidates.c.subject))
        )
        r = ranked.subquery("ranked")
        return (
            select(r.c.subject, r.c.period, *(r.c[f"p{n}"] for n in range(4)))
            .where(r.c.rn == 1)
            .subquery("reported")
        )
    earlier = C.alias("earlier")

    def reported_income(offset: int) -> Any:
        """The income of the worker's `offset`-th latest reported month (0: the latest)."""
        return (
            select(earlier.c.income_yuan)
            .where(
                earlier.c.matched_key == candidates.c.subject,
                _reported(earlier, current, step.as_of),
            )
            .order_by(earlier.c.period_index.desc())
            .limit(1)
            .offset(offset)
            .scalar_subquery()
        )

    # Materialized: the median names each income several times, and a subquery merged into it
    # would run its probes again for every mention.
    return (
        select(
            candidates.c.subject,
            period_of(candidates.c.latest).label("period"),
            *(reported_income(n).label(f"p{n}") for n in range(4)),
        )
        .cte("reported")
        .prefix_with("MATERIALIZED")
    )


def _middle(a: ColumnElement[Any], b: ColumnElement[Any], c: ColumnElement[Any]) -> Any:
    """Return the SQL for the median of three non-null values: the one between the other two."""
    return case(
        (or_(and_(b <= a, a <= c), and_(c <= a, a <= b)), a),
        (or_(and_(a <= b, b <= c), and_(c <= b, b <= a)), b),
        else_=c,
    )
