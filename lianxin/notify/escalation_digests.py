"""Digests for the people late obligations escalate to: village lead, town, county bureau.

One digest per recipient per day while escalations last, listing the cadres with late
obligations and how many of each kind, never the workers' personal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from sqlalchemy import Connection, func, select

from config.settings import NotifySettings
from lianxin.clock import local_clock_text
from lianxin.records import OBLIGATION_KINDS, ObligationStatus
from lianxin.store import schema as t

ROLE_OF_LEVEL = {1: "village", 2: "town", 3: "county"}
_CHUNK = 500  # cadre keys per IN (...) list


@dataclass(frozen=True)
class CadreLate:
    cadre: str
    kind: str
    count: int
    worst_due: date
    linked: bool = False  # the cadre's latest digest carried a phone-page link
    read_at: str = ""  # when they last opened it (Asia/Shanghai), "" while unread (未读)


@dataclass
class EscalationDigest:
    key: str
    stage: str  # "escalated_to_village" | "…_town" | "…_county"
    as_of: date
    level: int
    place: str  # the village or town; "" for the county bureau
    cadre_key: str  # the recipient, as a role key: village:青山村, town:石桥镇, county
    cadre_name: str
    routes: list[str] = field(default_factory=list)
    rows: list[CadreLate] = field(default_factory=list)
    village: str | None = None
    town: str | None = None
    template: str = "escalation_digest"
    obligation_ids: list[int] = field(default_factory=list)

    @property
    def items(self) -> list[CadreLate]:
        return self.rows


def role_key(level: int, place: str | None) -> str:
    """Return the role a level escalates to, as a routing key: village:名, town:名 or county."""
    role = ROLE_OF_LEVEL[level]
    return role if role == "county" else f"{role}:{place or '?'}"


def build_escalation_digests(
    conn: Connection, as_of: date, notify: NotifySettings
) -> list[EscalationDigest]:
    """Return today's digest for each village lead, town and the county with escalations."""
    o, c = t.obligations, t.cadres
    rows = conn.execute(
        select(
            o.c.level,
            o.c.village,
            o.c.town,
            func.coalesce(c.c.name, o.c.owner).label("cadre"),
            o.c.owner,
            o.c.kind,
            func.count().label("n"),
            func.min(o.c.due).label("worst_due"),
        )
        .join(c, c.c.key == o.c.owner, isouter=True)
        .where(
            o.c.kind.in_(OBLIGATION_KINDS),
            o.c.status == ObligationStatus.escalated.value,
            o.c.level >= 1,
        )
        .group_by(o.c.level, o.c.village, o.c.town, "cadre", o.c.owner, o.c.kind)
        .order_by(o.c.level, o.c.village, o.c.town, "cadre", o.c.kind)
    ).all()
    receipts = _read_receipts(conn, sorted({r.owner for r in rows}))

    def recipient(r: object) -> tuple[int, str]:
        level = int(r.level)  # type: ignore[attr-defined]
        where = r.village if level == 1 else r.town  # type: ignore[attr-defined]
        return level, role_key(level, where)

    digests = []
    for (level, key), group in groupby(rows, key=recipient):
        members = list(group)
        where = key.split(":", 1)[1] if ":" in key else ""
        names = {1: f"{where}村委（村支书）", 2: f"{where}党委政府", 3: "县乡村振兴局"}
        digests.append(
            EscalationDigest(
                key=f"escalation/{as_of.isoformat()}/{key}",
                stage=f"escalated_to_{ROLE_OF_LEVEL[level]}",
                as_of=as_of,
                level=level,
                place=where,
                cadre_key=key,
                cadre_name=names[level],
                routes=list(notify.roles.get(key, [])),
                rows=[
                    CadreLate(r.cadre, r.kind, int(r.n), r.worst_due, *receipts.get(r.owner, ()))
                    for r in members
                ],
            )
        )
    return digests


def _read_receipts(conn: Connection, owners: list[str]) -> dict[str, tuple[bool, str]]:
    """Return (linked, read at) of each cadre's newest digest link: 已读 with the time of the
    last opening, or "" when it was never opened (未读)."""
    dl = t.digest_links
    found: dict[str, tuple[bool, str]] = {}
    for start in range(0, len(owners), _CHUNK):
        newest = (
            select(
                dl.c.cadre_key,
                dl.c.first_read_at,
                dl.c.last_read_at,
                func.row_number()
                .over(partition_by=dl.c.cadre_key, order_by=(dl.c.created_at.desc(), dl.c.id))
                .label("n"),
            )
            .where(dl.c.cadre_key.in_(owners[start : start + _CHUNK]))
            .subquery()
        )
        for key, first, last in conn.execute(
            select(newest.c.cadre_key, newest.c.first_read_at, newest.c.last_read_at).where(
                newest.c.n == 1
            )
        ):
            found[key] = (True, local_clock_text(last) if first else "")
    return found
