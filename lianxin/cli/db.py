"""`lianxin db current|upgrade|backup|copy|repair-clock`: the database's migration, backups and
a copy into PostgreSQL (`lianxin.services.store_copy`); repair-clock undoes what a day in the
future left in the store (see `lianxin.services.clock_repair`), then evaluates as of today."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import ArgumentError

from config.settings import get_settings
from lianxin.cli.errors import exit_with_error
from lianxin.cli.shared import cli_actor, console


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
            username=cli_actor(),
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


db_app = typer.Typer(
    help="The database: its migration, upgrades and online backups. Example: lianxin db current",
    no_args_is_help=True,
)


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
        exit_with_error("not an SQLite file; back up PostgreSQL with pg_dump -Fc")
    if target.exists() and not force:
        exit_with_error(f"{target} exists; choose another name or add --force")
    try:
        pages = backup_sqlite(source, target)
    except FileNotFoundError as exc:
        exit_with_error(exc)
    typer.echo(f"backed up {source} to {target} ({pages} pages, {target.stat().st_size} bytes)")


@db_app.command("copy")
def db_copy(
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="The PostgreSQL database to fill, e.g. postgresql+psycopg://lianxin@db/lianxin "
            "(an empty database; a password in it is never printed).",
        ),
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Empty a target that holds data, then copy.")
    ] = False,
    batch: Annotated[int, typer.Option("--batch", min=100, help="Rows per batch.")] = 20_000,
) -> None:
    """Copy the configured store (SQLite by default) into PostgreSQL, then compare the counts.

    The target's schema is made by the migrations; every table is copied with its ids, in
    one transaction; the row counts of both sides are printed, and the command exits 1 when
    any differs. Example: lianxin db copy --to postgresql+psycopg://lianxin@db.example.org/lianxin
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from lianxin.errors import CopyRefused
    from lianxin.services.store_copy import copy_store, masked
    from lianxin.store.db import make_engine

    source = _database()
    try:
        target = make_engine(to)
    except ArgumentError:
        exit_with_error("--to is not a database URL (postgresql+psycopg://user@host/name)")
    err = Console(stderr=True, soft_wrap=True)
    err.print(f"copying into {masked(target)}", markup=False, highlight=False)
    columns = (
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
    )
    bars: dict[str, Any] = {}
    with Progress(*columns, console=err, transient=True) as shown:

        def progress(table: str, done: int, total: int) -> None:
            if table not in bars:
                bars[table] = shown.add_task(table, total=max(total, 1), rate="")
            task = shown.tasks[bars[table]]
            speed = f"{done / task.elapsed:,.0f} rows/s" if task.elapsed and done else ""
            shown.update(bars[table], completed=done, rate=speed)

        try:
            result = copy_store(source, target, force=force, batch=batch, progress=progress)
        except CopyRefused as exc:
            exit_with_error(exc)
    counts = Table("table", "source", "target", "", title="rows per table")
    for row in result.counts:
        counts.add_row(
            row.table, f"{row.source:,}", f"{row.target:,}", "ok" if row.equal else "DIFFERS"
        )
    console.print(counts)
    typer.echo(
        f"copied {result.rows:,} rows in {result.seconds:.1f} s "
        f"({result.rows_per_second:,.0f} rows/s) into {masked(target)}"
    )
    if not result.equal:
        different = ", ".join(r.table for r in result.counts if not r.equal)
        typer.echo(f"counts differ in {different}: the copy is not complete", err=True)
        raise typer.Exit(code=1)


db_app.command("repair-clock")(repair_clock)
