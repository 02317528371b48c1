"""Serve the sample portal over HTTP on loopback, quietly, from a background thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lianxin.portal.site import Site, build_site

NOT_FOUND = "404 页面不存在".encode()


def _handler_for(site: Site) -> type[BaseHTTPRequestHandler]:
    class PortalHandler(BaseHTTPRequestHandler):
        server_version = "YunxiPortal/1.0"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._respond(with_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._respond(with_body=False)

        def _respond(self, with_body: bool) -> None:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path.endswith("/"):
                path += "index.html"
            page = site.get(path)
            status = 200 if page is not None else 404
            content, content_type = page or (NOT_FOUND, "text/plain; charset=utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if with_body:
                self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # quiet: tests and the demo must not fill stderr with request lines

    return PortalHandler


@contextmanager
def serve_portal(host: str = "127.0.0.1", port: int = 0, site: Site | None = None) -> Iterator[str]:
    """Serve the portal while the block runs and yield its base URL (http://127.0.0.1:PORT/)."""
    server = ThreadingHTTPServer((host, port), _handler_for(site or build_site()))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="sample-portal", daemon=True)
    thread.start()
    try:
        bound_host, bound_port = server.server_address[:2]
        yield f"http://{bound_host!s}:{bound_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
