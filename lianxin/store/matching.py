"""Match published check-ins to roster workers, as one SQL statement pair over the whole table.

Matching is tolerant: the exact key (village, name, phone tail) first; then village and name alone
when exactly one roster worker has them (tables without a phone column, a masked or changed phone).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select, update

from lianxin.store import schema as t
from lianxin.store.upsert import execute_counting


def match_checkins(conn: Connection, since: datetime | None = None) -> int:
    """Set `matched_key` on unmatched check-ins that now match a roster worker; return how many.

    With `since` (an incremental run), only the check-ins that can match now and could not at
    the last run are tried: written since, or naming a worker written since. A province keeps
    tens of thousands of calls that match nobody; trying them all again every day cost seconds.
    """
    c, w = t.checkins, t.workers
    unmatched: ColumnElement[bool] = c.c.matched_key.is_(None)
    if since is not None:
        unmatched = and_(
            unmatched,
            or_(
                c.c.changed_at > since,
                c.c.worker_key.in_(select(w.c.key).where(w.c.changed_at > since)),
                c.c.person_key.in_(select(w.c.person_key).where(w.c.changed_at > since)),
            ),
        )
    matched = execute_counting(
        conn,
        update(c)
        .where(unmatched, exists().where(w.c.key == c.c.worker_key))
        .values(matched_key=c.c.worker_key),
    )
    # A single roster worker of that village and name: the phone was masked, missing or changed.
    # Where there is none or several, the row stays unmatched, and is not written again.
    only_candidate = (
        select(func.min(w.c.key))
        .where(w.c.person_key == c.c.person_key)
        .having(func.count() == 1)
        .scalar_subquery()
    )
    return matched + execute_counting(
        conn,
        update(c)
        .where(unmatched, c.c.person_key != "", only_candidate.is_not(None))
        .values(matched_key=only_candidate),
    )
