"""`lianxin cadres handover OLD NEW [--village V] [--dry-run]`: a caseload changes hands."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from config.settings import get_settings
from lianxin.cli.errors import exit_with_error
from lianxin.cli.shared import cli_actor, console
from lianxin.errors import LianxinError

cadres_app = typer.Typer(
    help="Cadres (干部) and their caseloads. Example: lianxin cadres handover 李建国 周敏",
    no_args_is_help=True,
)


@cadres_app.command("handover")
def cadres_handover(
    old: Annotated[str, typer.Argument(help="The cadre handing over: a key (镇|姓名) or name.")],
    new: Annotated[str, typer.Argument(help="The cadre taking over: a key or a name.")],
    village: Annotated[
        str | None, typer.Option("--village", help="Hand over only this village's workers.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would move; change nothing.")
    ] = False,
) -> None:
    """Hand OLD's caseload (or one village's) to NEW: workers and open calls move; from the
    next run NEW gets the digests. Audited.

    Example: lianxin cadres handover '石桥镇|李建国' '石桥镇|周敏' --village 青山村 --dry-run
    """
    from lianxin.clock import utc_now
    from lianxin.dashboard import audit
    from lianxin.services.handover import Handover, handover
    from lianxin.store.engine import engine_for

    actor = cli_actor()

    def record(conn: Any, done: Handover) -> None:
        detail = {"to": done.new, "village": done.village or "", "workers": done.workers}
        detail["obligations"] = done.obligations
        audit.record(conn, None, "cadre_handover", done.old, detail, username=actor)

    try:
        engine = engine_for(get_settings().database_url)
        done = handover(
            engine, old, new, village, utc_now(), actor=actor, dry_run=dry_run, audit=record
        )
    except LianxinError as exc:
        exit_with_error(exc)
    verb = "Would hand" if dry_run else "Handed"
    console.print(
        f"{verb} {done.workers} workers and {done.obligations} open follow-ups from "
        f"{done.old} to {done.new}" + (f" ({done.village})" if done.village else "") + ".",
        markup=False,
    )
    for name, count in done.villages.items():
        console.print(f"  {name}: {count} workers", markup=False)
    if dry_run:
        console.print("Dry run: nothing changed.")
    console.print(json.dumps({"handover": done.as_dict()}, ensure_ascii=False), markup=False)
