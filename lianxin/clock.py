"""Time: instants in UTC, calendar days in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc_now() -> datetime:
    """Return the current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today_shanghai(now: datetime | None = None) -> date:
    """Return the calendar day in Asia/Shanghai at `now` (default: the current instant)."""
    return (now or utc_now()).astimezone(SHANGHAI).date()
