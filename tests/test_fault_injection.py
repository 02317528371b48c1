"""Kill the remind flow with SIGKILL at random points while the receivers fail or hang at random.

Each run is `lianxin run remind` in its own process against a real Prefect server, a SQLite
store, an HTTP webhook and an SMTP server on 127.0.0.1. Some runs are killed early (before or
while claiming), some right after the k-th message reached a receiver (between a send and its
settlement), some are left alone. The webhook answers 500 or hangs past the client's timeout
now and then; the SMTP server says "451 try later" now and then. At the end, faults off, runs
go on until the ledger has nothing left, and then:

- every intended message has been received at least once;
- a message received twice carries the same idempotency key and the same words (the receiver
  can drop the copy); only the webhook, whose timed-out sends may have arrived, and a kill
  between a send and its settlement can cause one;
- the ledger says `sent` for every key, and each obligation's reminder count equals the
  number of sent ledger rows that list it (they were written in one transaction).

The figures (runs, kills, intended, received, duplicates) are printed as a JSON line.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from datetime import time as dt_time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from runs import start_remind
from sqlalchemy import func, select

from config.settings import NotifySettings, RulesSettings
from lianxin.cli.prefect_server import free_port, local_prefect_server
from lianxin.notify.deliver import routes_for
from lianxin.notify.digests import build_checkin_digests
from lianxin.notify.escalation_digests import build_escalation_digests
from lianxin.notify.problem_digests import build_problem_digests
from lianxin.rules.evaluate import evaluate
from lianxin.store import schema as t
from lianxin.store.db import make_engine, migrate
from lianxin.synth import generate
from sinks import Received, faulty_webhook

PHASES = [date(2026, 11, 2), date(2026, 11, 8), date(2026, 11, 14)]
FAULTY_RUNS_PER_DAY = int(os.environ.get("LIANXIN_FAULT_RUNS_PER_DAY", "5"))
SEED = int(os.environ.get("LIANXIN_FAULT_SEED", "20261108"))


def _smtp(received: Received) -> tuple[Any, str]:
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            if received.draw() == "fail":
                return "451 4.3.0 try again later"
            mail = message_from_bytes(envelope.content, policy=policy.default)
            body = mail.get_body(("plain", "html")).get_content()  # type: ignore[union-attr]
            received.add("mailto", str(mail["Subject"]), body)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, (
        f"mailto://127.0.0.1:{port}?mode=insecure&from=lianxin@example.org&to=cadres@example.org"
    )


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_prefect_server(tmp_path_factory.mktemp("prefect")) as api:
        yield api


def _kill(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _wait_for(condition: Any, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition() and process.poll() is None:
        assert time.monotonic() < deadline, f"the remind run never got to {what}"
        time.sleep(0.003)


def test_killed_and_refused_runs_lose_nothing_and_copies_carry_their_key(
    tmp_path: Path, prefect_api: str
) -> None:
    store = tmp_path / "store.db"
    engine = make_engine(f"sqlite:///{store}")
    migrate(engine)
    generate(engine, "village", progress=False)

    received = Received(rng=random.Random(SEED))
    http, json_route = faulty_webhook(received)
    smtp, mail_route = _smtp(received)
    # Two webhook routes and one mailbox per digest: more messages in flight per run.
    routes = [json_route, json_route.replace("/hook?", "/group?"), mail_route]
    notify = NotifySettings(default_routes=routes)
    config = tmp_path / "lianxin.toml"
    config.write_text(
        f'database_url = "sqlite:///{store}"\n'
        f'data_dir = "{tmp_path}"\n'
        "[notify]\n"
        f'outbox_dir = "{tmp_path}/outbox"\n'
        f"default_routes = {json.dumps(routes)}\n"
        "retries = 1\nretry_backoff_s = 0.2\nconcurrency = 4\ndaily_cap = 1000\n"
        "claim_lease_s = 1\n"  # a killed run's claims are free by the time the next one runs
        'quiet_start = "00:00:00"\nquiet_end = "00:00:00"\n',  # whatever hour CI runs at
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANXIN_")}
    env.update(LIANXIN_CONFIG=str(config), PREFECT_API_URL=prefect_api)

    def claimed() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.coalesce(func.sum(t.reminders.c.attempts), 0))
                ).scalar_one()
            )

    rng = random.Random(SEED)
    intended: set[str] = set()
    runs = kills = 0
    plans = Counter[str]()
    try:
        # Three days of the month, each with its own reminders: opening, days left, overdue.
        for day in PHASES:
            evaluate(engine, day, RulesSettings(), datetime.combine(day, dt_time(1), UTC))
            with engine.connect() as conn:
                digests = [
                    *build_checkin_digests(conn, day, RulesSettings()),
                    *build_problem_digests(conn, day, RulesSettings()),
                    *build_escalation_digests(conn, day, notify),
                ]
            today = {f"{d.key}@{route}" for d in digests for route in routes_for(d, notify)}
            assert len(today) >= 30
            intended |= today
            received.fail_rate, received.hang_rate = 0.2, 0.08
            for _ in range(FAULTY_RUNS_PER_DAY):
                plan = rng.choice(["early", "after_claim", "after_k", "after_k", "none"])
                plans[plan] += 1
                runs += 1
                before, claims = received.total(), claimed()
                process = start_remind(env, day)
                if plan == "early":  # anywhere from start-up to the first sends
                    time.sleep(rng.uniform(0.5, 4.0))
                elif plan == "after_claim":  # claimed in the ledger, nothing sent yet
                    _wait_for(lambda c=claims: claimed() > c, process, "claim")
                elif plan == "after_k":  # between a send and its settlement, or just after
                    k = rng.randint(1, 10)
                    _wait_for(
                        lambda b=before, k=k: received.total() - b >= k, process, f"{k} sends"
                    )
                    time.sleep(rng.uniform(0, 0.05))
                if plan != "none" and process.poll() is None:
                    _kill(process)
                    kills += 1
                else:
                    _, err = process.communicate(timeout=120)
                    assert process.returncode == 0, err.decode()[-2000:]
            received.fail_rate = received.hang_rate = 0.0
            for _ in range(3):  # faults off: what is left goes out, then nothing more
                runs += 1
                out, err = start_remind(env, day).communicate(timeout=120)
                stats = json.loads(out)
                assert stats["failed"] == 0, stats["errors"]
                assert "Traceback" not in err.decode(), err.decode()[-2000:]
                if stats["sent"] == 0:
                    break
            assert stats["sent"] == 0 and stats["already_sent"] == len(today), stats
    finally:
        http.shutdown()
        smtp.stop()

    copies = received.copies
    figures = {
        "name": "remind.fault_injection",
        "runs": runs,
        "kills": kills,
        "plans": dict(plans),
        "intended": len(intended),
        "received_distinct": len(copies),
        "received_total": received.total(),
        "duplicates": sum(len(c) - 1 for c in copies.values()),
        "duplicates_by_channel": dict(Counter(ch for c in copies.values() for ch, _, _ in c[1:])),
    }
    print(json.dumps(figures, ensure_ascii=False))

    assert kills >= runs // 4, figures  # the faults really happened
    assert set(copies) == intended, figures  # nothing lost, nothing unintended
    for key, same in copies.items():
        assert len({(title, body) for _, title, body in same}) == 1, key  # a copy is a copy
    with engine.connect() as conn:
        ledger = conn.execute(
            select(t.reminders.c.idempotency_key, t.reminders.c.outcome, t.reminders.c.obligations)
        ).all()
        counted = dict(
            conn.execute(select(t.obligations.c.id, t.obligations.c.reminders_sent)).all()
        )
    assert {row.idempotency_key for row in ledger} == intended
    assert {row.outcome for row in ledger} == {"sent"}
    expected = Counter(oid for row in ledger for oid in row.obligations)
    assert {oid: n for oid, n in counted.items() if n} == dict(expected)
