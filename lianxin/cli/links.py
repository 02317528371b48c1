"""`lianxin links list|revoke`: the phone-page links in personal digests (never their tokens)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Column, Table

from config.settings import get_settings
from lianxin.cli.errors import exit_with_error
from lianxin.cli.shared import cli_actor, console
from lianxin.errors import LianxinError, LinkRefused

links_app = typer.Typer(
    help="The links in personal check-in digests to the one-tap phone page: list, revoke. "
    "Example: lianxin links revoke --cadre '青山村|王芳'",
    no_args_is_help=True,
)


@links_app.command("list")
def links_list(
    cadre: Annotated[str | None, typer.Option(help="Only this cadre's links (their key).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 50,
) -> None:
    """List the newest links: id, cadre, digest, expiry, revoked, read (已读) and when.

    Example: lianxin links list --cadre '青山村|王芳'
    """
    from lianxin.services.links import list_links
    from lianxin.store.engine import engine_for

    rows = list_links(engine_for(get_settings().database_url), cadre, limit)
    # The id unwrapped: it is what `links revoke` is given.
    headers = ("cadre", "digest", "workers", "expires", "revoked", "read", "last read")
    table = Table(Column("id", no_wrap=True), *headers)
    for r in rows:
        table.add_row(
            r["id"],
            r["cadre_key"],
            r["digest_key"],
            str(r["workers"]),
            f"{r['expires_at']:%Y-%m-%d %H:%M}",
            f"{r['revoked_at']:%Y-%m-%d %H:%M}" if r["revoked_at"] else "",
            "已读" if r["first_read_at"] else "未读",
            f"{r['last_read_at']:%Y-%m-%d %H:%M}" if r["last_read_at"] else "",
        )
    console.print(table if rows else "No links yet: they are made when digests are sent.")


@links_app.command("revoke")
def links_revoke(
    link_id: Annotated[
        str | None, typer.Argument(help="The link's id (from `lianxin links list`).")
    ] = None,
    cadre: Annotated[
        str | None, typer.Option(help="Revoke every live link of this cadre (their key).")
    ] = None,
) -> None:
    """Revoke a link (or all of a cadre's): it answers 403 from now on and records nothing.

    Example: lianxin links revoke AbCdEfGhIjKlMnOp   or   lianxin links revoke --cadre KEY
    """
    from lianxin.clock import utc_now
    from lianxin.dashboard import audit
    from lianxin.services.links import revoke
    from lianxin.store.engine import engine_for

    try:
        if (link_id is None) == (cadre is None):
            raise LinkRefused("usage")
        engine = engine_for(get_settings().database_url)
        n = revoke(engine, utc_now(), link_id=link_id, cadre_key=cadre)
        with engine.begin() as conn:
            target = link_id or cadre or ""
            audit.record(conn, None, "revoke_link", target, {"revoked": n}, username=cli_actor())
    except LianxinError as exc:
        exit_with_error(exc)
    console.print(f"Revoked {n} link{'s' if n != 1 else ''}.")
