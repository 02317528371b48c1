"""Cadres' check-in workload for a month, a page at a time, from `cadre_compliance`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from lianxin.dashboard.queries.common import CHECKIN, STATUSES, with_rate
from lianxin.dashboard.scope import Role, Viewer, Where, place_filter
from lianxin.store import schema as t


def cadres(
    conn: Connection,
    period: str,
    where: Where | None = None,
    limit: int = 200,
    offset: int = 0,
    **kw: str | None,
) -> list[dict[str, Any]]:
    """Return a page of cadres' check-in workload for `period`, most late calls first.

    Each row: cadre_key, name, village, town (from `cadres`), workers (on the roster under
    them), due, done, open, overdue, escalated, waived, late, reminders (sent about these
    calls), rate, and the read receipt of the month's digests: links (how many were sent),
    newest_read_at (when the newest was first opened: None is 未读) and last_read_at. The
    counts come from `cadre_compliance`, kept by the flows (one row per cadre and village, so
    a cadre's villages are added up); only the page's rows are joined to `cadres` and have
    their workers, reminders and links counted.
    """
    cc, c, w, o = t.cadre_compliance, t.cadres, t.workers, t.obligations
    scope = (where or place_filter(**kw))(cc)
    counts = [func.sum(cc.c[s]).label(s) for s in STATUSES]
    late = func.sum(cc.c.overdue + cc.c.escalated).label("late")
    owners = (
        select(cc.c.owner.label("cadre_key"), func.sum(cc.c.due).label("due"), *counts, late)
        .where(cc.c.period == period, scope)
        .group_by(cc.c.owner)
        .order_by(late.desc(), cc.c.owner)
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    # A person who moved to another roster stays on file under the old entry (its history), but
    # is no longer this cadre's to call: the old entry does not count.
    moved_away = select(t.worker_moves.c.id).where(t.worker_moves.c.from_key == w.c.key)
    assigned = (
        select(func.count())
        .where(w.c.cadre_key == owners.c.cadre_key, ~moved_away.exists())
        .scalar_subquery()
    )
    dl = t.digest_links
    their_links = (dl.c.cadre_key == owners.c.cadre_key) & (dl.c.period == period)
    # 已读 / 未读: whether the newest digest link of the month was opened, and the last opening.
    newest_read = (
        select(dl.c.first_read_at)
        .where(their_links)
        .order_by(dl.c.created_at.desc(), dl.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    links = select(func.count()).where(their_links).scalar_subquery()
    last_read = select(func.max(dl.c.last_read_at)).where(their_links).scalar_subquery()
    reminders = (
        select(func.coalesce(func.sum(o.c.reminders_sent), 0))
        .where(o.c.owner == owners.c.cadre_key, o.c.kind == CHECKIN, o.c.period == period)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(
            owners,
            reminders.label("reminders"),
            func.coalesce(c.c.name, owners.c.cadre_key).label("name"),
            c.c.village,
            c.c.town,
            assigned.label("workers"),
            links.label("links"),
            newest_read.label("newest_read_at"),
            last_read.label("last_read_at"),
        )
        .join(c, c.c.key == owners.c.cadre_key, isouter=True)
        .order_by(owners.c.late.desc(), owners.c.cadre_key)
    ).all()
    return [with_rate(r) for r in rows]


def cadre_count(conn: Connection, period: str, where: Where | None = None) -> int:
    """Return how many rows `cadres` has for `period` within `where`: its last page's number."""
    cc = t.cadre_compliance
    owners = select(cc.c.owner).where(cc.c.period == period, (where or place_filter())(cc))
    counted = select(func.count()).select_from(owners.group_by(cc.c.owner).subquery())
    return int(conn.execute(counted).scalar_one())


def cadre_place(conn: Connection, key: str) -> tuple[str | None, str | None]:
    """Return the (village, town) a cadre serves in, as the roster names them."""
    c = t.cadres
    row = conn.execute(select(c.c.village, c.c.town).where(c.c.key == key)).first()
    return (row[0], row[1]) if row else (None, None)


def handover_in_place(
    conn: Connection, viewer: Viewer, keys: list[str], village: str | None
) -> bool:
    """Return whether a handover between the cadres `keys` lies within `viewer`'s place: a
    village lead's within their village, a town lead's between cadres of their town."""
    if viewer.role in (Role.county, Role.admin):
        return True
    places = [cadre_place(conn, key) for key in keys]
    if viewer.role == Role.town_lead:
        return all(town == viewer.town for _, town in places)
    return village == viewer.village and all(v == viewer.village for v, _ in places)
