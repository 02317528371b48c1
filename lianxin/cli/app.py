"""The `lianxin` command: demo, run, parse, status and watchdog.

Examples:
    lianxin demo                       # the whole job against the bundled sample portal
    lianxin run daily --as-of 2026-12-08
    lianxin parse page.html --json
    lianxin status
    lianxin watchdog                   # exit 1 and alert the operator if a run failed or was missed
    lianxin serve                      # run the deployments on their schedules, with the UI
    lianxin backfill --from 2026-11-01 --to 2026-11-10
    lianxin users add wangfang --role village_lead --village 青山村
    lianxin dashboard                  # the web dashboard, behind a log-in
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from config.settings import get_settings
from lianxin.cli.db import repair_clock
from lianxin.cli.errors import income_in_range, run_guarded
from lianxin.errors import LianxinError
from lianxin.records import WorkStatus

app = typer.Typer(
    name="lianxin",
    help="Lianxin (连心): from published reports to reminders, so that no migrant worker is "
    "forgotten. Run `lianxin demo` first.",
    epilog="Exit codes: 0 done, nothing wrong; 1 something to act on (watchdog alerts, "
    "config check mistakes, a database behind its migrations) or an error Lianxin reports; "
    "2 the command could not run as asked (a usage error, a configuration that cannot be "
    "read, a page that cannot be parsed).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Messages are not wrapped: a wrapped URL or key cannot be copied back into a command. Tables
# still fit the terminal's width.
console = Console(soft_wrap=True)

AsOf = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="Evaluate as of this day (YYYY-MM-DD); default today in Asia/Shanghai.",
    ),
]


class FlowName(StrEnum):
    ingest = "ingest"
    followups = "followups"
    remind = "remind"
    daily = "daily"
    watchdog = "watchdog"


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@app.command()
def demo(
    as_of: AsOf = None,
    keep: Annotated[bool, typer.Option(help="Keep var/demo from an earlier demo.")] = False,
) -> None:
    """Serve the sample portal on 127.0.0.1 and run the daily job against it, then summarise.

    Example: lianxin demo --as-of 2026-11-10
    """
    from lianxin.cli.demo import run_demo

    run_demo(console, _day(as_of), keep=keep)


@app.command()
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

    result = run_flow(flow.value, _day(as_of), dry_run=dry_run, sources=source or None, full=full)
    console.print_json(json.dumps(result, default=str, ensure_ascii=False))
    lines, code = fetch_verdict(flow.value, result)
    for line in lines:
        typer.echo(line, err=True)
    if code:
        raise typer.Exit(code=code)


@app.command()
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


@app.command()
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
    """Replay the days from --from to --to in order: follow-ups each day (full on the first).

    One line per day with what changed; a second backfill of the same days changes nothing
    and sends nothing. Stops at the first day that fails and exits 1.
    Example: lianxin backfill --from 2026-11-01 --to 2026-11-10
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    # One line per day here; every flow's log stays on its run in the Prefect UI.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    from lianxin.cli.orchestrate import backfill as replay_days
    from lianxin.cli.orchestrate import days_between

    days = days_between(first.date(), last.date())
    if not days:
        console.print("[red]error:[/red] --to comes before --from")
        raise typer.Exit(code=2)
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


@app.command()
def parse(
    target: Annotated[
        str, typer.Argument(help="A saved page, a .xlsx/.xls/.csv/.docx/.pdf file, or a URL.")
    ],
    kind: Annotated[
        str, typer.Option(help="auto, listing, roster, checkin_table, problem_list or article")
    ] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
    unmasked: Annotated[bool, typer.Option(help="Show phones and ID numbers in full.")] = False,
) -> None:
    """Parse one page or file and print its records and quarantined rows (nothing is stored).

    Spreadsheets (.xlsx, .xls, .csv), .docx and .pdf files are read as attachments are, by
    their extension (a URL's also by its content type); anything else as a page.

    Example: lianxin parse tests/fixtures/checkin_gbk.html --json
    """
    from lianxin.cli.show import load_target, parse_target, print_parse_result

    result = parse_target(load_target(target, get_settings().user_agent), kind)
    print_parse_result(
        console, result, as_json=as_json, unmasked=unmasked, language=get_settings().notify.language
    )
    if result.report.parse_status == "failed":
        raise typer.Exit(code=2)


