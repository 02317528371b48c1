"""`lianxin serve` and `lianxin dashboard`: the long-running servers, until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer

from config.settings import get_settings
from lianxin.cli.shared import console


def serve(
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port of the local Prefect server; default free."),
    ] = None,
) -> None:
    """Run the deployments on their schedules (Asia/Shanghai) until Ctrl-C or SIGTERM.

    ingest/hourly, daily/morning (08:30), daily/month-open (the 1st, 08:00) and
    watchdog/quarter-hour, as set in [schedules]. Without PREFECT_API_URL a local Prefect
    server with its UI runs alongside; its address is printed. Trigger a run by hand with
    prefect deployment run 'daily/morning' -p as_of=2026-12-08

    Example: lianxin serve --port 4200
    """
    from lianxin.cli.orchestrate import serve as run_serve

    try:
        run_serve(port, lambda line: console.print(line, soft_wrap=True, markup=False))
    except KeyboardInterrupt:
        pass  # Ctrl-C or SIGTERM before the runner started: the server is already stopped
    console.print("Stopped.")


def dashboard(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on; default [dashboard] host.")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port to listen on; default [dashboard] port."),
    ] = None,
) -> None:
    """Serve the web dashboard (log in with an account from `lianxin users add`).

    Example: LIANXIN_CONFIG=var/demo/lianxin.toml lianxin dashboard --port 8300
    """
    import uvicorn

    from lianxin.dashboard.app import create_app
    from lianxin.dashboard.server import uvicorn_config

    settings = get_settings()
    bind_host = host or settings.dashboard.host
    bind_port = port or settings.dashboard.port
    application = create_app(settings)
    console.print(f"Lianxin dashboard at http://{bind_host}:{bind_port}/  (Ctrl-C stops it)")
    uvicorn.Server(uvicorn_config(application, bind_host, bind_port)).run()
