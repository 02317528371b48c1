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

import json
import os
import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from datetime import time as dt_time
from pathlib import Path

import pytest
from runs import start_remind
from sqlalchemy import Engine, func, select
from test_delivery import NOW, Recorder, _many

from config.settings import NotifySettings, RulesSettings
from lianxin.cli.prefect_server import local_prefect_server
from lianxin.notify.deliver import DeliveryStats, deliver, routes_for
from lianxin.notify.digests import Digest, build_checkin_digests
from lianxin.notify.escalation_digests import build_escalation_digests
from lianxin.notify.problem_digests import build_problem_digests
from lianxin.rules.evaluate import evaluate
from lianxin.store import pacing as store_pacing
from lianxin.store import schema as t
from lianxin.store.db import make_engine
from lianxin.store.pacing import StoreWindow, route_name
from lianxin.synth import generate
from pg import PgServer
from sinks import Received, faulty_webhook

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


def test_a_routes_past_is_pruned_now_and_then(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_pacing, "PRUNE_EVERY", 5)
    window, bot = StoreWindow(engine, 100, 0.05), route_name("feishu://token")
    for _ in range(4):
        window.take(bot)
    time.sleep(0.1)  # the four are past the window now
    assert window.take(bot) == 0.0  # the fifth row of the table: the route's past goes
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.pace_admissions)).scalar_one() == 1


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


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_prefect_server(tmp_path_factory.mktemp("prefect")) as api:
        yield api


def _two_workers(env: dict[str, str], day: date) -> list[dict[str, object]]:
    """Run two remind processes at once; return what each delivered, checking they ran clean."""
    processes = [start_remind(env, day) for _ in range(2)]
    stats = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()[-2000:]
        assert "Traceback" not in err.decode() and " ERROR " not in err.decode(), err.decode()
        stats.append(json.loads(out))
    return stats


def _unsent(engine: Engine, keys: set[str]) -> int:
    r = t.reminders
    with engine.connect() as conn:
        sent = conn.execute(
            select(func.count()).where(r.c.outcome == "sent", r.c.idempotency_key.in_(keys))
        ).scalar_one()
    return len(keys) - int(sent)


def test_two_workers_on_postgresql_keep_one_bots_pace_and_send_every_message_once(
    postgres: PgServer, prefect_api: str, tmp_path: Path
) -> None:
    name = f"pacing_{os.getpid()}"
    postgres.admin(f"CREATE DATABASE {name} TEMPLATE lianxin_template")
    store_url = postgres.url(name)
    engine = make_engine(store_url)
    generate(engine, "village", progress=False)

    received = Received(rng=random.Random(20261203))
    http, route = faulty_webhook(received)
    notify = NotifySettings(default_routes=[route])
    config = tmp_path / "lianxin.toml"
    config.write_text(
        f'database_url = "{store_url}"\n'
        f'data_dir = "{tmp_path}"\n'
        "[notify]\n"
        f'outbox_dir = "{tmp_path}/outbox"\n'
        f"default_routes = {json.dumps([route])}\n"
        "retries = 1\nretry_backoff_s = 0.2\nconcurrency = 4\ndaily_cap = 1000\n"
        'quiet_start = "00:00:00"\nquiet_end = "00:00:00"\n'
        "[notify.pacing]\n"
        f'json = "{PACE}/{WINDOW_S:g} seconds"\n',  # the sink is json://: paced like a bot
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANXIN_")}
    env.update(LIANXIN_CONFIG=str(config), PREFECT_API_URL=prefect_api)

    figures: dict[str, object] = {"name": "remind.shared_pacing", "pace": f"{PACE}/{WINDOW_S:g}s"}
    intended: set[str] = set()
    started = time.monotonic()
    try:
        for day, faults in zip(DAYS, ("clean", "faults"), strict=True):
            evaluate(engine, day, RulesSettings(), datetime.combine(day, dt_time(1), UTC))
            with engine.connect() as conn:
                digests = [
                    *build_checkin_digests(conn, day, RulesSettings()),
                    *build_problem_digests(conn, day, RulesSettings()),
                    *build_escalation_digests(conn, day, notify),
                ]
            today = {f"{d.key}@{r}" for d in digests for r in routes_for(d, notify)}
            assert len(today) >= 3 * PACE  # several windows' worth
            intended |= today
            before, hangs = received.total(), received.hangs
            received.fail_rate, received.hang_rate = (0.2, 0.08) if faults == "faults" else (0, 0)
            rounds = 0
            while _unsent(engine, today):  # two workers at once, until the day's are all sent
                rounds += 1
                assert rounds <= 4, f"{_unsent(engine, today)} of the day's messages never went out"
                _two_workers(env, day)
                received.fail_rate = received.hang_rate = 0.0  # faults in the first round only
            got = {k: len(c) for k, c in received.copies.items() if k in today}
            figures[faults] = {
                "intended": len(today),
                "received_distinct": len(got),
                "received_total": received.total() - before,
                "copies_same_key": sum(n - 1 for n in got.values()),
                "hangs": received.hangs - hangs,
                "rounds": rounds,
            }
    finally:
        http.shutdown()
    figures["most_in_any_window"] = _most_in_any_window(received.arrivals, WINDOW_S)
    figures["requests"] = len(received.arrivals)
    figures["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(figures, ensure_ascii=False))

    assert figures["most_in_any_window"] <= PACE, figures  # on the receiver's own clock
    assert set(received.copies) == intended, figures  # every message arrived
    clean, faulty = figures["clean"], figures["faults"]
    assert isinstance(clean, dict) and isinstance(faulty, dict)
    assert clean["copies_same_key"] == 0, figures  # two workers, one copy of each
    # With faults, a copy can only come from a send that timed out after it had arrived.
    assert faulty["copies_same_key"] <= faulty["hangs"], figures
    with engine.connect() as conn:
        outcomes = dict(
            conn.execute(
                select(t.reminders.c.outcome, func.count()).group_by(t.reminders.c.outcome)
            ).all()
        )
    assert outcomes == {"sent": len(intended)}
    engine.dispose()
    postgres.admin(f"DROP DATABASE {name}")
