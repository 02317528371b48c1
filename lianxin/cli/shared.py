"""What every `lianxin` command group shares: the one console, the --as-of option, the actor.

Messages are not wrapped: a wrapped URL or key cannot be copied back into a command. Tables
still fit the terminal's width.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.console import Console

console = Console(soft_wrap=True)

AsOf = Annotated[
    datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="Evaluate as of this day (YYYY-MM-DD); default today in Asia/Shanghai.",
    ),
]


def as_day(value: datetime | None) -> date | None:
    """Return the day of an option given as YYYY-MM-DD, or None when it was not given."""
    return value.date() if value else None


def cli_actor() -> str:
    """Return who acts, as the audit trail names a change made on this terminal."""
    import getpass

    return f"cli:{getpass.getuser()}"
