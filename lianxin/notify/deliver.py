"""Render digests, send them on each route, and keep the ledger.

Every intended message has an idempotency key: digest key (kind, period, stage, recipient) and
route. All of a run's messages are claimed in the ledger (outcome `sending`) in one transaction
before anything is sent; each result is settled as it comes back, in a transaction that marks
the ledger row `sent` (or `failed`) and counts the reminder on its obligations together.

What a kill at any point leaves behind, and what the next run does with it:
- before the claim: nothing; everything is sent.
- claimed, not sent: `sending`; sent by the first run after its lease. Nothing lost, nothing
  twice.
- sent, not settled: `sending`; sent again with the same key. This is the one window where a
  receiver can see a copy, and the same holds for a send that timed out but had arrived. The
  key travels with the message (in the body, and as a header where the channel has them) so
  that a receiver can drop the copy; the outbox overwrites its own file.
- settled: `sent`; never sent again.

Several workers may deliver at once (two Prefect workers, a rerun beside a late run): the claim
is exclusive. It runs under one lock in the store, takes only what no live delivery holds
(each renews its claims while it sends; a claim silent for `notify.claim_lease_s` is taken
over, as an interrupted run's), and admits each recipient up to `notify.daily_cap` counting
what was sent today and what other deliveries hold. Pacing is shared the same way
(`lianxin.notify.pacing`).

Sends run on `notify.concurrency` threads. A paced route (group bots) sends one message at a
time, in order, at its pace; messages on an unpaced route go side by side.
"""

from __future__ import annotations

import heapq
import logging
import queue
import time
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, func, or_, select, update

from config.settings import NotifySettings
from lianxin.clock import local_zone, today_local, utc_now
from lianxin.errors import ChannelError
from lianxin.notify.channels import OUTBOX_SCHEME, Channel, Message, make_channel
from lianxin.notify.compose import compose
from lianxin.notify.digests import Digest
from lianxin.notify.escalation_digests import EscalationDigest
from lianxin.notify.pacing import Pacer
from lianxin.notify.problem_digests import ProblemDigest
from lianxin.notify.render import Renderer
from lianxin.store import schema as t
from lianxin.store.pacing import lock
from lianxin.store.upsert import upsert

log = logging.getLogger(__name__)

AnyDigest = Digest | ProblemDigest | EscalationDigest

PROGRESS_EVERY_S = 10.0  # a long delivery says how far it got this often
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
class _Result:
    item: Planned
    detail: str | None  # what the channel said (e.g. the outbox file) when it was sent
    error: ChannelError | None


def routes_for(digest: AnyDigest, notify: NotifySettings) -> list[str]:
    """Return the routes of a digest's cadre: their own, then by name, village and town (a
    repeat: the routes its first copy went to)."""
    only = getattr(digest, "only_routes", ())
    if only:
        return list(only)
    routes = list(digest.routes)
    for name in (digest.cadre_name, digest.village, digest.town):
        if name:
            routes.extend(notify.routes.get(name, []))
    return list(dict.fromkeys(routes)) or list(notify.default_routes)


