"""Render digests, send them on each route, and keep the ledger.

Every intended message has an idempotency key: digest key (kind, period, stage, recipient) and
route. All of a run's messages are claimed in the ledger (outcome `sending`) in one transaction
before anything is sent; each result is settled as it comes back, in a transaction that marks
the ledger row `sent` (or `failed`) and counts the reminder on its obligations together.

What a kill at any point leaves behind, and what the next run does with it:
- before the claim: nothing; everything is sent.
- claimed, not sent: `sending`; sent on the next run. Nothing lost, nothing twice.
- sent, not settled: `sending`; sent again with the same key. This is the one window where a
  receiver can see a copy, and the same holds for a send that timed out but had arrived. The
  key travels with the message (in the body, and as a header where the channel has them) so
  that a receiver can drop the copy; the outbox overwrites its own file.
- settled: `sent`; never sent again.

Sends run on `notify.concurrency` threads. A paced route (group bots) is one lane that sends in
order at its pace; messages on an unpaced route each go their own way.
"""

from __future__ import annotations

import logging
import queue
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, update

from config.settings import NotifySettings
from lianxin.clock import SHANGHAI, today_shanghai
from lianxin.errors import ChannelError
from lianxin.notify.channels import OUTBOX_SCHEME, Channel, Message, make_channel
from lianxin.notify.compose import compose
from lianxin.notify.digests import Digest
from lianxin.notify.escalation_digests import EscalationDigest
from lianxin.notify.pacing import Pacer
from lianxin.notify.problem_digests import ProblemDigest
from lianxin.notify.render import Renderer
from lianxin.store import schema as t
from lianxin.store.upsert import upsert

log = logging.getLogger(__name__)

AnyDigest = Digest | ProblemDigest | EscalationDigest

PROGRESS_EVERY_S = 10.0  # a long delivery says how far it got this often
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
    """Return the routes of a digest's cadre: their own, then by name, village and town."""
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
    stats.resumed = sum(1 for p in todo if outcomes.get(p.key) == "sending")
    if dry_run:
        stats.dry_run = len(todo)
        return stats
    if in_quiet_hours(now, notify):
        # Deferred, not lost: nothing is claimed, so the first run after 07:00 sends them all.
        # The outbox wakes nobody, so it is written at any hour.
        waiting = [p for p in todo if not p.route.startswith(OUTBOX_SCHEME)]
        todo = [p for p in todo if p.route.startswith(OUTBOX_SCHEME)]
        stats.deferred = len(waiting)
    todo, capped = _within_daily_cap(engine, todo, notify, now)
    stats.deferred += capped
    if not todo:
        return stats
    if stats.resumed:
        log.info(
            "%d messages were claimed by an interrupted run; sending them again with their keys",
            stats.resumed,
        )
    with engine.begin() as conn:
        _claim(conn, todo, now)
    channels = _open_channels({p.route for p in todo}, notify, channel_factory)
    pacer = Pacer(notify.pacing, sleep)
    sender = _Sender(Renderer(notify.language, notify.max_listed), notify, now, pacer, sleep)
    results: queue.Queue[_Result] = queue.Queue()
    lanes = _lanes(todo, pacer)
    with ThreadPoolExecutor(max_workers=min(notify.concurrency, len(lanes))) as pool:
        futures = [pool.submit(sender.run_lane, lane, channels, results) for lane in lanes]
        _settle_as_they_come(engine, results, futures, len(todo), stats, now)
    for future in futures:
        future.result()  # a bug in a lane surfaces here; its keys stay `sending` for next run
    stats.paced_wait_s = round(pacer.waited_s, 3)
    return stats


class _Sender:
    """Composes and sends the messages of one lane, with retries and the route's pace."""

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

    def run_lane(
        self,
        lane: list[Planned],
        channels: dict[str, Channel | ChannelError],
        results: queue.Queue[_Result],
    ) -> None:
        for item in lane:
            channel = channels[item.route]
            try:
                if isinstance(channel, ChannelError):
                    raise channel
                message = compose(
                    self.renderer, item.digest, item.route, item.key, self.now, self.notify
                )
                detail = self._send_with_retries(channel, item.route, message)
            except ChannelError as exc:
                results.put(_Result(item, None, exc))
                continue
            results.put(_Result(item, detail, None))

    def _send_with_retries(self, channel: Channel, route: str, message: Message) -> str:
        # A permanent error (bad URL, missing secret) is not retried; a refused or lost send is,
        # with the wait doubling each time. What still fails is retried on the next run.
        wait = self.notify.retry_backoff_s
        for attempt in range(self.notify.retries + 1):
            self.pacer.wait(route)
            try:
                return channel.send(message)
            except ChannelError as exc:
                if exc.permanent or attempt == self.notify.retries:
                    raise
                log.info("Retrying %s in %.1f s: %s", channel.label, wait, exc.reason)
                self.sleep(wait)
                wait *= 2
        raise AssertionError("unreachable")


