"""Real receivers on 127.0.0.1 for tests: HTTP webhook sinks (one that fails or hangs at random)
and an SMTP server."""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class WebhookSink:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    fail_with: int | None = None  # answer every request with this status, when set
    answer: dict[str, Any] | None = None  # the JSON to answer a 200 with (none: an empty body)
    headers: list[dict[str, str]] = field(default_factory=list)  # one per received body
    paths: list[str] = field(default_factory=list)  # path and query, one per received body
    base: str = ""  # http://127.0.0.1:PORT, for plugins that post to a fixed API address


@contextmanager
def webhook_sink() -> Iterator[WebhookSink]:
    """Serve a JSON webhook on a free loopback port until the block ends."""
    sink = WebhookSink(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if sink.fail_with:
                self.send_response(sink.fail_with)
                self.end_headers()
                return
            with lock:  # requests arrive on several threads; keep the three lists in step
                sink.received.append(json.loads(body.decode("utf-8")))
                sink.headers.append(dict(self.headers.items()))
                sink.paths.append(self.path)
            reply = json.dumps(sink.answer).encode() if sink.answer is not None else b""
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.url = f"json://127.0.0.1:{server.server_address[1]}/hook"
    sink.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SmtpSink:
    url: str  # an Apprise mailto:// URL that delivers here
    received: list[EmailMessage] = field(default_factory=list)


@contextmanager
def smtp_sink(to: str = "cadre@example.org") -> Iterator[SmtpSink]:
    """Run an SMTP server (aiosmtpd) on a free loopback port; collect the messages it gets."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = SmtpSink(url=f"mailto://127.0.0.1:{port}?mode=insecure&from=lianxin@example.org&to={to}")

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            message = message_from_bytes(envelope.content, policy=policy.default)
            sink.received.append(message)  # type: ignore[arg-type]
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


KEY_AT_END = re.compile(r"\[([^\[\]\s]+)\]\s*$")


@dataclass
class Received:
    """What the receivers got, by idempotency key, as (channel, title, body) copies, and when
    each request came in (`time.time()`, a refused one too: a platform counts it)."""

    copies: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    fail_rate: float = 0.0
    hang_rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random)
    arrivals: list[float] = field(default_factory=list)
    hangs: int = 0  # answers held past the client's timeout: the message arrived, unconfirmed

    def add(self, channel: str, title: str, body: str) -> None:
        match = KEY_AT_END.search(body)
        assert match, f"a message without its key: {body[-80:]!r}"
        with self.lock:
            self.copies.setdefault(match.group(1), []).append((channel, title.strip(), body))

    def total(self) -> int:
        with self.lock:
            return sum(len(c) for c in self.copies.values())

    def draw(self) -> str:
        with self.lock:
            self.arrivals.append(time.time())
            roll = self.rng.random()
        if roll < self.fail_rate:
            return "fail"
        if roll < self.fail_rate + self.hang_rate:
            with self.lock:
                self.hangs += 1
            return "hang"
        return "ok"


def faulty_webhook(received: Received) -> tuple[ThreadingHTTPServer, str]:
    """Serve a JSON webhook that answers 500 or hangs past the client's 1 s timeout as
    `received` draws; return the server (shut it down) and its Apprise route."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            fate = received.draw()
            if fate == "fail":
                self.send_response(500)
                self.end_headers()
                return
            received.add("json", body.get("title", ""), body.get("message", ""))
            if fate == "hang":
                time.sleep(1.6)  # past the client's 1 s read timeout: it arrived, but who knows
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"json://127.0.0.1:{server.server_address[1]}/hook?rto=1&cto=1"
