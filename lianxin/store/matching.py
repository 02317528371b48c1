"""Match published check-ins to roster workers, as one SQL statement pair over the whole table.

Matching is tolerant: the exact key (village, name, phone tail) first; then village and name alone
when exactly one roster worker has them (tables without a phone column, a masked or changed phone).
"""

from __future__ import annotations

from sqlalchemy import Connection, exists, func, select, update

from lianxin.store import schema as t


def match_checkins(conn: Connection) -> int:
    """Set `matched_key` on unmatched check-ins that now match a roster worker; return how many."""
    c, w = t.checkins, t.workers

    def unmatched() -> int:
        query = select(func.count()).select_from(c).where(c.c.matched_key.is_(None))
        return int(conn.execute(query).scalar_one())

    before = unmatched()
    if not before:
        return 0
    conn.execute(
        update(c)
        .where(c.c.matched_key.is_(None), exists().where(w.c.key == c.c.worker_key))
        .values(matched_key=c.c.worker_key)
    )
    # A single roster worker of that village and name: the phone was masked, missing or changed.
    # Where there is none or several, the subquery yields NULL and the row stays unmatched.
    only_candidate = (
        select(func.min(w.c.key))
        .where(w.c.person_key == c.c.person_key)
        .having(func.count() == 1)
        .scalar_subquery()
    )
    conn.execute(
        update(c)
        .where(c.c.matched_key.is_(None), c.c.person_key != "")
        .values(matched_key=only_candidate)
    )
    return before - unmatched()