@app.command()
def reparse(
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Only reports fetched on or after this day."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change.")] = False,
) -> None:
    """Parse archived pages again after a parser change; print added, removed, altered records.

    Example: lianxin reparse --since 2026-11-01 --dry-run
    """
    from lianxin.archive import Archive
    from lianxin.cli.show import print_reparse
    from lianxin.clock import utc_now
    from lianxin.ingest.pipeline import reparser
    from lianxin.ingest.reparse import reparse as run_reparse
    from lianxin.store.engine import engine_for

    settings = get_settings()
    report = run_reparse(
        engine_for(settings.database_url),
        Archive(settings.archive_dir),
        reparser,
        utc_now(),
        since=_day(since),
        apply=not dry_run,
    )
    print_reparse(console, report, applied=not dry_run)


@app.command()
def explain(
    subject: Annotated[
        str, typer.Argument(help="A worker's name or key, a problem's number or words from it.")
    ],
) -> None:
    """Print each obligation of a worker or problem: why it exists and everything that happened.

    Example: lianxin explain 张伟
    """
    from lianxin.cli.show import print_stories
    from lianxin.store.engine import engine_for

    settings = get_settings()
    print_stories(console, engine_for(settings.database_url), subject, settings.notify.language)


@app.command()
def preview(
    as_of: AsOf = None,
    days: Annotated[int, typer.Option(min=1, max=62, help="How many days to look ahead.")] = 7,
) -> None:
    """List who would be reminded or escalated on each of the next days, and why; write nothing.

    Example: lianxin preview --as-of 2026-12-01 --days 14
    """
    from lianxin.cli.show import print_preview
    from lianxin.clock import today_local
    from lianxin.services.explain import preview as run_preview
    from lianxin.store.engine import engine_for

    settings = get_settings()
    start = _day(as_of) or today_local()
    plan = run_preview(engine_for(settings.database_url), start, days, settings.rules)
    print_preview(console, plan)


@app.command()
def waive(
    subject: Annotated[str, typer.Argument(help="A worker's or problem's key (see explain).")],
    category: Annotated[
        str,
        typer.Option(help="returned_for_good, moved_out, deceased or other."),
    ],
    reason: Annotated[str, typer.Option(help="Why, in a sentence.")],
    by: Annotated[str, typer.Option(help="Who decides (name and role).")],
    on: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Day of the decision.")
    ] = None,
    kind: Annotated[str, typer.Option(help="Only this obligation kind; * for all.")] = "*",
) -> None:
    """Waive a subject's follow-up with a reason and who gave it; the next evaluation applies it.

    Example: lianxin waive '青山村|张伟|1111' --category returned_for_good \
        --reason '回乡创业' --by '王芳（村支书）'
    """
    from lianxin.clock import today_local, utc_now
    from lianxin.rules.waivers import add_waiver
    from lianxin.store.engine import engine_for

    with engine_for(get_settings().database_url).begin() as conn:
        try:
            add_waiver(
                conn,
                subject,
                category,
                reason,
                by,
                _day(on) or today_local(),
                utc_now(),
                kind=kind,
            )
        except (ValueError, LianxinError) as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=2) from exc
    console.print(f"Waived {subject} ({category}); run `lianxin run followups` to apply it.")


checkin_app = typer.Typer(
    help="Record monthly phone calls (每月上旬电话回访) by hand. "
    "Example: lianxin checkin record 张伟 --date 2026-11-12 --reached"
)
app.add_typer(checkin_app, name="checkin")


