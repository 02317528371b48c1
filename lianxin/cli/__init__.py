"""The `lianxin` command line: the typer app in `lianxin.cli.app`, one module per command group.

The only layer that imports `flows`. `main` is the installed entry point (`lianxin.cli:main`);
it imports the app only when called, so `lianxin.cli.errors` loads without the rest.
"""

from __future__ import annotations


def main() -> None:
    """Run the `lianxin` command."""
    from lianxin.cli.app import main as run

    run()
