"""The reminders ledger: what a delivery claims, and how each result is settled.

A claim is exclusive: it runs under one lock in the store (`CLAIMS_LOCK`), takes only what no
live delivery holds, and admits each recipient up to `notify.daily_cap`, counting what was sent
today and what other live deliveries hold. A delivery renews its claims while it sends
(`Lease`); one silent for `notify.claim_lease_s` is taken over, as an interrupted run's.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, func, or_, select, update

from config.settings import NotifySettings
from lianxin.clock import local_zone, today_local, utc_now
from lianxin.errors import ChannelError
from lianxin.notify.digests import Digest
from lianxin.notify.escalation_digests import EscalationDigest
from lianxin.notify.problem_digests import ProblemDigest
from lianxin.store import schema as t
from lianxin.store.pacing import lock
from lianxin.store.upsert import upsert

AnyDigest = Digest | ProblemDigest | EscalationDigest

CLAIMS_LOCK = "ledger-claims"  # the pace_locks row that serialises claims (and the daily cap)
_CHUNK = 500  # ids per IN (...) list


@dataclass
class DeliveryStats:
    intended: int = 0
    sent: int = 0
    already_sent: int = 0
    failed: int = 0
    dry_run: int = 0
    deferred: int = 0  # quiet hours or a recipient's daily cap: sent on a later run
    resumed: int = 0  # claimed by an interrupted run: sent again, with the same key
    claimed_elsewhere: int = 0  # held by another live delivery, which sends them
    paced_wait_s: float = 0.0  # time senders waited for their route's pace
    by_stage: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Planned:
    key: str
    digest: AnyDigest
    route: str


@dataclass(frozen=True)
class Result:
    item: Planned
    detail: str | None  # what the channel said (e.g. the outbox file) when it was sent
    error: ChannelError | None


def ledger_outcomes(engine: Engine, keys: list[str]) -> dict[str, str]:
    r = t.reminders
    outcomes: dict[str, str] = {}
    with engine.connect() as conn:
        for start in range(0, len(keys), _CHUNK):
            query = select(r.c.idempotency_key, r.c.outcome).where(
                r.c.idempotency_key.in_(keys[start : start + _CHUNK])
            )
            outcomes.update((key, outcome) for key, outcome in conn.execute(query))
    return outcomes


def claim(
    conn: Connection,
    todo: list[Planned],
    notify: NotifySettings,
    now: datetime,
    owner: str,
    stats: DeliveryStats,
) -> list[Planned]:
    """Claim for `owner` what no live delivery holds, within each recipient's daily cap; return it.

    One transaction under the claims lock: every message is `sending` before the first goes
    out, and a delivery claiming at the same moment sees these claims when its turn comes.
    """
    lock(conn, CLAIMS_LOCK)
    r = t.reminders
    clock = utc_now()
    live_since = clock - timedelta(seconds=notify.claim_lease_s)
    held: dict[str, tuple[str, datetime | None]] = {}
    keys = [p.key for p in todo]
    for start in range(0, len(keys), _CHUNK):
        held.update(
            (row.idempotency_key, (row.outcome, row.claimed_at))
            for row in conn.execute(
                select(r.c.idempotency_key, r.c.outcome, r.c.claimed_at).where(
                    r.c.idempotency_key.in_(keys[start : start + _CHUNK])
                )
            )
        )
    free: list[Planned] = []
    for item in todo:
        outcome, claimed_at = held.get(item.key, (None, None))
        if outcome == "sent":  # by a delivery that settled after this one read the ledger
            stats.already_sent += 1
        elif outcome == "sending" and claimed_at is not None and _utc(claimed_at) > live_since:
            stats.claimed_elsewhere += 1
        else:  # new, failed before, or held by a delivery that stopped renewing its claim
            if outcome == "sending":
                stats.resumed += 1
            free.append(item)
    admitted = _within_daily_cap(conn, free, notify, now, live_since, stats)
    if not admitted:
        return admitted
    upsert(
        conn,
        r,
        [
            {
                "idempotency_key": p.key,
                "stage": str(p.digest.stage),
                "recipient": p.digest.cadre_key,
                "channel": p.route,
                "obligations": p.digest.obligation_ids,
                "as_of": p.digest.as_of,
                "created_at": now,
                "sent_at": None,
                "outcome": "sending",
                "detail": None,
                "claimed_by": owner,
                "claimed_at": clock,
            }
            for p in admitted
        ],
        keys=["idempotency_key"],
        update=("outcome", "as_of", "claimed_by", "claimed_at"),
    )
    claimed = [p.key for p in admitted]
    for start in range(0, len(claimed), _CHUNK):
        conn.execute(
            update(r)
            .where(r.c.idempotency_key.in_(claimed[start : start + _CHUNK]))
            .values(attempts=r.c.attempts + 1)
        )
    return admitted


def _within_daily_cap(
    conn: Connection,
    todo: list[Planned],
    notify: NotifySettings,
    now: datetime,
    live_since: datetime,
    stats: DeliveryStats,
) -> list[Planned]:
    # What each recipient got since Shanghai midnight, and what other live deliveries hold for
    # them, counts against the cap; then admit up to it.
    midnight = datetime.combine(today_local(now), dtime(0), local_zone()).astimezone(UTC)
    r = t.reminders
    counted: dict[str, int] = dict(
        conn.execute(
            select(r.c.recipient, func.count())
            .where(
                or_(
                    and_(r.c.outcome == "sent", r.c.sent_at >= midnight),
                    and_(r.c.outcome == "sending", r.c.claimed_at > live_since),
                )
            )
            .group_by(r.c.recipient)
        ).all()
    )
    admitted = []
    for item in todo:
        recipient = item.digest.cadre_key
        if counted.get(recipient, 0) >= notify.daily_cap:
            stats.deferred += 1
            continue
        counted[recipient] = counted.get(recipient, 0) + 1
        admitted.append(item)
    return admitted


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite hands back naive UTC


class Lease:
    """Renews a delivery's claims on its unsettled messages while it sends."""

    def __init__(self, owner: str, lease_s: float, keys: list[str]) -> None:
        self.owner, self.every_s = owner, lease_s / 4
        self.unsettled = set(keys)
        self.renewed = time.monotonic()

    def settled(self, keys: Iterable[str]) -> None:
        self.unsettled.difference_update(keys)

    def renew_if_due(self, engine: Engine) -> None:
        if time.monotonic() - self.renewed < self.every_s or not self.unsettled:
            return
        r, keys, clock = t.reminders, sorted(self.unsettled), utc_now()
        with engine.begin() as conn:
            for start in range(0, len(keys), _CHUNK):
                conn.execute(
                    update(r)
                    .where(
                        r.c.idempotency_key.in_(keys[start : start + _CHUNK]),
                        r.c.claimed_by == self.owner,
                        r.c.outcome == "sending",
                    )
                    .values(claimed_at=clock)
                )
        self.renewed = time.monotonic()


