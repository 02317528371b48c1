"""The watchdog's tasks, and the hook that records a failed flow run for the runs page.

The operator hears of a failed run from the Prefect automation `lianxin: failed run`
(flows/automations.py), not from here."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import FlowRun, State

from lianxin.clock import utc_now
from lianxin.services.watchdog import Alert, as_utc, check, one_line, send_alerts
from lianxin.store import reads
from tasks.common import engine, settings

log = logging.getLogger(__name__)


@task(name="check-health", cache_policy=NO_CACHE)
def check_health(now: datetime) -> list[Alert]:
    """Return the alerts that hold at `now`: missed runs, drifting sources, failed runs."""
    alerts = check(engine(), now, settings())
    logger = get_run_logger()
    for alert in alerts:
        logger.warning("Watchdog: %s", alert.line())
    return alerts


@task(name="alert-operator", cache_policy=NO_CACHE)
def alert_operator(alerts: list[Alert], now: datetime) -> dict[str, Any]:
    """Send the alerts to the operator's routes, each once a day; return the delivery counts."""
    if not alerts:
        return {"intended": 0}
    return send_alerts(engine(), alerts, settings(), now).as_dict()


def record_failure(flow: Any, flow_run: FlowRun, state: State) -> None:
    """Record the failed run with its error (the dashboard's runs page); never raise.

    A Prefect `on_failure` / `on_crashed` hook: an exception here would hide the flow's own,
    so every error is logged and swallowed.
    """
    try:
        now = utc_now()
        started = as_utc(flow_run.start_time) if flow_run.start_time else now
        error = one_line(state.message or state.name or "failed without a message")
        run_id = str(flow_run.id)
        status = "crashed" if state.is_crashed() else "failed"
        reads.record_run(
            engine(),
            flow.name,
            _as_of(flow_run.parameters.get("as_of")),
            started,
            now,
            status,
            {"error": error, "state": state.name},
            run_id,
        )
    except Exception:  # the boundary: a failing record must not mask the failure itself
        log.exception("Could not record that flow run %s failed", flow_run.name)


def _as_of(value: Any) -> date | None:
    # Parameters arrive as given to the flow: a date, an ISO string or nothing.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
