"""The watchdog flow: check Lianxin's own runs and sources, alert the operator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow

from lianxin.clock import utc_now
from tasks.watchdog import alert_operator, check_health, record_failure


@flow(name="watchdog", on_failure=[record_failure], on_crashed=[record_failure])
def watchdog(now: datetime | None = None) -> dict[str, Any]:
    """Alert the operator of sources that stopped yielding, failing channels, missed cron runs."""
    at = now or utc_now()
    alerts = check_health(at)
    sent = alert_operator(alerts, at)
    return {"alerts": [a.line() for a in alerts], "delivery": sent}
