"""`lianxin demo`, `run`, `backfill` and `watchdog`: the flows, run now on this machine."""

from __future__ import annotations

import json
import os
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer

from config.settings import get_settings
from lianxin.cli.errors import exit_with_error
from lianxin.cli.shared import AsOf, as_day, console


class FlowName(StrEnum):
    ingest = "ingest"
    followups = "followups"
    remind = "remind"
    daily = "daily"
    watchdog = "watchdog"


def demo(
    as_of: AsOf = None,
    keep: Annotated[bool, typer.Option(help="Keep var/demo from an earlier demo.")] = False,
) -> None:
    """Serve the sample portal on 127.0.0.1 and run the daily job against it, then summarise.

    Example: lianxin demo --as-of 2026-11-10
    """
    from lianxin.cli.demo import run_demo

    run_demo(console, as_day(as_of), keep=keep)


def run(
    flow: Annotated[FlowName, typer.Argument(help="Which flow to run.")],
    as_of: AsOf = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compute, write nothing.")] = False,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only this source (repeatable).")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="followups: re-evaluate every table, not the changes.")
    ] = False,
) -> None:
    """Run one flow now, on this machine, against the configured store.

    The watchdog checks the present moment (see `lianxin watchdog --now` for another).
    Example: lianxin run daily --as-of 2026-12-08 --dry-run
    """
    from lianxin.cli.orchestrate import fetch_verdict, run_flow

    result = run_flow(flow.value, as_day(as_of), dry_run=dry_run, sources=source or None, full=full)
    console.print_json(json.dumps(result, default=str, ensure_ascii=False))
    lines, code = fetch_verdict(flow.value, result)
    for line in lines:
        typer.echo(line, err=True)
    if code:
        raise typer.Exit(code=code)


def backfill(
    first: Annotated[
        datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First day to replay.")
    ],
    last: Annotated[
        datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day, included.")
    ],
    with_ingest: Annotated[
        bool, typer.Option("--with-ingest", help="Fetch the sources again each day first.")
    ] = False,
    remind: Annotated[
        bool,
        typer.Option(
            "--remind/--no-remind",
            help="Send each day's reminders too. Off by default: a digest for a day long "
            "past tells cadres about calls they may have made since, and would arrive today.",
        ),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compute, write nothing.")] = False,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="With --with-ingest: only this source.")
    ] = None,
) -> None:
    """Replay the days from --from to --to in order: follow-ups each day, in full.

    The days are evaluated in one transaction and only the net change is recorded: an
    obligation that ends where it started gets no history row. One line per day; a second
    backfill of the same days changes nothing and sends nothing. Exits 1 on a failure.
    Example: lianxin backfill --from 2026-11-01 --to 2026-11-10
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    # One line per day here; every flow's log stays on its run in the Prefect UI.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    from lianxin.cli.orchestrate import backfill as replay_days
    from lianxin.cli.orchestrate import days_between

    days = days_between(first.date(), last.date())
    if not days:
        exit_with_error("--to comes before --from")
    failed = None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        bar = progress.add_task(f"replaying {days[0]}", total=len(days))
        for replay in replay_days(
            days[0],
            days[-1],
            with_ingest=with_ingest,
            remind=remind,
            dry_run=dry_run,
            sources=source or None,
        ):
            progress.console.print(replay.line(), markup=False, highlight=False)
            progress.advance(bar)
            progress.update(bar, description=f"replaying {replay.day}")
            if replay.error is not None:
                failed = replay
    if failed is not None:
        console.print(f"[red]Backfill stopped:[/red] {failed.day} failed in {failed.failed_step}.")
        raise typer.Exit(code=1)
    console.print(f"Replayed {len(days)} days, {days[0]} to {days[-1]}.")


def watchdog(
    now: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
            help="Check as of this moment on the Asia/Shanghai clock; default now.",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check, send nothing.")] = False,
) -> None:
    """Check what Prefect cannot see, alert the operator; exit 1 if anything is wrong.

    Sources that stopped yielding, channels that keep failing, and cron-run flows in
    [watchdog.cadence] that did not run; late and failed runs of the deployments alert through
    Prefect automations (lianxin automations apply). Prints one line per alert: kind, subject,
    detail. Example: lianxin watchdog
    """
    from lianxin.clock import local_zone, utc_now
    from lianxin.services.watchdog import check, send_alerts
    from lianxin.store.engine import engine_for

    settings = get_settings()
    at = now.replace(tzinfo=local_zone()) if now else utc_now()
    engine = engine_for(settings.database_url)
    alerts = check(engine, at, settings)
    for alert in alerts:
        typer.echo(alert.line())
    if alerts and not dry_run:
        sent = send_alerts(engine, alerts, settings, at)
        typer.echo(
            f"operator alerted: {sent.sent} sent, {sent.already_sent} already sent, "
            f"{sent.failed} failed, {sent.deferred} deferred",
            err=True,
        )
    if alerts:
        raise typer.Exit(code=1)
    typer.echo("all well: no missed runs, no drifting sources, no failed runs", err=True)
