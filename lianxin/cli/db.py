"""`lianxin db repair-clock`: undo what a day in the future left in the store (see
`lianxin.services.clock_repair`), then evaluate as of today."""

from __future__ import annotations

from typing import Annotated, Any

import typer


def repair_clock(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be undone; change nothing.")
    ] = False,
) -> None:
    """Undo what is dated after today (calls, marks, waivers, rule runs), then re-evaluate.

    Check-ins, problem marks and waivers dated after today, obligations and flags a later day's
    evaluation made, and rule runs as of a later day are deleted or put back; the rules run in
    full as of today. Prints one line per kind undone; a second run finds nothing.

    Example: lianxin db repair-clock --dry-run
    """
    import getpass

    from config.settings import get_settings
    from lianxin.clock import today_local, utc_now
    from lianxin.dashboard import audit
    from lianxin.services import clock_repair
    from lianxin.store.engine import engine_for

    settings = get_settings()
    now = utc_now()
    today = today_local(now)

    def record(conn: Any, undone: dict[str, int]) -> None:
        audit.record(
            conn,
            None,
            "repair_clock",
            today.isoformat(),
            undone,
            username=f"cli:{getpass.getuser()}",
        )

    done = clock_repair.repair_clock(
        engine_for(settings.database_url), today, settings.rules, now, dry_run, audit=record
    )
    if done.nothing:
        typer.echo(f"nothing dated after {today}: nothing to undo")
        return
    for kind, n in done.undone.items():
        typer.echo(f"{n} {clock_repair.KINDS[kind]}" + (" (dry run: would be)" if dry_run else ""))
    if not dry_run:
        typer.echo(f"re-evaluated as of {today}, compliance refreshed")
