"""`lianxin import` and `lianxin export`: the commands; lianxin.cli.transfer does the work."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from config.settings import get_settings
from lianxin.cli.shared import AsOf, as_day, console


class ImportKindChoice(StrEnum):
    auto = "auto"
    roster = "roster"
    checkin_table = "checkin_table"


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
        console, get_settings(), file, kind.value, apply, as_day(as_of), unmasked=unmasked
    )
    raise typer.Exit(code=code)


class ExportFormatChoice(StrEnum):
    xlsx = "xlsx"
    csv = "csv"


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
