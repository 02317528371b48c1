"""The `lianxin` command's one boundary for mistakes: each ends in one line, never a traceback.

Exit codes (as `lianxin --help` says): 2 when the command cannot run as asked — a usage error,
a request Lianxin refuses (`Refused`: an unknown worker, a day out of range, a file that
cannot be imported), a configuration that cannot be read (`ConfigError`), a value a record
refuses (pydantic's `ValidationError`), a database that cannot be opened or written (SQLAlchemy's
`OperationalError` / `DatabaseError`), a folder that may not be written or is a file; 1 for
any other `LianxinError`, a mistake Lianxin reports on purpose. Anything else is a bug and
keeps its traceback. Every command that ends in an error ends through `exit_with_error`, and
`run_guarded` (the installed command) gives an error no command caught the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.exc import DatabaseError, InterfaceError, OperationalError

from lianxin.errors import ConfigError, LianxinError, Refused

# typer ≥0.20 carries its own copy of click: find its UsageError through a public class.
UsageError: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)

# What an SQLite or PostgreSQL driver says, and what to do about it.
DATABASE_FIXES = (
    (
        "not a database",
        "it is not an SQLite store: point database_url at Lianxin's own file, "
        "or restore it from a backup (lianxin db backup makes them)",
    ),
    ("malformed", "the file is damaged: restore it from a backup (lianxin db backup makes them)"),
    ("readonly", "make the file and its folder writable by this user"),
    ("unable to open", "create its folder, or make it writable by this user"),
    ("refused", "start the database server, or correct the host and port in database_url"),
    ("could not translate host", "correct the host in database_url"),
    ("authentication failed", "correct the user or password in database_url"),
    ("does not exist", "create the database (createdb), or correct its name in database_url"),
)


# Mistakes that mean the command cannot run as asked: exit code 2.
CANNOT_RUN = (
    ConfigError,
    Refused,
    ValidationError,
    OperationalError,
    DatabaseError,
    InterfaceError,
    PermissionError,
    FileExistsError,
    NotADirectoryError,
)


def exit_code(error: BaseException | str) -> int:
    """Return the exit code of `error` by the policy above; a message alone is a usage mistake."""
    if isinstance(error, LianxinError) and not isinstance(error, CANNOT_RUN):
        return 1
    return 2


def exit_with_error(error: BaseException | str, code: int | None = None) -> NoReturn:
    """Tell `error` in one line ("error: …" on stderr) and end the command with its exit code
    (`exit_code`, unless `code` says otherwise)."""
    line = one_line(error) if isinstance(error, BaseException) else _flat(error)
    raise typer.Exit(code=_say(line, exit_code(error) if code is None else code))


def income_in_range(value: int | None) -> int | None:
    """Return `value`, or refuse an income the check-in record would refuse, in yuan."""
    from lianxin.records import CheckIn

    if value is None:
        return None
    bounds = CheckIn.model_fields["income_yuan"].metadata
    most = next(b.le for b in bounds if getattr(b, "le", None) is not None)
    if value < 0:
        raise typer.BadParameter(f"{value} is below 0 yuan")
    if value > most:
        raise typer.BadParameter(f"{value} is more than {most} yuan")
    return value


def run_guarded(app: Callable[..., Any], argv: list[str] | None) -> int:
    """Run the typer `app` on `argv` and return its exit code, each mistake told in one line."""
    try:
        code = app(args=argv, standalone_mode=False)
    except UsageError as exc:
        message = exc.format_message().replace("Value error, ", "")  # type: ignore[attr-defined]
        if type(exc).__name__ == "NoArgsIsHelpError":
            if message.strip():  # without rich the help is the message; with it, already shown
                typer.echo(message, err=True)
            return 2
        context = getattr(exc, "ctx", None)
        where = f" (see {context.command_path} --help)" if context is not None else ""
        return _say(f"{_flat(message)}{where}", 2)
    except (*CANNOT_RUN, LianxinError) as exc:
        return _say(one_line(exc), exit_code(exc))
    except Exception as exc:
        if type(exc).__name__ == "Abort":  # Ctrl-D at a prompt
            return _say("aborted", 1)
        raise
    return code if isinstance(code, int) else 0


def one_line(exc: BaseException) -> str:
    """Return the line that tells `exc` (a bad setting, value or database) and its fix."""
    if isinstance(exc, ValidationError):
        return validation_line(exc)
    if isinstance(exc, OperationalError | DatabaseError | InterfaceError):
        return database_line(exc)
    if isinstance(exc, PermissionError):
        return f"{exc.filename or 'a file'}: {exc.strerror}. Fix: make it writable by this user"
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return (
            f"{exc.filename}: {exc.strerror}: a file stands where a folder should be. "
            "Fix: move it away, or correct the path in the configuration"
        )
    return _flat(str(exc))


def validation_line(exc: ValidationError) -> str:
    """Return the first refused value of a record as "field: value is …"."""
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or exc.title
    value = first.get("input")
    message = str(first["msg"]).removeprefix("Value error, ")
    limit = (first.get("ctx") or {}).get("le")
    if first["type"] == "less_than_equal" and limit is not None:
        message = f"is more than {limit}"
    more = f" ({exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return _flat(f"{field}: {value!r} {message}{more}")


def database_line(exc: DatabaseError | InterfaceError) -> str:
    """Return what went wrong with the configured database, which one, and the fix."""
    from config.settings import get_settings
    from lianxin.cli.config_show import mask_database_url

    said = _flat(str(exc.orig or exc)) if exc.orig is not None else _flat(str(exc))
    try:
        url = mask_database_url(get_settings().database_url)
    except ConfigError:
        url = "the database"
    fix = next(
        (fix for clue, fix in DATABASE_FIXES if clue in said.lower()),
        "check database_url (LIANXIN_DATABASE_URL) with `lianxin config check`",
    )
    return f"database_url {url}: {said}. Fix: {fix}"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _say(line: str, code: int) -> int:
    typer.echo(f"error: {line}", err=True)
    return code
