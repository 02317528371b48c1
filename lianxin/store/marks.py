"""Hand marks on problems (已整改 / 已销号 set by a person), kept when a list is written again.

Published lists carry a status but never the rectified / verified dates, so a row with either
date was marked by hand. `hand_marks` reads them before a changed page is written again and
`restore_marks` puts them back after, unless the page now shows the same or a later status.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, or_, select, update

from lianxin.records import ProblemStatus
from lianxin.store import schema as t

P = t.problems
# The order a problem moves through: open → rectifying (整改中) → rectified → verified.
ORDER = {s.value: i for i, s in enumerate(ProblemStatus)}


def hand_marks(conn: Connection, urls: Sequence[str]) -> list[dict[str, Any]]:
    """Return the hand marks (status and dates) of the problems the pages at `urls` produced."""
    rows = conn.execute(
        select(P.c.key, P.c.status, P.c.rectified_on, P.c.verified_on).where(
            P.c.source_url.in_(list(urls)),
            or_(P.c.rectified_on.is_not(None), P.c.verified_on.is_not(None)),
        )
    )
    return [dict(r._mapping) for r in rows]


def restore_marks(conn: Connection, marks: Sequence[dict[str, Any]]) -> int:
    """Put `marks` back on the problems just written from their pages again; return how many.

    The dates always come back; the status only where the page now shows an earlier one. A
    problem the page no longer lists stays gone.
    """
    restored = 0
    for mark in marks:
        published = conn.execute(select(P.c.status).where(P.c.key == mark["key"])).scalar()
        if published is None:
            continue
        status = mark["status"] if ORDER[mark["status"]] > ORDER[published] else published
        conn.execute(
            update(P)
            .where(P.c.key == mark["key"])
            .values(
                status=status, rectified_on=mark["rectified_on"], verified_on=mark["verified_on"]
            )
        )
        restored += 1
    return restored
