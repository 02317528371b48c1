"""Create obligations and move them between states, writing each change as a history row first.

Every function here is one or two SQL statements over whole tables: the history rows are
inserted with INSERT … SELECT from the same scope that the UPDATE then applies to, so a change
and its explanation can never drift apart, and a rerun that changes nothing writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    case,
    false,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite

from lianxin.records import ObligationStatus
from lianxin.store import schema as t
from lianxin.store.upsert import execute_counting

OBL = t.obligations
EVENT_COLUMNS = ["obligation_id", "at", "as_of", "old_status", "new_status", "actor", "reason"]
# The PostgreSQL advisory lock an evaluation holds until it ends: evaluations of one store run
# one at a time, as they do on SQLite, its one writer (`hold_evaluation_lock`).
EVALUATION_LOCK = 0x4C58_0001
# The reason of a birth history row when the obligation starts open (see `_births`).
CREATED = "created"
# Columns a rule's source query must yield, in this order, to create obligations.
SOURCE_COLUMNS = ["subject", "owner", "period", "window_start", "due", "village", "town", "detail"]


def hold_evaluation_lock(conn: Connection) -> None:
    """Wait for any other evaluation of the store to end, then hold the lock until this
    transaction ends. Two at once would each write the same moves into the history."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(EVALUATION_LOCK)))


@dataclass
class Step:
    """The place and moment a rule runs in: one connection (one transaction), one day."""

    conn: Connection
    as_of: date
    now: datetime
    changed_since: datetime | None = None  # incremental: only subjects changed after this
    # Where history rows go: obligation_events, or a replay's scratch table (rules/replay.py),
    # which writes only the net change of the replayed days.
    events: Table = t.obligation_events
    created: dict[str, int] = field(default_factory=dict)
    transitions: dict[str, int] = field(default_factory=dict)
    # Per kind, the highest obligation id before this step's create(): the rows above it were
    # born this step with the status of this day, so its moves need not look at them again.
    born_above: dict[str, int] = field(default_factory=dict)
    # The kinds that had no obligation at all before this step created theirs: every one of
    # them was born this step, so there is nothing of the kind for its moves to look at.
    fresh: set[str] = field(default_factory=set)

    @property
    def incremental(self) -> bool:
        return self.changed_since is not None

    def not_newborn(self, kind: str) -> ColumnElement[bool]:
        """Return the condition that an obligation of `kind` existed before this step created."""
        if kind in self.fresh:
            return false()  # both databases then skip the move's scan (a province: 1.4 s)
        above = self.born_above.get(kind)
        return true() if above is None else OBL.c.id <= above


@dataclass(frozen=True)
class Born:
    """How a rule's new obligations start: the status they already have on the day they are
    created, and the words that say why, when it is not `open`.

    `done` is the rule's own condition, spelled over the source query's columns. A full run on a
    store where the calls are already published creates most obligations done: born so, each is
    written once, with one history row, instead of being born open and moved a moment later.
    """

    done: ColumnElement[bool]
    due: ColumnElement[Any]
    done_reason: str
    late_reason: str

    def status(self, as_of: date) -> ColumnElement[str]:
        return case(
            (self.done, literal(ObligationStatus.done.value)),
            (self.due < as_of, literal(ObligationStatus.overdue.value)),
            else_=literal(ObligationStatus.open.value),
        )

    def reasons(self) -> dict[str, str]:
        return {
            ObligationStatus.done.value: self.done_reason,
            ObligationStatus.overdue.value: self.late_reason,
        }