def settle(conn: Connection, batch: list[Result], now: datetime) -> None:
    # The ledger's outcome and the obligations' reminder count change in one transaction.
    r, o = t.reminders, t.obligations
    conn.execute(
        update(r)
        .where(r.c.idempotency_key == bindparam("k"))
        .values(outcome=bindparam("o"), detail=bindparam("d"), sent_at=bindparam("at")),
        [
            {
                "k": res.item.key,
                "o": "failed" if res.error else "sent",
                "d": str(res.error) if res.error else res.detail,
                "at": None if res.error else now,
            }
            for res in batch
        ],
    )
    # One message can list an obligation that another message of the batch lists too (a digest
    # on three routes): count each, grouped by how many times, so IN (...) adds them all.
    per_stage: dict[str, Counter[int]] = defaultdict(Counter)
    for res in batch:
        if res.error is None:
            per_stage[str(res.item.digest.stage)[:32]].update(res.item.digest.obligation_ids)
    increments: dict[tuple[str, int], list[int]] = defaultdict(list)
    for stage, counter in per_stage.items():
        for oid, n in counter.items():
            increments[(stage, n)].append(oid)
    for (stage, n), ids in increments.items():
        for start in range(0, len(ids), _CHUNK):
            conn.execute(
                update(o)
                .where(o.c.id.in_(ids[start : start + _CHUNK]))
                .values(
                    reminders_sent=o.c.reminders_sent + n,
                    last_reminded_at=now,
                    last_reminder=stage,
                )
            )