def deliver(
    engine: Engine,
    digests: Sequence[AnyDigest],
    notify: NotifySettings,
    now: datetime,
    dry_run: bool = False,
    channel_factory: Callable[[str, Path], Channel] = make_channel,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryStats:
    """Send every digest on each of its routes unless the ledger says it was sent already."""
    stats = DeliveryStats()
    planned = [
        Planned(f"{digest.key}@{route}", digest, route)
        for digest in digests
        for route in routes_for(digest, notify)
    ]
    stats.intended = len(planned)
    outcomes = _ledger_outcomes(engine, [p.key for p in planned])
    todo = [p for p in planned if outcomes.get(p.key) != "sent"]
    stats.already_sent = len(planned) - len(todo)
    if dry_run:
        stats.dry_run = len(todo)
        return stats
    if in_quiet_hours(now, notify):
        # Deferred, not lost: nothing is claimed, so the first run after 07:00 sends them all.
        # The outbox wakes nobody, so it is written at any hour.
        waiting = [p for p in todo if not p.route.startswith(OUTBOX_SCHEME)]
        todo = [p for p in todo if p.route.startswith(OUTBOX_SCHEME)]
        stats.deferred = len(waiting)
    if not todo:
        return stats
    owner = str(uuid.uuid4())
    with engine.begin() as conn:
        todo = _claim(conn, todo, notify, now, owner, stats)
    if not todo:
        return stats
    if stats.resumed:
        log.info(
            "%d messages were claimed by an interrupted run; sending them again with their keys",
            stats.resumed,
        )
    channels = _open_channels({p.route for p in todo}, notify, channel_factory)
    pacer = Pacer(engine, notify.pacing, sleep)
    sender = _Sender(Renderer(notify.language, notify.max_listed), notify, now, pacer, sleep)
    lease = _Lease(owner, notify.claim_lease_s, [p.key for p in todo])
    _Dispatcher(engine, todo, channels, sender, pacer, lease, notify.concurrency, now, stats).run()
    stats.paced_wait_s = round(stats.paced_wait_s + pacer.waited_s, 3)
    return stats


class _Sender:
    """Composes and sends one message, with retries (each one within the route's pace)."""

    def __init__(
        self,
        renderer: Renderer,
        notify: NotifySettings,
        now: datetime,
        pacer: Pacer,
        sleep: Callable[[float], None],
    ) -> None:
        self.renderer, self.notify, self.now = renderer, notify, now
        self.pacer, self.sleep = pacer, sleep

    def send(self, item: Planned, channel: Channel | ChannelError) -> _Result:
        try:
            if isinstance(channel, ChannelError):
                raise channel
            message = compose(
                self.renderer, item.digest, item.route, item.key, self.now, self.notify
            )
            return _Result(item, self._with_retries(channel, item.route, message), None)
        except ChannelError as exc:
            return _Result(item, None, exc)

    def _with_retries(self, channel: Channel, route: str, message: Message) -> str:
        # A permanent error (bad URL, missing secret) is not retried; a refused or lost send is,
        # with the wait doubling each time. What still fails is retried on the next run.
        wait = self.notify.retry_backoff_s
        for attempt in range(self.notify.retries + 1):
            if attempt:
                self.pacer.wait(route)  # the first try was admitted by the dispatcher
            try:
                return channel.send(message)
            except ChannelError as exc:
                if exc.permanent or attempt == self.notify.retries:
                    raise
                log.info("Retrying %s in %.1f s: %s", channel.label, wait, exc.reason)
                self.sleep(wait)
                wait *= 2
        raise AssertionError("unreachable")


class _Dispatcher:
    """Hands messages to the sending threads as their routes allow; settles what comes back.

    Routes take turns. A paced route has at most one message in flight, so it keeps its order,
    and when its pace says wait, it steps aside until then while other routes go on: waiting
    never holds a thread. At most `concurrency` messages are in flight.
    """

    def __init__(
        self,
        engine: Engine,
        todo: list[Planned],
        channels: dict[str, Channel | ChannelError],
        sender: _Sender,
        pacer: Pacer,
        lease: _Lease,
        concurrency: int,
        now: datetime,
        stats: DeliveryStats,
    ) -> None:
        self.engine, self.channels, self.sender, self.pacer = engine, channels, sender, pacer
        self.lease = lease
        self.concurrency, self.now, self.stats = concurrency, now, stats
        self.total = len(todo)
        self.queues: dict[str, deque[Planned]] = defaultdict(deque)
        for item in todo:
            self.queues[item.route].append(item)
        self.ready: deque[str] = deque(self.queues)  # routes whose turn may come
        self.later: list[tuple[float, str]] = []  # (monotonic time, route) held for pace
        self.results: queue.Queue[_Result] = queue.Queue()
        self.in_flight = 0

    def run(self) -> None:
        settled, last_report = 0, time.monotonic()
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            while settled < self.total:
                self._dispatch(pool)
                batch = self._drain(self._next_wake())
                self.lease.renew_if_due(self.engine)
                if not batch:
                    continue
                with self.engine.begin() as conn:
                    _settle(conn, batch, self.now)
                self.lease.settled(res.item.key for res in batch)
                for result in batch:
                    self._done(result)
                    _count(self.stats, result)
                settled += len(batch)
                if time.monotonic() - last_report >= PROGRESS_EVERY_S:
                    log.info(
                        "Delivered %d of %d messages (%d failed so far)",
                        settled,
                        self.total,
                        self.stats.failed,
                    )
                    last_report = time.monotonic()

    def _dispatch(self, pool: ThreadPoolExecutor) -> None:
        clock = time.monotonic()
        while self.later and self.later[0][0] <= clock:
            self.ready.append(heapq.heappop(self.later)[1])
        while self.ready and self.in_flight < self.concurrency:
            route = self.ready.popleft()
            wait = self.pacer.take(route)
            if wait > 0:
                heapq.heappush(self.later, (clock + wait, route))
                self.stats.paced_wait_s += wait
                continue
            item = self.queues[route].popleft()
            future = pool.submit(self.sender.send, item, self.channels[route])
            future.add_done_callback(self._collect(item))
            self.in_flight += 1
            if self.queues[route] and not self.pacer.paced(route):
                self.ready.append(route)  # an unpaced route may have several in flight

    def _collect(self, item: Planned) -> Callable[[Future[_Result]], None]:
        def put(future: Future[_Result]) -> None:
            error = future.exception()
            if error is None:
                self.results.put(future.result())
            else:  # a bug, not a channel's refusal: settle it as failed, retried next run
                reason = f"{type(error).__name__}: {error}"
                self.results.put(_Result(item, None, ChannelError(item.route, reason)))

        return put

    def _done(self, result: _Result) -> None:
        self.in_flight -= 1
        route = result.item.route
        if self.pacer.paced(route) and self.queues[route]:
            self.ready.append(route)  # its next message may go (the pace decides when)

    def _next_wake(self) -> float:
        if self.ready and self.in_flight < self.concurrency:
            return 0.0
        if self.later:
            return min(0.2, max(0.0, self.later[0][0] - time.monotonic()))
        return 0.2

    def _drain(self, timeout: float) -> list[_Result]:
        # Wait up to `timeout` for one result, then take whatever else is ready.
        try:
            batch = [self.results.get(timeout=timeout) if timeout else self.results.get_nowait()]
        except queue.Empty:
            return []
        while True:
            try:
                batch.append(self.results.get_nowait())
            except queue.Empty:
                return batch


def _open_channels(
    routes: Iterable[str], notify: NotifySettings, factory: Callable[[str, Path], Channel]
) -> dict[str, Channel | ChannelError]:
    channels: dict[str, Channel | ChannelError] = {}
    for route in sorted(routes):
        try:
            channels[route] = factory(route, notify.outbox_dir)
        except ChannelError as exc:
            channels[route] = exc  # every message on it fails with this reason, the rest go
    return channels


def _count(stats: DeliveryStats, result: _Result) -> None:
    if result.error is not None:
        stats.failed += 1
        stats.errors.append(str(result.error))
        log.warning("Reminder %s not delivered: %s", result.item.key, result.error.reason)
        return
    stats.sent += 1
    stage = str(result.item.digest.stage)
    stats.by_stage[stage] = stats.by_stage.get(stage, 0) + 1
    if result.item.route.startswith(OUTBOX_SCHEME) and result.detail:
        stats.files.append(result.detail)


def _ledger_outcomes(engine: Engine, keys: list[str]) -> dict[str, str]:
    r = t.reminders
    outcomes: dict[str, str] = {}
    with engine.connect() as conn:
        for start in range(0, len(keys), _CHUNK):
            query = select(r.c.idempotency_key, r.c.outcome).where(
                r.c.idempotency_key.in_(keys[start : start + _CHUNK])
            )
            outcomes.update((key, outcome) for key, outcome in conn.execute(query))
    return outcomes


def in_quiet_hours(now: datetime, notify: NotifySettings) -> bool:
    """Return True if `now` falls in the quiet hours, read on the Asia/Shanghai clock.

    A window that crosses midnight (22:00–07:00) is the default.
    """
    clock = now.astimezone(local_zone()).time()
    start, end = notify.quiet_start, notify.quiet_end
    if start == end:
        return False
    return start <= clock or clock < end if start > end else start <= clock < end


def _claim(
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


class _Lease:
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


def _settle(conn: Connection, batch: list[_Result], now: datetime) -> None:
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
