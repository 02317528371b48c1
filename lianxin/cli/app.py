"""The `lianxin` command: the root typer app; each command group lives in its own module.

Examples:
    lianxin demo                       # the whole job against the bundled sample portal
    lianxin run daily --as-of 2026-12-08
    lianxin parse page.html --json
    lianxin status
    lianxin watchdog                   # exit 1 and alert the operator: drift, a failing channel
    lianxin automations apply          # Prefect automations alert on late and failed runs
    lianxin serve                      # run the deployments on their schedules, with the UI
    lianxin backfill --from 2026-11-01 --to 2026-11-10
    lianxin users add wangfang --role village_lead --village 青山村
    lianxin dashboard                  # the web dashboard, behind a log-in
    lianxin links revoke --cadre KEY   # a cadre's phone-page links stop working
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

from lianxin.cli import (
    automations,
    cadres,
    checkins,
    config,
    db,
    files,
    links,
    problems,
    reports,
    runs,
    serve,
    users,
)
from lianxin.cli.errors import run_guarded
from lianxin.cli.shared import console

app = typer.Typer(
    name="lianxin",
    help="Lianxin (连心): from published reports to reminders, so that no migrant worker is "
    "forgotten. Run `lianxin demo` first.",
    epilog="Exit codes: 0 done, nothing wrong; 1 something to act on (watchdog alerts, "
    "config check mistakes, a database behind its migrations) or an error Lianxin reports; "
    "2 the command could not run as asked (a usage error, a configuration that cannot be "
    "read, a page that cannot be parsed).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# In the order `lianxin --help` lists them.
app.command()(runs.demo)
app.command()(runs.run)
app.command()(serve.serve)
app.command()(runs.backfill)
app.command()(reports.parse)
app.command()(reports.reparse)
app.command()(reports.explain)
app.command()(reports.preview)
app.command()(checkins.waive)
app.add_typer(checkins.checkin_app, name="checkin")
app.add_typer(problems.problem_app, name="problem")
app.command("import")(files.import_)
app.command("export")(files.export)
app.command()(reports.status)
app.command()(runs.watchdog)
app.add_typer(config.config_app, name="config")
app.add_typer(db.db_app, name="db")
app.command()(serve.dashboard)
app.add_typer(users.users_app, name="users")
app.add_typer(links.links_app, name="links")
app.add_typer(cadres.cadres_app, name="cadres")
app.add_typer(automations.automations_app, name="automations")

__all__ = ["app", "console", "main"]


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI; a bad option, setting or database ends in one line and exit code 2, a
    LianxinError in its message and 1, never in a traceback (lianxin/cli/errors.py)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    sys.exit(run_guarded(app, argv))


if __name__ == "__main__":
    main()