@checkin_app.command("record")
def checkin_record(
    worker: Annotated[str, typer.Argument(help="The worker's name or key (see explain).")],
    on: Annotated[datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="Day of the call.")],
    reached: Annotated[
        bool, typer.Option("--reached/--unreached", help="Did the call get through?")
    ] = True,
    income: Annotated[
        int | None, typer.Option(callback=income_in_range, help="Last month's income in yuan.")
    ] = None,
    work_status: Annotated[
        WorkStatus | None,
        typer.Option("--status", help="employed, looking, returned or other."),
    ] = None,
    note: Annotated[str | None, typer.Option(help="What was said: demands, policy, …")] = None,
    by: Annotated[str, typer.Option(help="Who made the call.")] = "cli",
) -> None:
    """Record a call; the worker's reminders stop and escalations are withdrawn at once.

    Example: lianxin checkin record 张伟 --date 2026-11-12 --reached --income 4200
    """
    from lianxin.clock import utc_now
    from lianxin.services.calls import UnknownWorker, record_call
    from lianxin.store.engine import engine_for

    settings = get_settings()
    try:
        status_value = WorkStatus(work_status) if work_status else None
        done = record_call(
            engine_for(settings.database_url),
            worker,
            on.date(),
            reached,
            settings.rules,
            utc_now(),
            income_yuan=income,
            status=status_value,
            note=note,
            by=by,
        )
    except (UnknownWorker, ValueError, LianxinError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from exc
    moved = ", ".join(f"{n} {label}" for label, n in sorted(done.stats.transitions.items()))
    console.print(f"Recorded the {done.period} call of {done.worker_key}. {moved or ''}".strip())


problem_app = typer.Typer(
    help="Mark supervision problems (问题清单) rectified or verified by hand. "
    "Example: lianxin problem rectified 'https://…/notice.html#一(一)1' --on 2026-11-20",
    no_args_is_help=True,
)
app.add_typer(problem_app, name="problem")

ProblemKey = Annotated[str, typer.Argument(help="The problem's key: its page URL#number.")]
MarkDay = Annotated[
    datetime | None,
    typer.Option("--on", formats=["%Y-%m-%d"], help="The day (YYYY-MM-DD); default today."),
]


def _mark_problem(status: str, key: str, on: datetime | None, note: str | None) -> None:
    from lianxin.clock import today_local, utc_now
    from lianxin.dashboard import audit
    from lianxin.services.problems import Mark, mark
    from lianxin.store.engine import engine_for

    settings = get_settings()
    now = utc_now()
    day = on.date() if on else today_local(now)

    def record(conn: Any, done: Mark) -> None:
        detail = {"from": done.old_status, "on": day.isoformat(), "note": note or ""}
        audit.record(conn, None, f"problem_{status}", key, detail, username=_cli_actor())

    try:
        engine = engine_for(settings.database_url)
        done = mark(engine, status, key, day, settings.rules, now, audit=record)
    except LianxinError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from exc
    console.print(f"Marked {key} {status} on {day} (was {done.old_status}).")


@problem_app.command("rectified")
def problem_rectified(
    key: ProblemKey,
    on: MarkDay = None,
    note: Annotated[str | None, typer.Option(help="What was done.")] = None,
) -> None:
    """Mark a problem rectified (已整改): its deadline is met and the return visit is owed.

    Example: lianxin problem rectified 'https://…/notice.html#一(一)1' --on 2026-11-20
    """
    _mark_problem("rectified", key, on, note)


@problem_app.command("verified")
def problem_verified(key: ProblemKey, on: MarkDay = None) -> None:
    """Mark a rectified problem verified (已销号) after the return visit (杀回马枪).

    Example: lianxin problem verified 'https://…/notice.html#一(一)1' --on 2026-12-05
    """
    _mark_problem("verified", key, on, None)


class ImportKindChoice(StrEnum):
    auto = "auto"
    roster = "roster"
    checkin_table = "checkin_table"


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="An .xlsx or .csv roster or check-in table.")],
    kind: Annotated[ImportKindChoice, typer.Option(help="What the file holds.")] = (
        ImportKindChoice.auto
    ),
    apply: Annotated[bool, typer.Option("--apply", help="Write it; without, preview only.")] = (
        False
    ),
    as_of: AsOf = None,
    unmasked: Annotated[bool, typer.Option(help="Show phones and ID numbers in full.")] = False,
) -> None:
    """Preview what a roster or check-in table file changes; import it with --apply.

    After --apply the follow-ups are evaluated (incrementally), as of --as-of or the day the
    rules last ran. Exit 1 when rows of the file failed, 2 when the file cannot be used.
    Example: lianxin import 青山村11月回访表.xlsx --kind checkin_table --apply
    """
    from lianxin.cli.transfer import run_import

    code = run_import(
        console, get_settings(), file, kind.value, apply, _day(as_of), unmasked=unmasked
    )
    raise typer.Exit(code=code)


