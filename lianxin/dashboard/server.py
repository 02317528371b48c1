"""How uvicorn serves the dashboard, for `lianxin dashboard` and the tests alike."""

from __future__ import annotations

import logging
from typing import Any

import uvicorn

from lianxin.signing import redact_links

# uvicorn's loggers that may print a request's path: a phone-page path carries its token.
PATH_LOGGERS = ("uvicorn.access", "uvicorn.error")


class RedactLinks(logging.Filter):
    """Cut every /m/<token> in a log record to /m/…, in its message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_links(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_links(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact_links(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def redact_link_tokens() -> None:
    """Put `RedactLinks` on uvicorn's loggers (once): no link token reaches a log line."""
    for name in PATH_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactLinks) for f in logger.filters):
            logger.addFilter(RedactLinks())


def uvicorn_config(app: Any, host: str, port: int, **options: Any) -> uvicorn.Config:
    """Return uvicorn's configuration for serving the dashboard `app` on host:port.

    uvicorn's own proxy headers are off: left on, it believes X-Forwarded-For from 127.0.0.1
    (or $FORWARDED_ALLOW_IPS), so any client of a dashboard on loopback could name its own
    address. The app trusts exactly `dashboard.forwarded_allow_ips` instead (see app.py).
    Its access log, when an operator turns it up, prints phone-page paths redacted.
    """
    options.setdefault("log_level", "warning")
    config = uvicorn.Config(app, host=host, port=port, proxy_headers=False, **options)
    redact_link_tokens()  # after Config, which (re)configures uvicorn's logging
    return config
