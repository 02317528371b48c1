"""How the dashboard writes a day: 11月10日 in Chinese (2025年11月10日 outside this year), ISO in
English. The one helper every template uses, as the Jinja filter `day` (`{{ r.due | day }}`).

Exports and CSV files never go through it: they keep ISO dates whatever the page's language.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from lianxin.clock import local_zone, today_local


def written_day(value: date | datetime | str | None, language: str, today: date) -> str:
    """Return `value` as the page writes a day in `language`: "" for none.

    Chinese: 11月10日, with the year (2025年11月10日) when it is not `today`'s year. English
    (and any other language): 2025-11-10. An instant is first put on the local calendar; a
    string that is not an ISO day is shown as it is.
    """
    day = _as_day(value)
    if day is None:
        return "" if value is None else str(value)
    if language != "zh":
        return day.isoformat()
    if day.year == today.year:
        return f"{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def _as_day(value: date | datetime | str | None) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(local_zone()).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


@pass_context
def day_filter(context: Context, value: Any) -> str:
    """The `day` filter: `written_day` in the page's language, as of today (or the page's
    `today`, where the page passes one)."""
    today = _as_day(context.get("today")) or today_local()
    return written_day(value, str(context.get("lang", "zh")), today)