class ExportFormatChoice(StrEnum):
    xlsx = "xlsx"
    csv = "csv"


@app.command("export")
def export(
    table: Annotated[
        str,
        typer.Argument(
            help="workers, checkins, obligations, compliance, cadres, problems, quarantine "
            "or findings."
        ),
    ],
    period: Annotated[str | None, typer.Option(help="YYYY-MM (checkins need one).")] = None,
    village: Annotated[str | None, typer.Option(help="Only this village.")] = None,
    fmt: Annotated[ExportFormatChoice, typer.Option("--format", help="xlsx or csv.")] = (
        ExportFormatChoice.xlsx
    ),
    out: Annotated[Path | None, typer.Option(help="File to write; default from the table.")] = (
        None
    ),
    unmasked: Annotated[bool, typer.Option(help="Phones and ID numbers in full.")] = False,
) -> None:
    """Export a table to XLSX or CSV (UTF-8 with BOM), phones and ID numbers masked.

    Example: lianxin export checkins --period 2026-11 --format csv --out 回访.csv
    """
    from lianxin.cli.transfer import run_export

    filters = {k: v for k, v in {"period": period, "village": village}.items() if v}
    code = run_export(console, get_settings(), table, filters, fmt.value, out, unmasked)
    raise typer.Exit(code=code)


@app.command()
def status() -> None:
    """Show what the store holds: counts, the last runs, overdue check-ins by cadre, quarantine.

    Example: LIANXIN_CONFIG=var/demo/lianxin.toml lianxin status
    """
    from lianxin.cli.show import print_status
    from lianxin.store.engine import engine_for

    settings = get_settings()
    print_status(console, engine_for(settings.database_url), settings.notify.language)


