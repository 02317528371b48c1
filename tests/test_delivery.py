"""Delivery mechanics: pace per route, sends side by side, ledger and obligations together."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from config.settings import NotifySettings, RulesSettings
from lianxin.notify.channels import Message, make_channel
from lianxin.notify.deliver import deliver
from lianxin.notify.digests import Digest, build_checkin_digests
from lianxin.rules.checkin import Stage
from lianxin.rules.evaluate import evaluate
from lianxin.store import schema as t
from lianxin.store.upsert import upsert
from lianxin.store.writes import save_results
from personas import checkins, roster

NOW = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)
AS_OF = date(2026, 11, 8)


class Recorder:
    """A channel that notes when each message arrived and how many were in flight at once."""

    def __init__(self, delay: float = 0.0) -> None:
        self.label = "rec://"
        self.delay = delay
        self.arrivals: list[tuple[float, str]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()

    def send(self, message: Message) -> str:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.arrivals.append((time.monotonic(), message.key))
        time.sleep(self.delay)
        with self._lock:
            self.in_flight -= 1
        return "ok"


def _many(n: int, route: str) -> list[Digest]:
    return [
        Digest(
            key=f"checkin/2026-11/days_left/镇|干部{i:03d}",
            stage=Stage.days_left,
            period="2026-11",
            due=date(2026, 11, 10),
            as_of=AS_OF,
            cadre_key=f"镇|干部{i:03d}",
            cadre_name=f"干部{i:03d}",
            village="青山村",
            town="石桥镇",
            routes=[route],
        )
        for i in range(n)
    ]


def test_a_group_bot_route_is_held_to_its_pace(engine: Engine, tmp_path: Path) -> None:
    recorder = Recorder()
    notify = NotifySettings(outbox_dir=tmp_path, pacing={"rec": "5/second"}, concurrency=8)
    started = time.monotonic()
    stats = deliver(
        engine, _many(12, "rec://bot-a"), notify, NOW, channel_factory=lambda r, o: recorder
    )
    arrivals = [at - started for at, _ in recorder.arrivals]
    assert stats.sent == 12
    # Never a sixth send within one second of the five before it: each message waits for the
    # one five places earlier to leave the window. Admission is stamped by the database's
    # clock and arrival here a moment later, so a little slack is allowed for the hand-over;
    # how fast the first five go depends on the machine's load and is not asserted.
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[5:], strict=False)]
    assert min(gaps) >= 0.85, gaps
    assert arrivals[-1] >= 1.85  # twelve at five a second span at least two windows
    # One bot's lane sends in order, one message at a time.
    assert [key for _, key in recorder.arrivals] == sorted(key for _, key in recorder.arrivals)
    assert recorder.most_in_flight == 1 and stats.paced_wait_s > 1.5


def test_unpaced_routes_send_side_by_side_up_to_the_concurrency(
    engine: Engine, tmp_path: Path
) -> None:
    recorder = Recorder(delay=0.2)
    notify = NotifySettings(outbox_dir=tmp_path, pacing={}, concurrency=4)
    stats = deliver(
        engine, _many(12, "rec://gateway"), notify, NOW, channel_factory=lambda r, o: recorder
    )
    # Four sends were under way at once, never more: side by side, up to the concurrency.
    assert stats.sent == 12 and recorder.most_in_flight == 4


def test_a_paced_bot_does_not_hold_up_other_routes(engine: Engine, tmp_path: Path) -> None:
    paced, free = Recorder(), Recorder()
    notify = NotifySettings(outbox_dir=tmp_path, pacing={"slow": "2/second"}, concurrency=4)
    digests = _many(6, "slow://bot") + [
        Digest(**{**d.__dict__, "key": d.key + "/free", "cadre_key": d.cadre_key + "/free"})
        for d in _many(6, "fast://hook")
    ]
    started = time.monotonic()
    deliver(
        engine,
        digests,
        notify,
        NOW,
        channel_factory=lambda route, o: paced if route.startswith("slow") else free,
    )
    # The free route was done before the paced bot's third window opened: it did not queue
    # behind the bot, however slow the machine is.
    paced_at = sorted(at for at, _ in paced.arrivals)
    assert max(at for at, _ in free.arrivals) < paced_at[4]
    assert paced_at[-1] - started >= 1.9


def test_a_sent_reminder_is_counted_on_its_obligations_with_the_ledger(
    engine: Engine, tmp_path: Path
) -> None:
    save_results(engine, [roster(), checkins("2026-11", {"张伟": date(2026, 11, 3)})], NOW)
    evaluate(engine, AS_OF, RulesSettings(), NOW)
    with engine.connect() as conn:
        digests = build_checkin_digests(conn, AS_OF, RulesSettings())
    ids = {i for d in digests for i in d.obligation_ids}
    # Each digest on two routes, settled in one batch: each obligation is counted twice.
    notify = NotifySettings(outbox_dir=tmp_path, default_routes=["outbox://", "rec://x"])
    recorder = Recorder()
    channels = {"rec://x": recorder}
    factory = lambda route, outbox: channels.get(route) or make_channel(route, outbox)  # noqa: E731
    deliver(engine, digests, notify, NOW, channel_factory=factory)
    deliver(engine, digests, notify, NOW, channel_factory=factory)  # nothing new to send
    o = t.obligations
    with engine.connect() as conn:
        rows = conn.execute(
            select(o.c.id, o.c.reminders_sent, o.c.last_reminder, o.c.last_reminded_at)
        ).all()
        ledger = conn.execute(select(t.reminders.c.outcome, t.reminders.c.attempts)).all()
    reminded = {r.id: r for r in rows if r.reminders_sent}
    assert set(reminded) == ids
    assert {(r.reminders_sent, r.last_reminder) for r in reminded.values()} == {(2, "days_left")}
    assert all(r.last_reminded_at is not None for r in reminded.values())
    assert sorted(ledger) == [("sent", 1)] * len(digests) * 2 and len(recorder.arrivals) == 2


def test_a_message_an_interrupted_run_claimed_is_sent_on_the_next(
    engine: Engine, tmp_path: Path
) -> None:
    # What a kill between the claim and the send leaves: a `sending` row, nothing received.
    recorder = Recorder()
    digests = _many(3, "rec://hook")
    with engine.begin() as conn:
        upsert(
            conn,
            t.reminders,
            [
                {
                    "idempotency_key": f"{d.key}@rec://hook",
                    "stage": "days_left",
                    "recipient": d.cadre_key,
                    "channel": "rec://hook",
                    "obligations": [],
                    "as_of": AS_OF,
                    "created_at": NOW,
                    "outcome": "sending",
                    "attempts": 1,
                }
                for d in digests[:2]
            ],
            keys=["idempotency_key"],
        )
    notify = NotifySettings(outbox_dir=tmp_path)
    stats = deliver(engine, digests, notify, NOW, channel_factory=lambda r, o: recorder)
    assert (stats.sent, stats.resumed) == (3, 2)
    with engine.connect() as conn:
        attempts = dict(conn.execute(select(t.reminders.c.recipient, t.reminders.c.attempts)).all())
        sending = conn.execute(
            select(func.count()).where(t.reminders.c.outcome != "sent")
        ).scalar_one()
    assert attempts == {"镇|干部000": 2, "镇|干部001": 2, "镇|干部002": 1} and sending == 0
