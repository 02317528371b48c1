"""Keep `compliance` (check-in counts per village and month) and `cadre_compliance` (per cadre
and village) up to date, set-based.

The dashboard's overview reads these rows instead of grouping millions of obligations per
request. The flows refresh them after each evaluation; a call recorded by hand refreshes only
its worker's village and month.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.expression import ColumnElement

from lianxin.records import ObligationKind
from lianxin.store import schema as t
from lianxin.store.upsert import execute_counting

CHECKIN = ObligationKind.monthly_checkin.value
STATUSES = ("done", "open", "overdue", "escalated", "waived")

MAX_PLACES = 200
Place = tuple[str | None, str]  # (town, village)


def refresh_compliance(
    target: Connection | Engine,
    periods: Sequence[str] | None,
    now: datetime,
    places: Iterable[Place] | None = None,
) -> int:
    """Recompute the `compliance` rows of `periods` and return how many rows now stand there.

    `periods=None` means the months touched since the last refresh (every month on the first).
    With `places`, only those (town, village) pairs are recomputed. Rows of villages left with no
    obligation and no flag disappear: the scope is deleted and re-inserted in one transaction,
    which readers (WAL, MVCC) never see half-done, and which spares an anti-join per row.
    """
    if isinstance(target, Engine):
        with target.begin() as conn:
            return refresh_compliance(conn, periods, now, places)
    conn = target
    chosen = list(periods) if periods is not None else touched_periods(conn)
    if not chosen:
        return 0
    place_list = list(places) if places is not None else None
    # Per cadre first, from the obligations; then per village, from those rows and the flags.
    cc, cp = t.cadre_compliance, t.compliance
    conn.execute(
        cc.delete().where(_scope(cc.c.period, cc.c.town, cc.c.village, chosen, place_list))
    )
    conn.execute(
        cc.insert().from_select(
            ["period", "owner", "county", "town", "village", "due", *STATUSES, "updated_at"],
            _by_cadre(chosen, place_list, now),
        )
    )
    conn.execute(
        cp.delete().where(_scope(cp.c.period, cp.c.town, cp.c.village, chosen, place_list))
    )
    return execute_counting(
        conn, cp.insert().from_select(_columns(), _grouped(chosen, place_list, now))
    )


def refresh_changed_since(
    target: Connection | Engine,
    since: datetime,
    now: datetime,
    also: Sequence[tuple[str, Place]] = (),
) -> int:
    """Recompute only the villages and months whose check-ins or flags changed since `since`.

    `also` adds (period, place) pairs to recompute regardless, such as the village of a call just
    recorded. Return how many rows were written.
    """
    if isinstance(target, Engine):
        with target.begin() as conn:
            return refresh_changed_since(conn, since, now, also)
    conn = target
    o, f = t.obligations, t.risk_flags
    changed = union_all(
        select(o.c.period, func.coalesce(o.c.town, ""), o.c.village).where(
            o.c.kind == CHECKIN, o.c.changed_at >= since, o.c.village.is_not(None)
        ),
        select(f.c.period, func.coalesce(f.c.town, ""), f.c.village).where(
            f.c.created_at >= since, f.c.village.is_not(None)
        ),
    ).subquery()
    by_period: dict[str, set[Place]] = {}
    for period, town, village in conn.execute(select(changed).distinct()):
        by_period.setdefault(period, set()).add((town, village))
    for period, (town, village) in also:
        by_period.setdefault(period, set()).add((town or "", village))
    return sum(
        # Past a few hundred villages one scan of the month beats a long OR of places.
        refresh_compliance(
            conn, [period], now, sorted(places, key=str) if len(places) <= MAX_PLACES else None
        )
        for period, places in sorted(by_period.items())
    )


def touched_periods(conn: Connection) -> list[str]:
    """Return the months whose check-ins or flags changed since the last refresh (all at first)."""
    last = conn.execute(select(func.max(t.compliance.c.updated_at))).scalar()
    return all_periods(conn, since=last)


def all_periods(conn: Connection, since: datetime | None = None) -> list[str]:
    """Return every month with check-in obligations or flags (changed since `since`, if given)."""
    o, f = t.obligations, t.risk_flags
    obligation_periods = select(o.c.period).where(o.c.kind == CHECKIN)
    flag_periods = select(f.c.period)
    if since is not None:
        obligation_periods = obligation_periods.where(o.c.changed_at >= since)
        flag_periods = flag_periods.where(f.c.created_at >= since)
    both = union_all(obligation_periods, flag_periods).subquery()
    rows = conn.execute(select(both.c.period).distinct().order_by(both.c.period)).scalars()
    return [p for p in rows if p]


def _columns() -> list[str]:
    return ["period", "county", "town", "village", "due", *STATUSES, "risk_flags", "updated_at"]


def _scope(
    period: ColumnElement[Any],
    town: ColumnElement[Any],
    village: ColumnElement[Any],
    periods: list[str],
    places: list[Place] | None,
) -> ColumnElement[bool]:
    condition = period.in_(periods)
    if places is None:
        return condition
    return and_(
        condition,
        or_(*(and_(town == (tn or ""), village == vg) for tn, vg in places)),
    )


def _county_of(town: ColumnElement[Any]) -> Any:
    """Return the scalar subquery of the county a town lies in ('' when the tree lacks it)."""
    r = t.regions
    return (
        select(func.coalesce(func.max(r.c.parent), ""))
        .where(r.c.level == "town", r.c.name == town)
        .scalar_subquery()
    )


def _by_cadre(periods: list[str], places: list[Place] | None, now: datetime) -> Any:
    """Return the SELECT of one row per (period, cadre, town, village) with its call counts."""
    o = t.obligations
    town = func.coalesce(o.c.town, "")
    calls = (
        select(o.c.period, o.c.owner, town.label("town"), o.c.village, o.c.status)
        .where(
            o.c.kind == CHECKIN,
            o.c.village.is_not(None),
            _scope(o.c.period, town, o.c.village, periods, places),
        )
        .subquery("calls")
    )
    return (
        select(
            calls.c.period,
            calls.c.owner,
            _county_of(calls.c.town),  # of a grouped column: PostgreSQL wants it so
            calls.c.town,
            calls.c.village,
            func.count(),
            *(func.sum(case((calls.c.status == s, 1), else_=0)) for s in STATUSES),
            literal(now, t.cadre_compliance.c.updated_at.type),
        )
        .where(calls.c.period.is_not(None))
        .group_by(calls.c.period, calls.c.owner, calls.c.town, calls.c.village)
    )


def _grouped(periods: list[str], places: list[Place] | None, now: datetime) -> Any:
    """Return the SELECT of one row per (period, town, village): the cadres' rows (just
    written) added up, and the village's income-risk flags."""
    cc, f = t.cadre_compliance, t.risk_flags
    f_town = func.coalesce(f.c.town, "")
    from_cadres = select(
        cc.c.period.label("period"),
        cc.c.town.label("town"),
        cc.c.village.label("village"),
        cc.c.due.label("due"),
        *(cc.c[s].label(s) for s in STATUSES),
        literal(0).label("flag"),
    ).where(_scope(cc.c.period, cc.c.town, cc.c.village, periods, places))
    from_flags = select(
        f.c.period,
        f_town,
        f.c.village,
        literal(0),
        *(literal(0) for _ in STATUSES),
        literal(1),
    ).where(f.c.village.is_not(None), _scope(f.c.period, f_town, f.c.village, periods, places))
    rows = union_all(from_cadres, from_flags).subquery("rows")
    return (
        select(
            rows.c.period,
            _county_of(rows.c.town),
            rows.c.town,
            rows.c.village,
            func.sum(rows.c.due),
            *(func.sum(rows.c[s]) for s in STATUSES),
            func.sum(rows.c.flag),
            literal(now, t.compliance.c.updated_at.type),
        )
        .where(rows.c.period.is_not(None))  # SQLite needs a WHERE before an INSERT's ON …
        .group_by(rows.c.period, rows.c.town, rows.c.village)
    )
