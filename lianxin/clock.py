"""Time: instants in UTC, calendar days in the zone of the setting `rules.timezone`.

The zone is Asia/Shanghai unless the operator's file (or LIANXIN_RULES__TIMEZONE) names
another IANA zone; the settings model refuses a name zoneinfo does not know.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from config.settings import get_settings


def local_zone() -> ZoneInfo:
    """Return the zone calendar days, quiet hours and schedules are reckoned in."""
    return ZoneInfo(get_settings().rules.timezone)  # zoneinfo keeps one instance a name


def utc_now() -> datetime:
    """Return the current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today_local(now: datetime | None = None) -> date:
    """Return the calendar day in `local_zone()` at `now` (default: the current instant)."""
    return (now or utc_now()).astimezone(local_zone()).date()


def local_clock_text(at: datetime | None) -> str:
    """Return an instant as month-day hour:minute on the Asia/Shanghai clock ("" for None);
    a naive value (SQLite hands those back) is read as UTC."""
    if at is None:
        return ""
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(local_zone()).strftime("%m-%d %H:%M")
