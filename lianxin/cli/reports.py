"""`lianxin parse`, `reparse`, `explain`, `preview` and `status`: print, write nothing (reparse
writes unless --dry-run)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from config.settings import get_settings
from lianxin.cli.shared import AsOf, as_day, console


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
        since=as_day(since),
        apply=not dry_run,
    )
    print_reparse(console, report, applied=not dry_run)


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


def preview(
    as_of: AsOf = None,
    days: Annotated[int, typer.Option(min=1, max=62, help="How many days to look ahead.")] = 7,
) -> None:
    """List who would be reminded or escalated on each of the next days, and why; write nothing.

    Example: lianxin preview --as-of 2026-12-01 --days 14
    """
    from lianxin.cli.show import print_reminder_plan
    from lianxin.clock import today_local
    from lianxin.services.explain import preview as run_preview
    from lianxin.store.engine import engine_for

    settings = get_settings()
    start = as_day(as_of) or today_local()
    plan = run_preview(engine_for(settings.database_url), start, days, settings.rules)
    print_reminder_plan(console, plan)


def status() -> None:
    """Show what the store holds: counts, the last runs, overdue check-ins by cadre, quarantine.

    Example: LIANXIN_CONFIG=var/demo/lianxin.toml lianxin status
    """
    from lianxin.cli.show import print_status
    from lianxin.store.engine import engine_for

    settings = get_settings()
    print_status(console, engine_for(settings.database_url), settings.notify.language)