@app.command()
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
    """Check Lianxin's own runs and sources, alert the operator; exit 1 if anything is wrong.

    Prints one line per alert: kind, subject, detail. Example: lianxin watchdog
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


config_app = typer.Typer(
    help="Show and check the configuration: defaults, your file, LIANXIN_ variables. "
    "Example: lianxin config check",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")


def _loaded_config(look_further: bool = False) -> tuple[Any, Any, list[Any]]:
    """Return (layers, settings, mistakes) read afresh; exit 2 if unreadable, 1 listing invalid
    values (with `look_further`, only when they leave no settings to look further into)."""
    from lianxin.cli.config_check import load
    from lianxin.errors import ConfigError

    try:
        layers, settings, mistakes = load()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    if settings is None or (mistakes and not look_further):
        for finding in mistakes:
            typer.echo(finding.line())
        typer.echo(f"{len(mistakes)} mistake(s): the configuration is not valid", err=True)
        raise typer.Exit(code=1)
    return layers, settings, mistakes


@config_app.command("show")
def config_show(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print layers and settings as JSON.")
    ] = False,
) -> None:
    """Print the effective configuration, secrets masked, and where each layer came from.

    ${NAME} placeholders are shown as written and environment variables by name only.
    Example: lianxin config show --json
    """
    from lianxin.cli.config_show import effective, to_toml

    layers, settings, _ = _loaded_config()
    data = effective(settings)
    if as_json:
        payload = {"layers": layers.as_dict(), "settings": data}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    typer.echo("# Effective configuration, secrets masked. Layers, each overriding the last:")
    for line in layers.describe():
        typer.echo(f"#   {line}")
    typer.echo()
    typer.echo(to_toml(data), nl=False)


@config_app.command("check")
def config_check() -> None:
    """Find mistakes in the configuration, one line each: where, what, and how to fix it.

    Checks the settings, sources, routes and their ${NAME} secrets, templates, and whether the
    database answers and is at the current migration. Exit 0 when fine (warnings allowed), 1
    on mistakes, 2 when the configuration cannot be read. Example: lianxin config check
    """
    from lianxin.cli.config_check import check, routes

    layers, settings, mistakes = _loaded_config(look_further=True)
    findings = mistakes + check(settings, layers)
    for finding in findings:
        typer.echo(finding.line())
    errors = sum(finding.level == "error" for finding in findings)
    warnings = len(findings) - errors
    if errors:
        typer.echo(f"{errors} mistake(s), {warnings} warning(s)", err=True)
        raise typer.Exit(code=1)
    typer.echo(
        f"configuration OK: {len(settings.sources)} source(s), "
        f"{len(list(routes(settings)))} route(s), {warnings} warning(s)",
        err=True,
    )


@config_app.command("reference")
def config_reference() -> None:
    """Print the configuration reference, generated from the settings model, as Markdown.

    Example: lianxin config reference > docs/configuration.md
    """
    from lianxin.cli.config_doc import render

    typer.echo(render(), nl=False)


db_app = typer.Typer(
    help="The database: its migration, upgrades and online backups. Example: lianxin db current",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")


def _database() -> Any:
    """Return an engine on the configured database without creating an SQLite file."""
    from lianxin.cli.config_show import mask_database_url
    from lianxin.store.db import make_engine
    from lianxin.store.maintenance import sqlite_path

    url = get_settings().database_url
    typer.echo(f"database: {mask_database_url(url)}")
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        typer.echo(f"{path} does not exist yet: `lianxin db upgrade` creates it", err=True)
        raise typer.Exit(code=1)
    return make_engine(url)


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration and the one this code expects; exit 1 when behind.

    Example: lianxin db current
    """
    from lianxin.store.maintenance import revisions

    status = revisions(_database())
    typer.echo(f"current: {', '.join(status.current) or 'none (empty database)'}")
    typer.echo(f"head:    {', '.join(status.heads)}")
    if not status.at_head:
        typer.echo("behind: back it up, then run `lianxin db upgrade`", err=True)
        raise typer.Exit(code=1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the current migration (Alembic); take a backup first.

    Creates an SQLite file that does not exist yet. Example: lianxin db upgrade
    """
    from lianxin.cli.config_show import mask_database_url
    from lianxin.store.db import make_engine, migrate
    from lianxin.store.maintenance import revisions

    url = get_settings().database_url
    engine = make_engine(url)
    before = revisions(engine)
    migrate(engine)
    after = revisions(engine)
    was = ", ".join(before.current) or "empty"
    now = ", ".join(after.current)
    typer.echo(f"database: {mask_database_url(url)}")
    typer.echo(f"already at {now}" if before.at_head else f"upgraded: {was} → {now}")


@db_app.command("backup")
def db_backup(
    target: Annotated[Path, typer.Argument(help="The copy to write, e.g. backup/lianxin.db.")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Copy the SQLite database to TARGET while Lianxin may be running (online, WAL-safe).

    PostgreSQL is backed up with pg_dump instead. Example: lianxin db backup backup/lianxin.db
    """
    from lianxin.store.maintenance import backup_sqlite, sqlite_path

    url = get_settings().database_url
    source = sqlite_path(url)
    if source is None:
        typer.echo("error: not an SQLite file; back up PostgreSQL with pg_dump -Fc", err=True)
        raise typer.Exit(code=2)
    if target.exists() and not force:
        typer.echo(f"error: {target} exists; choose another name or add --force", err=True)
        raise typer.Exit(code=2)
    try:
        pages = backup_sqlite(source, target)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"backed up {source} to {target} ({pages} pages, {target.stat().st_size} bytes)")


db_app.command("repair-clock")(repair_clock)


@app.command()
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


users_app = typer.Typer(
    help="Dashboard accounts: add, list, change a password, disable. "
    "Example: lianxin users add wangfang --role village_lead --village 青山村",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")


class RoleName(StrEnum):
    cadre = "cadre"
    village_lead = "village_lead"
    town_lead = "town_lead"
    county = "county"
    supervision = "supervision"
    admin = "admin"


PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from the first line of standard input instead of a prompt.",
    ),
]


