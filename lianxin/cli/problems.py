"""`lianxin problem rectified|verified`: a supervision problem marked by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from config.settings import get_settings
from lianxin.cli.errors import exit_with_error
from lianxin.cli.shared import cli_actor, console
from lianxin.errors import LianxinError

problem_app = typer.Typer(
    help="Mark supervision problems (问题清单) rectified or verified by hand. "
    "Example: lianxin problem rectified 'https://…/notice.html#一(一)1' --on 2026-11-20",
    no_args_is_help=True,
)

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
        audit.record(conn, None, f"problem_{status}", key, detail, username=cli_actor())

    try:
        engine = engine_for(settings.database_url)
        done = mark(engine, status, key, day, settings.rules, now, audit=record)
    except LianxinError as exc:
        exit_with_error(exc)
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
