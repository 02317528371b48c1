"""`lianxin users add|list|passwd|disable`: the dashboard's accounts."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from config.settings import get_settings
from lianxin.cli.errors import exit_with_error
from lianxin.cli.shared import cli_actor, console

users_app = typer.Typer(
    help="Dashboard accounts: add, list, change a password, disable. "
    "Example: lianxin users add wangfang --role village_lead --village 青山村",
    no_args_is_help=True,
)


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
        exit_with_error(unknown)
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
        audit.record(conn, None, "user_add", username, detail, username=cli_actor())
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
        audit.record(conn, None, "user_passwd", username, username=cli_actor())
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
        audit.record(conn, None, action, username, username=cli_actor())
    typer.echo(f"{username} {'enabled' if enable else 'disabled'}")
