"""`lianxin config show|check|reference`: the configuration, its layers and its mistakes."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from lianxin.cli.errors import exit_with_error

config_app = typer.Typer(
    help="Show and check the configuration: defaults, your file, LIANXIN_ variables. "
    "Example: lianxin config check",
    no_args_is_help=True,
)


def _loaded_config(look_further: bool = False) -> tuple[Any, Any, list[Any]]:
    """Return (layers, settings, mistakes) read afresh; exit 2 if unreadable, 1 listing invalid
    values (with `look_further`, only when they leave no settings to look further into)."""
    from lianxin.cli.config_check import load
    from lianxin.errors import ConfigError

    try:
        layers, settings, mistakes = load()
    except ConfigError as exc:
        exit_with_error(exc)
    if settings is None or (mistakes and not look_further):
        for finding in mistakes:
            typer.echo(finding.line())
        typer.echo(f"{len(mistakes)} mistake(s): the configuration is not valid", err=True)
        raise typer.Exit(code=1)
    return layers, settings, mistakes


@config_app.command("show")
def config_show(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print layers and settings as JSON.")
    ] = False,
) -> None:
    """Print the effective configuration, secrets masked, and where each layer came from.

    ${NAME} placeholders are shown as written and environment variables by name only.
    Example: lianxin config show --json
    """
    from lianxin.cli.config_show import effective, to_toml

    layers, settings, _ = _loaded_config()
    data = effective(settings)
    if as_json:
        payload = {"layers": layers.as_dict(), "settings": data}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    typer.echo("# Effective configuration, secrets masked. Layers, each overriding the last:")
    for line in layers.describe():
        typer.echo(f"#   {line}")
    typer.echo()
    typer.echo(to_toml(data), nl=False)


@config_app.command("check")
def config_check() -> None:
    """Find mistakes in the configuration, one line each: where, what, and how to fix it.

    Checks the settings, sources, routes and their ${NAME} secrets, templates, and whether the
    database answers and is at the current migration. Exit 0 when fine (warnings allowed), 1
    on mistakes, 2 when the configuration cannot be read. Example: lianxin config check
    """
    from lianxin.cli.config_check import check, routes

    layers, settings, mistakes = _loaded_config(look_further=True)
    findings = mistakes + check(settings, layers)
    for finding in findings:
        typer.echo(finding.line())
    errors = sum(finding.level == "error" for finding in findings)
    warnings = len(findings) - errors
    if errors:
        typer.echo(f"{errors} mistake(s), {warnings} warning(s)", err=True)
        raise typer.Exit(code=1)
    typer.echo(
        f"configuration OK: {len(settings.sources)} source(s), "
        f"{len(list(routes(settings)))} route(s), {warnings} warning(s)",
        err=True,
    )


@config_app.command("reference")
def config_reference() -> None:
    """Print the configuration reference, generated from the settings model, as Markdown.

    Example: lianxin config reference > docs/configuration.md
    """
    from lianxin.cli.config_doc import render

    typer.echo(render(), nl=False)
