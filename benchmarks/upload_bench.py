"""Measure how the dashboard answers others while hostile files are uploaded to it.

Run: .venv/bin/python benchmarks/upload_bench.py [--rounds 3] [--legit-rows 50000]

The dashboard runs in a process of its own (uvicorn on 127.0.0.1, as `lianxin dashboard`),
over a fresh SQLite store in a temporary folder with two accounts. One client gets the
overview again and again (after 50 ms each, a person clicking) while two others upload, each
`--rounds` times, the tester's files (tests/hostile_files.py): a 1.5 MB .xlsx whose sheet
unpacks to 1.5 GB, and a roster sheet of 100,000 rows. Then a legitimate roster of
`--legit-rows` rows (the default row limit) is uploaded alone and timed, as the limits must let
it through.

Figures, one JSON line each on stdout ({"name", "value", "unit", ...}):

- overview.quiet.p50 / .p95              the overview's latency with nobody uploading
- overview.under_upload.p50 / .p95 / .max  the same while the hostile files are uploaded
- upload.bomb.wall, upload.long_sheet.wall  each refusal's answer time, the worst round
- upload.legit.wall, upload.legit.status   the legitimate roster's preview
- server.peak_rss                        the server process's high-water mark (VmHWM)
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the hostile files the tests upload

import httpx  # noqa: E402
from hostile_files import long_csv, long_sheet, zip_bomb  # noqa: E402


def emit(name: str, value: float | int, unit: str, **context: object) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, **context}), flush=True)


def serve(folder: str, port: int) -> None:
    """Run the dashboard over `folder`'s store on 127.0.0.1:`port` (the server process)."""
    import uvicorn

    from config.settings import Settings
    from lianxin.dashboard.app import create_app
    from lianxin.dashboard.server import uvicorn_config

    settings = Settings(database_url=f"sqlite:///{folder}/lianxin.db", data_dir=Path(folder))
    uvicorn.Server(uvicorn_config(create_app(settings), "127.0.0.1", port)).run()


def seed(folder: str, password: str) -> None:
    from lianxin.dashboard.auth import create_user
    from lianxin.dashboard.scope import Role
    from lianxin.store.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{folder}/lianxin.db")
    migrate(engine)
    with engine.begin() as conn:
        create_user(conn, "bench-admin", password, Role.admin)
        create_user(conn, "bench-lead", password, Role.village_lead, village="青山村")
    engine.dispose()


def logged_in(url: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120)
    form = {"username": username, "password": password, "csrf_token": csrf(client, "/login")}
    assert client.post("/login", data=form).status_code in (200, 303)
    return client


def csrf(client: httpx.Client, path: str) -> str:
    text = client.get(path).text
    start = text.index('name="csrf_token" value="') + len('name="csrf_token" value="')
    return text[start : text.index('"', start)]


def upload(client: httpx.Client, name: str, content: bytes) -> tuple[int, float]:
    data = {"kind": "auto", "csrf_token": csrf(client, "/data")}
    started = time.perf_counter()
    answer = client.post("/data/import", data=data, files={"file": (name, content)})
    return answer.status_code, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def overview_times(client: httpx.Client, until: threading.Event | None, n: int = 40) -> list[float]:
    times: list[float] = []
    while (until is not None and not until.is_set()) or (until is None and len(times) < n):
        started = time.perf_counter()
        assert client.get("/").status_code == 200
        times.append(time.perf_counter() - started)
        time.sleep(0.05)
    return times


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--legit-rows", type=int, default=50_000)
    args = parser.parse_args()
    bomb, sheet = zip_bomb(), long_sheet()
    folder = tempfile.mkdtemp(prefix="upload-bench-")
    password = secrets.token_urlsafe(12)
    seed(folder, password)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", folder, str(port)], env=os.environ.copy()
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the dashboard did not start") from None
                time.sleep(0.2)
        watcher = logged_in(url, "bench-admin", password)
        uploaders = [logged_in(url, name, password) for name in ("bench-lead", "bench-admin")]
        quiet = overview_times(watcher, None)
        emit("overview.quiet.p50", round(statistics.median(quiet) * 1000, 1), "ms")
        emit("overview.quiet.p95", round(percentile(quiet, 0.95) * 1000, 1), "ms")

        walls: dict[str, list[float]] = {"bomb": [], "long_sheet": []}
        refused: set[int] = set()

        def hostile(client: httpx.Client, name: str, content: bytes, key: str) -> None:
            for _ in range(args.rounds):
                status, wall = upload(client, name, content)
                refused.add(status)
                walls[key].append(wall)

        done = threading.Event()
        busy: list[float] = []
        poll = threading.Thread(target=lambda: busy.extend(overview_times(watcher, done)))
        poll.start()
        threads = [
            threading.Thread(target=hostile, args=(uploaders[0], "bomb.xlsx", bomb, "bomb")),
            threading.Thread(
                target=hostile, args=(uploaders[1], "county.xlsx", sheet, "long_sheet")
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done.set()
        poll.join()
        emit("overview.under_upload.p50", round(statistics.median(busy) * 1000, 1), "ms")
        emit("overview.under_upload.p95", round(percentile(busy, 0.95) * 1000, 1), "ms")
        emit("overview.under_upload.max", round(max(busy) * 1000, 1), "ms", requests=len(busy))
        for key, values in walls.items():
            emit(f"upload.{key}.wall", round(max(values), 2), "s", statuses=sorted(refused))
        status, wall = upload(uploaders[0], "青山村就业服务一览表.csv", long_csv(args.legit_rows))
        emit("upload.legit.wall", round(wall, 2), "s", rows=args.legit_rows)
        emit("upload.legit.status", status, "http")
        emit("server.peak_rss", round(peak_rss_mb(server.pid), 1), "MB")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        main()