def _new_password(from_stdin: bool) -> str:
    # Never an option: a password on the command line ends up in shell history and `ps`.
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _cli_actor() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="The log-in name, e.g. wangfang.")],
    role: Annotated[RoleName, typer.Option(help="What the account may see and do.")],
    village: Annotated[str | None, typer.Option(help="A village lead's village.")] = None,
    town: Annotated[str | None, typer.Option(help="A town lead's town.")] = None,
    county: Annotated[
        str | None, typer.Option(help="County roles: their county (empty: all).")
    ] = None,
    cadre: Annotated[str | None, typer.Option(help="A cadre's key in the cadres table.")] = None,
    name: Annotated[str, typer.Option(help="The name shown, e.g. 王芳.")] = "",
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a dashboard account; the password is prompted for twice (or read from stdin).

    Example: lianxin users add wangfang --role village_lead --village 青山村 --name 王芳
    """
    from lianxin.dashboard import audit
    from lianxin.dashboard.auth import create_user
    from lianxin.dashboard.scope import Role
    from lianxin.ingest.regions import unknown_place
    from lianxin.store.engine import engine_for

    engine = engine_for(get_settings().database_url)
    with engine.connect() as conn:  # before the password is asked for: a typo ends it at once
        unknown = unknown_place(conn, county=county, town=town, village=village)
    if unknown:
        typer.echo(f"error: {unknown}", err=True)
        raise typer.Exit(code=2)
    password = _new_password(password_stdin)
    with engine.begin() as conn:
        create_user(
            conn,
            username,
            password,
            Role(role.value),
            display_name=name,
            county=county,
            town=town,
            village=village,
            cadre_key=cadre,
        )
        place = {"county": county, "town": town, "village": village, "cadre": cadre}
        detail = {"role": role.value, **{k: v for k, v in place.items() if v}}
        audit.record(conn, None, "user_add", username, detail, username=_cli_actor())
    typer.echo(f"added {username} ({role.value})")


@users_app.command("list")
def users_list() -> None:
    """List the dashboard accounts: name, role, place, active, last log-in.

    Example: lianxin users list
    """
    from rich.table import Table

    from lianxin.dashboard.auth import list_users
    from lianxin.store.engine import engine_for

    with engine_for(get_settings().database_url).connect() as conn:
        rows = list_users(conn)
    table = Table("user", "name", "role", "place", "active", "last log-in")
    for row in rows:
        place = " / ".join(
            p for p in (row["county"], row["town"], row["village"], row["cadre_key"]) if p
        )
        last = row["last_login_at"]
        table.add_row(
            row["username"],
            row["display_name"],
            row["role"],
            place or "—",
            "yes" if row["active"] else "no",
            f"{last:%Y-%m-%d %H:%M}" if last else "—",
        )
    console.print(table)


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Argument(help="The account.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a new password for an account (prompted twice, or read from stdin).

    Example: lianxin users passwd wangfang
    """
    from lianxin.dashboard import audit
    from lianxin.dashboard.auth import set_password
    from lianxin.store.engine import engine_for

    password = _new_password(password_stdin)
    with engine_for(get_settings().database_url).begin() as conn:
        set_password(conn, username, password)
        audit.record(conn, None, "user_passwd", username, username=_cli_actor())
    typer.echo(f"password of {username} changed")


@users_app.command("disable")
def users_disable(
    username: Annotated[str, typer.Argument(help="The account.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable it again instead.")] = False,
) -> None:
    """Disable an account: it can no longer log in, and its open sessions end.

    Example: lianxin users disable wangfang
    """
    from lianxin.dashboard import audit
    from lianxin.dashboard.auth import set_active
    from lianxin.store.engine import engine_for

    with engine_for(get_settings().database_url).begin() as conn:
        set_active(conn, username, enable)
        action = "user_enable" if enable else "user_disable"
        audit.record(conn, None, action, username, username=_cli_actor())
    typer.echo(f"{username} {'enabled' if enable else 'disabled'}")


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; a bad option, setting or database ends in one line and exit code 2, a
    LianxinError in its message and 1, never in a traceback (lianxin/cli/errors.py)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    sys.exit(run_guarded(app, argv))


if __name__ == "__main__":
    main()
