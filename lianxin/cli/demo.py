"""`lianxin demo`: the whole job against the bundled sample portal, on the embedded default.

Everything the demo writes lives under `var/demo/` (its own SQLite file, archive and outbox)
plus `var/demo/lianxin.toml`, so that `LIANXIN_CONFIG=var/demo/lianxin.toml lianxin status`
explores the demo's data afterwards and an operator's own store is never touched.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from rich.console import Console
from sqlalchemy import Engine, func, select

from config.settings import Settings, reset_settings
from lianxin.cli.prefect_server import local_prefect_server
from lianxin.portal import PORTAL_TODAY, portal_sources, serve_portal
from lianxin.rules.checkin import period_of
from lianxin.services.summary import run_summary
from lianxin.store.engine import engine_for

DEMO_DIR = Path("var/demo")


def write_demo_config(folder: Path, base_url: str) -> Path:
    """Write the demo's configuration (store, outbox, portal sources) and return its path.

    Its paths are relative, and a config file's relative paths are read from its own folder, so
    the demo's store is found from any working directory.
    """
    lines = [
        "# Written by `lianxin demo`: the sample portal's sources and the demo's own store.",
        "# Relative paths are read from this file's folder.",
        'database_url = "sqlite:///lianxin.db"',
        'data_dir = "."',
        "",
        "[notify]",
        'outbox_dir = "outbox"',
        "",
    ]
    for source in portal_sources(base_url):
        lines += [
            "[[sources]]",
            f'name = "{source["name"]}"',
            f'url = "{source["url"]}"',
            f'kind = "{source.get("kind", "auto")}"',
            "",
        ]
    path = folder / "lianxin.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_demo(console: Console, as_of: date | None = None, keep: bool = False) -> None:
    """Serve the portal, run `daily` as of `as_of` (default: the portal's today), summarise."""
    from flows.daily import daily

    day = as_of or PORTAL_TODAY
    if DEMO_DIR.exists() and not keep:
        shutil.rmtree(DEMO_DIR)
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with serve_portal() as base_url, ExitStack() as stack:
        console.print(
            f"[bold]Lianxin demo[/bold] — sample portal of a fictional county at "
            f"{base_url}, as of {day}"
        )
        os.environ["LIANXIN_CONFIG"] = str(write_demo_config(DEMO_DIR, base_url))
        settings = reset_settings()
        with console.status("Starting a local Prefect server (log: var/prefect/server.log)…"):
            stack.enter_context(local_prefect_server(Path("var/prefect")))
        console.print("Running the daily flow: ingest → followups → remind")
        result = daily(as_of=day)
    engine = engine_for(settings.database_url)
    console.rule("Summary")
    run_summary(console, engine, result, period_of(day), settings.notify.outbox_dir)
    console.print(
        f"\nDone in {time.monotonic() - started:.1f} s. Explore the demo's data with\n"
        f"  LIANXIN_CONFIG={DEMO_DIR}/lianxin.toml .venv/bin/lianxin status\n"
        f"Replay another day with  .venv/bin/lianxin demo --as-of 2026-11-11"
    )
    logins = demo_logins(engine)
    console.print(
        f"\nThe dashboard:  LIANXIN_CONFIG={DEMO_DIR}/lianxin.toml .venv/bin/lianxin dashboard\n"
        f"  then open http://{settings.dashboard.host}:{settings.dashboard.port}/ and log in as"
    )
    for username, password, what in logins:
        console.print(f"  {username} / {password}  ({what})", markup=False)
    console.print("  (demo passwords, printed once; change them with `lianxin users passwd`)")
    link = demo_link(engine, settings)
    if link:
        name, url = link
        console.print(
            f"\nEach personal digest in {settings.notify.outbox_dir} links to its phone page "
            f"(no log-in); {name}'s, with the dashboard running:\n  {url}",
            markup=False,
            soft_wrap=True,
        )


def demo_logins(engine: Engine) -> list[tuple[str, str, str]]:
    """Give the demo store an admin and the lead of its first village, with fresh passwords;
    return (user, password, who) for each."""
    from lianxin.dashboard.auth import create_user, set_password
    from lianxin.dashboard.scope import Role
    from lianxin.errors import AccountError
    from lianxin.store import schema as t

    with engine.begin() as conn:
        village = conn.execute(
            select(t.workers.c.village).order_by(t.workers.c.village).limit(1)
        ).scalar()
        wanted = [("admin", Role.admin, None, "admin, the whole county")]
        if village:
            wanted.append(("village", Role.village_lead, village, f"village lead of {village}"))
        logins = []
        for username, role, place, what in wanted:
            password = secrets.token_urlsafe(9)
            try:
                create_user(conn, username, password, role, village=place)
            except AccountError:  # `--keep`: the account is there, give it a new password
                set_password(conn, username, password)
            logins.append((username, password, what))
    return logins


def demo_link(engine: Engine, settings: Settings) -> tuple[str, str] | None:
    """Return (cadre, phone-page address) of the demo's first digest link, or None."""
    from lianxin.notify.links import link_maker
    from lianxin.store import schema as t

    dl, c = t.digest_links, t.cadres
    with engine.connect() as conn:
        row = conn.execute(
            select(dl.c.id, func.coalesce(c.c.name, dl.c.cadre_key))
            .join(c, c.c.key == dl.c.cadre_key, isouter=True)
            .where(dl.c.revoked_at.is_(None))
            .order_by(dl.c.created_at, dl.c.digest_key)
            .limit(1)
        ).first()
    return (row[1], link_maker(settings).url(row[0])) if row else None
