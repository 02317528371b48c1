"""A properly started and stopped local Prefect server for the CLI and the demo.

Prefect's ephemeral in-process server prints CancelledError tracebacks when the process exits;
a real `prefect server start` in a child process, stopped with SIGTERM, exits cleanly. When
PREFECT_API_URL is already set (an operator's server), that server is used instead; so is the
lasting server of `lianxin serve` for the same home while it runs, rather than a second server
opened on the same SQLite file.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from prefect.settings import PREFECT_API_URL, temporary_settings

from lianxin.errors import LianxinError


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(
    home: Path, port: int, ui: bool = False, database_url: str | None = None
) -> dict[str, str]:
    """Return the environment for a local server whose database lives under `home`.

    `database_url` puts the server's database elsewhere, e.g. on PostgreSQL:
    postgresql+asyncpg://user@host:5432/prefect (the server needs the pg_trgm extension).
    """
    env = dict(os.environ)
    if database_url:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_ENABLED="true" if ui else "false",
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(port),
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    env.pop("PREFECT_API_URL", None)
    return env


@contextmanager
def local_prefect_server(
    home: Path,
    startup_timeout: float = 90.0,
    ui: bool = False,
    port: int | None = None,
    share: bool = False,
    database_url: str | None = None,
) -> Iterator[str]:
    """Run `prefect server start` on loopback until the block ends; yield its API URL.

    `port` defaults to a free one; `ui` serves the Prefect UI at the API's address without
    `/api`; `share` lets other commands with the same home use this server while it runs.
    The server's own output goes to `home/server.log`, so a healthy run stays quiet. Its
    database is SQLite under `home`, or the one `database_url` names (see `server_env`).
    """
    existing = os.environ.get("PREFECT_API_URL") or shared_server(home)
    if existing:
        with _pointed_at(existing):
            yield existing
        return
    home.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    api = f"http://127.0.0.1:{port}/api"
    log = (home / "server.log").open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=server_env(home, port, ui=ui, database_url=database_url),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C in the terminal is ours to handle, not the server's
    )
    address = home / ADDRESS_FILE
    try:
        _wait_healthy(api, process, startup_timeout, home / "server.log")
        if share:
            address.write_text(api, encoding="utf-8")
        with _pointed_at(api):
            yield api
    finally:
        if share:
            address.unlink(missing_ok=True)
        _stop(process)
        log.close()


ADDRESS_FILE = "api-url"  # under the home of a shared server while it runs


def shared_server(home: Path) -> str | None:
    """Return the API URL of the shared server running for `home`, if one answers."""
    try:
        api = (home / ADDRESS_FILE).read_text(encoding="utf-8").strip()
        return api if requests.get(f"{api}/health", timeout=1).ok else None
    except (OSError, requests.RequestException):
        return None  # none written, or left by a server that was killed


@contextmanager
def _pointed_at(api: str) -> Iterator[None]:
    # The environment for child processes, the settings context for this one.
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = api
    try:
        with temporary_settings(updates={PREFECT_API_URL: api}):
            yield
    finally:
        _drain_to_server()
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)


def _drain_to_server() -> None:
    # Logs and events are sent in the background; send what is queued while the server is up,
    # or their workers complain at exit that "all connection attempts failed".
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=10)
        except RuntimeError:
            pass  # never started: nothing was queued


def _wait_healthy(api: str, process: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LianxinError(f"the local Prefect server exited early; see {log}")
        try:
            if requests.get(f"{api}/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    _stop(process)
    raise LianxinError(f"the local Prefect server did not answer within {timeout:.0f} s; see {log}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