def _lanes(todo: list[Planned], pacer: Pacer) -> list[list[Planned]]:
    # A paced route sends in order from one lane; an unpaced one lets every message go alone.
    by_route: dict[str, list[Planned]] = defaultdict(list)
    lanes: list[list[Planned]] = []
    for item in todo:
        if pacer.paced(item.route):
            by_route[item.route].append(item)
        else:
            lanes.append([item])
    # Paced lanes first: they take longest, so they should start at once.
    return [*by_route.values(), *lanes]


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


def _settle_as_they_come(
    engine: Engine,
    results: queue.Queue[_Result],
    futures: list[Future[None]],
    total: int,
    stats: DeliveryStats,
    now: datetime,
) -> None:
    settled, last_report = 0, time.monotonic()
    while settled < total:
        batch = _drain(results)
        if not batch:
            if all(f.done() for f in futures) and results.empty():
                return  # a lane died of a bug; what it claimed stays `sending`
            continue
        with engine.begin() as conn:
            _settle(conn, batch, now)
        for result in batch:
            _count(stats, result)
        settled += len(batch)
        if time.monotonic() - last_report >= PROGRESS_EVERY_S:
            log.info("Delivered %d of %d messages (%d failed so far)", settled, total, stats.failed)
            last_report = time.monotonic()


def _drain(results: queue.Queue[_Result]) -> list[_Result]:
    # Wait briefly for one result, then take whatever else is ready: one transaction each.
    try:
        batch = [results.get(timeout=0.2)]
    except queue.Empty:
        return []
    while True:
        try:
            batch.append(results.get_nowait())
        except queue.Empty:
            return batch


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
    clock = now.astimezone(SHANGHAI).time()
    start, end = notify.quiet_start, notify.quiet_end
    if start == end:
        return False
    return start <= clock or clock < end if start > end else start <= clock < end


def _within_daily_cap(
    engine: Engine, todo: list[Planned], notify: NotifySettings, now: datetime
) -> tuple[list[Planned], int]:
    # Count what each recipient got since Shanghai midnight, then admit up to the cap.
    midnight = datetime.combine(today_shanghai(now), dtime(0), SHANGHAI).astimezone(UTC)
    r = t.reminders
    with engine.connect() as conn:
        sent_today: dict[str, int] = dict(
            conn.execute(
                select(r.c.recipient, func.count())
                .where(r.c.outcome == "sent", r.c.sent_at >= midnight)
                .group_by(r.c.recipient)
            ).all()
        )
    admitted, deferred = [], 0
    for item in todo:
        recipient = item.digest.cadre_key
        if sent_today.get(recipient, 0) >= notify.daily_cap:
            deferred += 1
            continue
        sent_today[recipient] = sent_today.get(recipient, 0) + 1
        admitted.append(item)
    return admitted, deferred


def _claim(conn: Connection, todo: list[Planned], now: datetime) -> None:
    # One transaction for the whole run: every message is `sending` before the first goes out.
    upsert(
        conn,
        t.reminders,
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
            }
            for p in todo
        ],
        keys=["idempotency_key"],
        update=("outcome", "as_of"),
    )
    r = t.reminders
    keys = [p.key for p in todo]
    for start in range(0, len(keys), _CHUNK):
        conn.execute(
            update(r)
            .where(r.c.idempotency_key.in_(keys[start : start + _CHUNK]))
            .values(attempts=r.c.attempts + 1)
        )


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
    by_stage: dict[str, list[int]] = defaultdict(list)
    for res in batch:
        if res.error is None:
            by_stage[str(res.item.digest.stage)].extend(res.item.digest.obligation_ids)
    for stage, ids in by_stage.items():
        for start in range(0, len(ids), _CHUNK):
            conn.execute(
                update(o)
                .where(o.c.id.in_(ids[start : start + _CHUNK]))
                .values(
                    reminders_sent=o.c.reminders_sent + 1,
                    last_reminded_at=now,
                    last_reminder=stage[:32],
                )
            )
