"""Digest links (the one-tap phone page): check a token, mark it read, save a call, revoke.

A token is checked in this order, and refused at the first failure, before anything is read
or written: its signature (altered → 403), its row (unknown → 403), revoked (403), expired
(410). A call saved through a link must be about one of the link's own obligations (else 403)
and still open (else 409); it is recorded by the same `record_call` as the CLI and the
dashboard, as `link:<id>`, so that worker's reminders stop and escalations are withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, func, select, update

from config.settings import RulesSettings
from lianxin.errors import LinkRefused
from lianxin.records import ObligationStatus, WorkStatus
from lianxin.services.calls import RecordedCall, record_call
from lianxin.signing import link_id_of
from lianxin.store import schema as t

LIVE = (
    ObligationStatus.open.value,
    ObligationStatus.overdue.value,
    ObligationStatus.escalated.value,
)


@dataclass(frozen=True)
class OpenLink:
    id: str
    cadre_key: str
    cadre_name: str
    period: str
    obligations: tuple[int, ...]
    expires_at: datetime

    @property
    def actor(self) -> str:
        """Return who saves through this link, as the audit log and the call's source say."""
        return f"link:{self.id} ({self.cadre_name})"


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes for values stored as UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def check_link(engine: Engine, key: str, token: str, now: datetime) -> OpenLink:
    """Return the link `token` opens; raise LinkRefused (altered, unknown, revoked, expired)."""
    link_id = link_id_of(key, token)
    if link_id is None:
        raise LinkRefused("altered")
    dl, c = t.digest_links, t.cadres
    with engine.connect() as conn:
        row = conn.execute(
            select(dl, c.c.name.label("cadre_name"))
            .join(c, c.c.key == dl.c.cadre_key, isouter=True)
            .where(dl.c.id == link_id)
        ).first()
    if row is None:
        raise LinkRefused("unknown", link_id)
    if row.revoked_at is not None:
        raise LinkRefused("revoked", link_id)
    if _aware(row.expires_at) <= now:
        raise LinkRefused("expired", link_id)
    return OpenLink(
        id=row.id,
        cadre_key=row.cadre_key,
        cadre_name=row.cadre_name or row.cadre_key.split("|")[-1],
        period=row.period,
        obligations=tuple(int(i) for i in row.obligations),
        expires_at=_aware(row.expires_at),
    )


def mark_read(engine: Engine, link_id: str, now: datetime) -> None:
    """Record an opening of the link: the first one is when its digest was read (已读)."""
    dl = t.digest_links
    with engine.begin() as conn:
        conn.execute(
            update(dl)
            .where(dl.c.id == link_id)
            .values(
                first_read_at=func.coalesce(dl.c.first_read_at, now),
                last_read_at=now,
                reads=dl.c.reads + 1,
            )
        )


@dataclass(frozen=True)
class LinkCall:
    reached: bool
    status: WorkStatus | None = None
    income_yuan: int | None = None
    demands: str | None = None
    note: str | None = None


def save_call(
    engine: Engine,
    link: OpenLink,
    obligation_id: int,
    call: LinkCall,
    call_date: date,
    rules: RulesSettings,
    now: datetime,
) -> RecordedCall:
    """Record the call owed by `obligation_id` through `link`; raise LinkRefused when the
    obligation is not the link's (scope) or no longer open (closed). Nothing is stored then."""
    if obligation_id not in link.obligations:
        raise LinkRefused("scope", link.id)
    o = t.obligations
    with engine.connect() as conn:
        row = conn.execute(
            select(o.c.subject, o.c.owner, o.c.status).where(o.c.id == obligation_id)
        ).first()
    if row is None or row.owner != link.cadre_key:
        raise LinkRefused("scope", link.id)
    if row.status not in LIVE:
        raise LinkRefused("closed", link.id)
    return record_call(
        engine,
        row.subject,
        call_date,
        call.reached,
        rules,
        now,
        income_yuan=call.income_yuan,
        status=call.status,
        note=call.note,
        demands=call.demands,
        by=f"link:{link.id}",
    )


def revoke(
    engine: Engine, now: datetime, *, link_id: str | None = None, cadre_key: str | None = None
) -> int:
    """Revoke one link, or every live link of a cadre; return how many were revoked."""
    if (link_id is None) == (cadre_key is None):
        raise LinkRefused("usage")  # one of the two, never both or neither
    dl = t.digest_links
    which = dl.c.id == link_id if link_id is not None else dl.c.cadre_key == cadre_key
    with engine.begin() as conn:
        result = conn.execute(
            update(dl).where(which, dl.c.revoked_at.is_(None)).values(revoked_at=now)
        )
    return int(result.rowcount or 0)


def list_links(
    engine: Engine, cadre_key: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Return the newest links (never their tokens), a cadre's only when `cadre_key` is given."""
    dl = t.digest_links
    query = select(
        dl.c.id,
        dl.c.cadre_key,
        dl.c.digest_key,
        dl.c.created_at,
        dl.c.expires_at,
        dl.c.revoked_at,
        dl.c.first_read_at,
        dl.c.last_read_at,
        dl.c.reads,
        func.json_array_length(dl.c.obligations).label("workers")
        if engine.dialect.name == "sqlite"
        else func.jsonb_array_length(dl.c.obligations).label("workers"),
    )
    if cadre_key is not None:
        query = query.where(dl.c.cadre_key == cadre_key)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(dl.c.created_at.desc(), dl.c.id).limit(limit))
        return [dict(r._mapping) for r in rows]
