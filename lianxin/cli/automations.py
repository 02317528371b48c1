"""`lianxin automations apply|remove`: the Prefect automations on late and failed runs."""

from __future__ import annotations

import typer

from config.settings import get_settings
from lianxin.cli.shared import console

automations_app = typer.Typer(
    help="The Prefect automations that alert the operator on late and failed runs "
    "(`lianxin serve` applies them too). Example: lianxin automations apply",
    no_args_is_help=True,
)


@automations_app.command("apply")
def apply() -> None:
    """Create or update `lianxin: late run` and `lianxin: failed run` on the Prefect server.

    The server is PREFECT_API_URL's, else this data folder's local one. Alerts go to
    watchdog.prefect_block or watchdog.prefect_webhook. Example: lianxin automations apply
    """
    from flows.automations import apply_automations
    from lianxin.cli.orchestrate import automation_lines
    from lianxin.cli.prefect_server import local_prefect_server

    settings = get_settings()
    with local_prefect_server(settings.data_dir / "prefect"):
        lines = automation_lines(apply_automations(settings.watchdog), settings.watchdog)
    for line in lines:
        console.print(line, soft_wrap=True, markup=False)


@automations_app.command("remove")
def remove() -> None:
    """Delete Lianxin's automations from the Prefect server (its blocks stay).

    Example: lianxin automations remove
    """
    from flows.automations import remove_automations
    from lianxin.cli.prefect_server import local_prefect_server

    with local_prefect_server(get_settings().data_dir / "prefect"):
        gone = remove_automations()
    console.print(f"deleted {', '.join(repr(n) for n in gone) or 'nothing'}", markup=False)