def create(
    step: Step,
    kind: str,
    source: Select[Any],
    actor: str,
    born: Born | None = None,
    one_per_key: bool = False,
) -> int:
    """Insert an obligation of `kind` per row of `source` unless one exists; return how many.

    New obligations are open, or with `born` already in the status the rule gives them today.
    The birth of each is its first history row (`_births`). The rows born here are left out
    of this step's later moves of `kind` (`Step.not_newborn`): they were decided from the same
    rows on the same day.

    `one_per_key` says that `source` yields each (subject, period) once, e.g. one row per
    worker, so that PostgreSQL need not pick one row per key.
    """
    columns = ["kind", *SOURCE_COLUMNS, "status", "level", "created_at", "changed_at"]
    conflict = ["kind", "subject", "period"]
    status = born.status(step.as_of) if born else literal(ObligationStatus.open.value)
    source = source.add_columns(status.label("born"))
    reasons = born.reasons() if born else {}
    before = step.conn.execute(select(func.coalesce(func.max(OBL.c.id), 0))).scalar_one()
    if kind not in step.born_above:
        any_of_kind = select(OBL.c.id).where(OBL.c.kind == kind).limit(1)
        if step.conn.execute(any_of_kind).first() is None:
            step.fresh.add(kind)
    if step.conn.dialect.name == "postgresql":
        # The insert hands its new rows straight to the history insert: one statement, and
        # no second version of every new row (an UPDATE rewrites each one in PostgreSQL).
        rows = _with_defaults(kind, source, step)
        if step.incremental:  # a few rows: ON CONFLICT probes the key of each, and that is all
            new = (
                postgresql.insert(OBL)
                .from_select(columns, rows)
                .on_conflict_do_nothing(index_elements=conflict)
            )
        else:
            # A full run leaves existing obligations out by an anti-join: ON CONFLICT's
            # speculative insertion costs every new row a second probe of the key and one more
            # WAL record (province: the month's 2.7 M calls in 50 s, not 58 s). Evaluations
            # hold EVALUATION_LOCK: no other transaction inserts the same key meanwhile.
            new = postgresql.insert(OBL).from_select(
                columns, _without_existing(kind, rows, one_per_key)
            )
        inserted = new.returning(OBL.c.id, OBL.c.status).cte("born")
        count = execute_counting(step.conn, _births(step, kind, actor, inserted, reasons))
    else:
        # The new rows are exactly those above the highest id before the insert: SQLite has
        # one writer, and this transaction holds its lock. A primary-key range finds them
        # where `kind` would walk every obligation of the kind (millions at province scale).
        newborn = select(OBL.c.id, OBL.c.status).where(OBL.c.id > before)
        insert = sqlite.insert(OBL).from_select(columns, _with_defaults(kind, source, step))
        step.conn.execute(insert.on_conflict_do_nothing(index_elements=conflict))
        count = execute_counting(step.conn, _births(step, kind, actor, newborn.subquery(), reasons))
    step.born_above.setdefault(kind, before)
    if count:
        step.created[kind] = step.created.get(kind, 0) + count
    return count


def _births(step: Step, kind: str, actor: str, born: Any, reasons: dict[str, str]) -> Any:
    """Return the INSERT of one birth history row per row of `born` (id, status).

    Its reason says how the obligation started: why it was born done or late, else CREATED.
    Why it exists is its own `detail`, read beside its history, and not copied into it: the
    copies were a sixth of what a full evaluation wrote (province: 4.3 M of them).
    """
    reason: ColumnElement[str] = literal(CREATED)
    if reasons:
        reason = case(
            *((born.c.status == status, literal(why)) for status, why in reasons.items()),
            else_=reason,
        )
    return step.events.insert().from_select(
        EVENT_COLUMNS,
        select(
            born.c.id,
            literal(step.now),
            literal(step.as_of),
            literal(None),
            born.c.status,
            literal(actor),
            reason,
        ),
    )


def _with_defaults(kind: str, source: Select[Any], step: Step) -> Select[Any]:
    sub = source.subquery()
    return select(
        literal(kind),
        *(sub.c[name] for name in SOURCE_COLUMNS),
        sub.c.born,
        literal(0),
        literal(step.now),
        literal(step.now),
    ).where(true())  # SQLite needs a WHERE before ON CONFLICT to parse INSERT … SELECT


def _without_existing(kind: str, rows: Select[Any], one_per_key: bool) -> Select[Any]:
    """Return `rows` (as `_with_defaults` gives them) less those whose obligation exists, and
    unless `one_per_key`, one row per key (a worker's two calls of a month: either)."""
    sub = rows.subquery("fresh")
    existing = (
        select(OBL.c.id)
        .where(OBL.c.kind == kind, OBL.c.subject == sub.c.subject, OBL.c.period == sub.c.period)
        .exists()
    )
    chosen = select(*sub.c).where(~existing)
    if one_per_key:
        return chosen
    key = (sub.c.subject, sub.c.period)
    return chosen.ext(postgresql.distinct_on(*key)).order_by(*key)


