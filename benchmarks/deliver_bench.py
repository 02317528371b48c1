"""Deliver 10,000 reminders to a webhook on 127.0.0.1 and show what limits the pace.

Two questions, each answered by figures on stdout (JSON lines):

1. How fast does Lianxin itself deliver when nothing holds it back? 10,000 messages to one
   unpaced json:// route, at concurrency 1 and at the configured concurrency, through the
   whole path: render, Apprise, HTTP, ledger claim and settlement with the obligations.
2. With group bots paced (as DingTalk and WeCom require), is the wall time the pace's, not
   Lianxin's? N bots each get more messages than one window allows; the lower bound is then
   set by the pace alone, and the figure is how far above it the run ends.

The receiver runs in its own process (so that it does not share this one's interpreter lock)
and answers after `--latency` seconds, like a real webhook across a network.

    .venv/bin/python benchmarks/deliver_bench.py
    .venv/bin/python benchmarks/deliver_bench.py --messages 10000 --concurrency 8 --latency 0.02
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from limits import parse as parse_rate  # noqa: E402

from config.settings import NotifySettings  # noqa: E402
from lianxin.notify.deliver import deliver  # noqa: E402
from lianxin.notify.digests import Digest, DigestItem  # noqa: E402
from lianxin.rules.checkin import Stage  # noqa: E402
from lianxin.store.db import make_engine, migrate  # noqa: E402

NOW = datetime(2026, 11, 8, 2, 0, tzinfo=UTC)
AS_OF = date(2026, 11, 8)


def emit(name: str, value: float | int, unit: str, **extra: Any) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, **extra}), flush=True)


def serve(port_out: Any, latency: float) -> None:
    """The receiver: answer every POST with 200 after `latency`; GET /count says how many."""
    count = 0

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            nonlocal count
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(latency)
            count += 1
            self._answer(b"ok")

        def do_GET(self) -> None:  # noqa: N802
            self._answer(str(count).encode())

        def _answer(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_out.put(server.server_address[1])
    server.serve_forever()


def digests(n: int, routes: list[str], items: int = 5) -> list[Digest]:
    """`n` check-in digests, spread over `routes` in turn, each listing `items` workers."""
    return [
        Digest(
            key=f"checkin/2026-11/days_left/bench|干部{i:06d}",
            stage=Stage.days_left,
            period="2026-11",
            due=date(2026, 11, 10),
            as_of=AS_OF,
            cadre_key=f"bench|干部{i:06d}",
            cadre_name=f"干部{i:06d}",
            village="青山村",
            town="石桥镇",
            routes=[routes[i % len(routes)]],
            items=[
                DigestItem(
                    obligation_id=i * items + j,
                    worker_name=f"务工{j}",
                    phone=f"138{i:04d}{j:04d}"[:11],
                    village="青山村",
                    due=date(2026, 11, 10),
                    days_left=2,
                )
                for j in range(items)
            ],
        )
        for i in range(n)
    ]


def run(
    folder: Path, name: str, batch: list[Digest], notify: NotifySettings
) -> tuple[float, dict[str, Any]]:
    engine = make_engine(f"sqlite:///{folder}/{name}.db")
    migrate(engine)
    started = time.perf_counter()
    stats = deliver(engine, batch, notify, NOW)
    wall = time.perf_counter() - started
    engine.dispose()
    if stats.sent != len(batch):
        raise SystemExit(f"{name}: {stats.sent} of {len(batch)} sent: {stats.errors[:3]}")
    return wall, stats.as_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.02, help="the receiver's, in seconds")
    parser.add_argument("--bots", type=int, default=50, help="paced group bots")
    parser.add_argument("--per-bot", type=int, default=20, help="messages per paced bot")
    parser.add_argument("--pace", default="5/10 seconds", help="per bot, `limits` notation")
    parser.add_argument(
        "--serial-sample", type=int, default=1000, help="messages for the concurrency-1 run"
    )
    args = parser.parse_args()

    ports: Any = multiprocessing.Queue()
    receiver = multiprocessing.Process(target=serve, args=(ports, args.latency), daemon=True)
    receiver.start()
    port = ports.get(timeout=30)
    url = f"json://127.0.0.1:{port}/hook"
    base = NotifySettings(pacing={}, daily_cap=10**6, quiet_start="00:00", quiet_end="00:00")
    try:
        with tempfile.TemporaryDirectory(prefix="lianxin-deliver-") as tmp:
            folder = Path(tmp)
            wall, _ = run(
                folder,
                "serial",
                digests(args.serial_sample, [url]),
                base.model_copy(update={"concurrency": 1}),
            )
            emit("deliver.unpaced.c1.msgs_per_s", round(args.serial_sample / wall, 1), "msg/s")

            wall, stats = run(
                folder,
                "unpaced",
                digests(args.messages, [url]),
                base.model_copy(update={"concurrency": args.concurrency}),
            )
            emit("deliver.unpaced.wall", round(wall, 2), "s", messages=args.messages)
            emit(
                "deliver.unpaced.msgs_per_s",
                round(args.messages / wall, 1),
                "msg/s",
                concurrency=args.concurrency,
            )
            emit(
                "deliver.unpaced.receiver_bound_msgs_per_s",
                round(args.concurrency / args.latency, 1) if args.latency else 0,
                "msg/s",
                note="concurrency / receiver latency: the most any sender could do",
            )

            rate = parse_rate(args.pace)
            window, amount = rate.get_expiry(), rate.amount
            bots = [f"json://127.0.0.1:{port}/bot/{b}" for b in range(args.bots)]
            paced = digests(args.bots * args.per_bot, bots)
            # Each bot's last message can leave only after (windows - 1) full windows.
            bound = (math.ceil(args.per_bot / amount) - 1) * window
            wall, stats = run(
                folder,
                "paced",
                paced,
                base.model_copy(
                    update={"concurrency": args.concurrency, "pacing": {"json": args.pace}}
                ),
            )
            emit("deliver.paced.wall", round(wall, 2), "s", messages=len(paced), bots=args.bots)
            emit("deliver.paced.bound", bound, "s", pace=args.pace, per_bot=args.per_bot)
            emit("deliver.paced.over_bound", round(wall - bound, 2), "s")
            emit("deliver.paced.wait_scheduled", round(stats["paced_wait_s"], 1), "s")
    finally:
        receiver.terminate()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    emit("deliver.peak_rss", round(peak, 1), "MB")


if __name__ == "__main__":
    main()
