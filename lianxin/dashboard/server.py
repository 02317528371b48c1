"""How uvicorn serves the dashboard, for `lianxin dashboard` and the tests alike."""

from __future__ import annotations

from typing import Any

import uvicorn


def uvicorn_config(app: Any, host: str, port: int, **options: Any) -> uvicorn.Config:
    """Return uvicorn's configuration for serving the dashboard `app` on host:port.

    uvicorn's own proxy headers are off: left on, it believes X-Forwarded-For from 127.0.0.1
    (or $FORWARDED_ALLOW_IPS), so any client of a dashboard on loopback could name its own
    address. The app trusts exactly `dashboard.forwarded_allow_ips` instead (see app.py).
    """
    return uvicorn.Config(
        app, host=host, port=port, log_level="warning", proxy_headers=False, **options
    )
