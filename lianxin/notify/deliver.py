"""Render digests, send them on each route, and keep the ledger.

A message is claimed in the ledger (outcome `sending`) before it is sent and marked `sent` or
`failed` after. A key already `sent` is never sent again; a `failed` or interrupted one is
tried again on the next run, and the outbox overwrites its own file, so no copy appears.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, update

from config.settings import NotifySettings
from lianxin.clock import SHANGHAI, today_shanghai
from lianxin.errors import ChannelError
from lianxin.notify.channels import OUTBOX_SCHEME, Channel, Message, make_channel
from lianxin.notify.compose import compose
from lianxin.notify.digests import Digest
from lianxin.notify.escalation_digests import EscalationDigest
from lianxin.notify.problem_digests import ProblemDigest
from lianxin.notify.render import Renderer
from lianxin.store import schema as t
from lianxin.store.upsert import upsert

log = logging.getLogger(__name__)

AnyDigest = Digest | ProblemDigest | EscalationDigest


@dataclass
class DeliveryStats:
    intended: int = 0
    sent: int = 0
    already_sent: int = 0
    failed: int = 0
    dry_run: int = 0
    deferred: int = 0  # quiet hours or a recipient's daily cap: sent on a later run
    by_stage: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
    renderer = Renderer(notify.language, notify.max_listed)
    planned = [
        (f"{digest.key}@{route}", digest, route)
        for digest in digests
        for route in routes_for(digest, notify)
    ]
    stats.intended = len(planned)
    with engine.begin() as conn:
        done = set(
            conn.execute(
                select(t.reminders.c.idempotency_key).where(
                    t.reminders.c.idempotency_key.in_([k for k, _, _ in planned]),
                    t.reminders.c.outcome == "sent",
                )
            ).scalars()
        )
    todo = [p for p in planned if p[0] not in done]
    stats.already_sent = len(planned) - len(todo)
    if dry_run:
        stats.dry_run = len(todo)
        return stats
    if in_quiet_hours(now, notify):
        # Deferred, not lost: nothing is claimed, so the first run after 07:00 sends them all.
        # The outbox wakes nobody, so it is written at any hour.
        waiting = [p for p in todo if not p[2].startswith(OUTBOX_SCHEME)]
        todo = [p for p in todo if p[2].startswith(OUTBOX_SCHEME)]
        stats.deferred = len(waiting)
    todo, capped = _within_daily_cap(engine, todo, notify, now)
    stats.deferred += capped
    channels: dict[str, Channel | ChannelError] = {}
    for key, digest, route in todo:
        channel = channels.get(route)
        if channel is None:
            try:
                channel = channel_factory(route, notify.outbox_dir)
            except ChannelError as exc:
                channel = exc
            channels[route] = channel
        label = channel.channel if isinstance(channel, ChannelError) else channel.label
        _claim(engine, key, digest, label, now)
        message = compose(renderer, digest, route, key, now, notify)
        try:
            if isinstance(channel, ChannelError):
                raise channel
            detail = _send_with_retries(channel, message, notify, sleep)
        except ChannelError as exc:
            stats.failed += 1
            stats.errors.append(str(exc))
            log.warning("Reminder %s not delivered: %s", key, exc.reason)
            _settle(engine, key, "failed", str(exc), None)
            continue
        _settle(engine, key, "sent", detail, now)
        stats.sent += 1
        stage = str(digest.stage)
        stats.by_stage[stage] = stats.by_stage.get(stage, 0) + 1
        if label.startswith("outbox://"):
            stats.files.append(detail)
    return stats


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
    engine: Engine, todo: list[Any], notify: NotifySettings, now: datetime
) -> tuple[list[Any], int]:
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
        recipient = item[1].cadre_key
        if sent_today.get(recipient, 0) >= notify.daily_cap:
            deferred += 1
            continue
        sent_today[recipient] = sent_today.get(recipient, 0) + 1
        admitted.append(item)
    return admitted, deferred


def _send_with_retries(
    channel: Channel, message: Message, notify: NotifySettings, sleep: Callable[[float], None]
) -> str:
    # A permanent error (bad URL, missing secret) is not retried; a refused or lost send is,
    # with the wait doubling each time. What still fails is retried on the next run.
    wait = notify.retry_backoff_s
    for attempt in range(notify.retries + 1):
        try:
            return channel.send(message)
        except ChannelError as exc:
            if exc.permanent or attempt == notify.retries:
                raise
            log.info("Retrying %s in %.1f s: %s", channel.label, wait, exc.reason)
            sleep(wait)
            wait *= 2
    raise AssertionError("unreachable")


def _claim(engine: Engine, key: str, digest: AnyDigest, channel: str, now: datetime) -> None:
    with engine.begin() as conn:
        upsert(
            conn,
            t.reminders,
            [
                {
                    "idempotency_key": key,
                    "stage": str(digest.stage),
                    "recipient": digest.cadre_key,
                    "channel": channel,
                    "obligations": digest.obligation_ids,
                    "as_of": digest.as_of,
                    "created_at": now,
                    "sent_at": None,
                    "outcome": "sending",
                    "detail": None,
                }
            ],
            keys=["idempotency_key"],
            update=("outcome", "as_of"),
        )


def _settle(
    engine: Engine, key: str, outcome: str, detail: str | None, sent_at: datetime | None
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(t.reminders)
            .where(t.reminders.c.idempotency_key == key)
            .values(outcome=outcome, detail=detail, sent_at=sent_at)
        )
