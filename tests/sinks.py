"""Real receivers on 127.0.0.1 for tests: an HTTP webhook sink and an SMTP server."""

from __future__ import annotations

import json
import socket
import threading
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