# Moves are computed once into a per-connection scratch table, then recorded and applied from
# it: the rule's CASE/EXISTS expression is evaluated once per obligation instead of three times.
MOVES = Table(
    "lianxin_moves",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("old", String(16)),
    Column("new", String(16), nullable=False),
    Column("level", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    prefixes=["TEMPORARY"],
)


def _scratch(conn: Connection) -> None:
    conn.exec_driver_sql(
        "CREATE TEMPORARY TABLE IF NOT EXISTS lianxin_moves (id INTEGER PRIMARY KEY, "
        "kind VARCHAR(32) NOT NULL, old VARCHAR(16), new VARCHAR(16) NOT NULL, "
        "level INTEGER NOT NULL, reason TEXT NOT NULL)"
    )
    conn.execute(MOVES.delete())


def move(
    step: Step,
    scope: ColumnElement[bool],
    new_status: ColumnElement[str],
    reason: ColumnElement[str],
    actor: str,
    new_level: ColumnElement[int] | None = None,
) -> dict[str, int]:
    """Move every obligation in `scope` to `new_status` (and `new_level`), with history rows.

    Only rows whose status or level really changes are touched. Return counts by
    "kind:old→new".
    """
    level = new_level if new_level is not None else OBL.c.level
    changing = and_(scope, (OBL.c.status != new_status) | (OBL.c.level != level))
    conn = step.conn
    _scratch(conn)
    conn.execute(
        MOVES.insert().from_select(
            ["id", "kind", "old", "new", "level", "reason"],
            select(OBL.c.id, OBL.c.kind, OBL.c.status, new_status, level, reason).where(changing),
        )
    )
    if conn.dialect.name == "postgresql":
        # A temporary table has no statistics until analyzed: without them the planner guesses
        # its size and may apply a million moves by nested loop.
        conn.exec_driver_sql("ANALYZE lianxin_moves")
    counts: dict[str, int] = {
        str(label): int(n)
        for label, n in conn.execute(
            # From the scratch table alone: a join would scan every obligation.
            select(
                MOVES.c.kind + literal(":") + MOVES.c.old + literal("→") + MOVES.c.new,
                func.count(),
            ).group_by(MOVES.c.kind, MOVES.c.old, MOVES.c.new)
        ).all()
    }
    if not counts:
        return {}
    conn.execute(
        step.events.insert().from_select(
            EVENT_COLUMNS,
            select(
                MOVES.c.id,
                literal(step.now),
                literal(step.as_of),
                MOVES.c.old,
                MOVES.c.new,
                literal(actor),
                MOVES.c.reason,
            ),
        )
    )
    if conn.dialect.name == "postgresql":
        applied = OBL.update().where(OBL.c.id == MOVES.c.id)
        values: dict[str, Any] = {"status": MOVES.c.new, "level": MOVES.c.level}
    else:
        # SQLite plans UPDATE … FROM as a scan of every obligation probing the scratch table;
        # driven by the scratch table's ids it touches only the rows that move.
        def moved(column: Column[Any]) -> Any:
            return select(column).where(MOVES.c.id == OBL.c.id).scalar_subquery()

        applied = OBL.update().where(OBL.c.id.in_(select(MOVES.c.id)))
        values = {"status": moved(MOVES.c.new), "level": moved(MOVES.c.level)}
    conn.execute(applied.values(**values, changed_at=step.now))
    for label, n in counts.items():
        step.transitions[label] = step.transitions.get(label, 0) + n
    return counts


def due_status(done: ColumnElement[bool], as_of: date) -> ColumnElement[str]:
    """Return the status an obligation has as of `as_of`: done, else overdue/escalated, else open.

    An escalated obligation stays escalated while late; the escalation step decides its level.
    """
    escalated = ObligationStatus.escalated.value
    late = case(
        (OBL.c.status == escalated, literal(escalated)),
        else_=literal(ObligationStatus.overdue.value),
    )
    return case(
        (done, literal(ObligationStatus.done.value)),
        (OBL.c.due < as_of, late),
        else_=literal(ObligationStatus.open.value),
    )


LIVE = (
    ObligationStatus.open.value,
    ObligationStatus.overdue.value,
    ObligationStatus.escalated.value,
    ObligationStatus.done.value,  # a replay to an earlier day may reopen it
)
