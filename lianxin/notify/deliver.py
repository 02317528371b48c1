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
is exclusive and counts the daily cap across them (`lianxin.notify.ledger`), and each route's
pace is kept in the store (`lianxin.notify.pacing`).

Sends run on `notify.concurrency` threads. A paced route (group bots) sends one message at a
time, in order, at its pace; messages on an unpaced route go side by side.
"""

from __future__ import annotations

import heapq
import logging
import queue
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from config.settings import NotifySettings
from lianxin.clock import local_zone
from lianxin.errors import ChannelError
from lianxin.notify.channels import OUTBOX_SCHEME, Channel, Message, make_channel
from lianxin.notify.compose import compose
from lianxin.notify.ledger import (
    AnyDigest,
    DeliveryStats,
    Lease,
    Planned,
    Result,
    claim,
    ledger_outcomes,
    settle,
)
from lianxin.notify.pacing import Pacer
from lianxin.notify.render import Renderer

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 10.0  # a long delivery says how far it got this often
_CHUNK = 500  # ids per IN (...) list


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
    outcomes = ledger_outcomes(engine, [p.key for p in planned])
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
        todo = claim(conn, todo, notify, now, owner, stats)
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
    lease = Lease(owner, notify.claim_lease_s, [p.key for p in todo])
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

    def send(self, item: Planned, channel: Channel | ChannelError) -> Result:
        try:
            if isinstance(channel, ChannelError):
                raise channel
            message = compose(
                self.renderer, item.digest, item.route, item.key, self.now, self.notify
            )
            return Result(item, self._with_retries(channel, item.route, message), None)
        except ChannelError as exc:
            return Result(item, None, exc)

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
        lease: Lease,
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
        self.results: queue.Queue[Result] = queue.Queue()
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
                    settle(conn, batch, self.now)
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

    def _collect(self, item: Planned) -> Callable[[Future[Result]], None]:
        def put(future: Future[Result]) -> None:
            error = future.exception()
            if error is None:
                self.results.put(future.result())
            else:  # a bug, not a channel's refusal: settle it as failed, retried next run
                reason = f"{type(error).__name__}: {error}"
                self.results.put(Result(item, None, ChannelError(item.route, reason)))

        return put

    def _done(self, result: Result) -> None:
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

    def _drain(self, timeout: float) -> list[Result]:
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


def _count(stats: DeliveryStats, result: Result) -> None:
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


def in_quiet_hours(now: datetime, notify: NotifySettings) -> bool:
    """Return True if `now` falls in the quiet hours, read on the Asia/Shanghai clock.

    A window that crosses midnight (22:00–07:00) is the default.
    """
    clock = now.astimezone(local_zone()).time()
    start, end = notify.quiet_start, notify.quiet_end
    if start == end:
        return False
    return start <= clock or clock < end if start > end else start <= clock < end
