"""Run a flow now, on this machine, against a properly managed local Prefect server."""

from __future__ import annotations

from datetime import date
from typing import Any

from config.settings import get_settings
from lianxin.prefect_server import local_prefect_server


def run_flow(
    name: str,
    as_of: date | None,
    dry_run: bool = False,
    sources: list[str] | None = None,
    full: bool = False,
) -> dict[str, Any]:
    """Run flow `name` (ingest, followups, remind, daily) once and return its result."""
    from flows.daily import daily
    from flows.followups import followups
    from flows.ingest import ingest
    from flows.remind import remind

    home = get_settings().data_dir / "prefect"
    with local_prefect_server(home):
        if name == "ingest":
            return ingest(as_of=as_of, sources=sources, dry_run=dry_run)
        if name == "followups":
            return followups(as_of=as_of, dry_run=dry_run, mode="full" if full else "incremental")
        if name == "remind":
            return remind(as_of=as_of, dry_run=dry_run)
        return daily(as_of=as_of, sources=sources, dry_run=dry_run)
