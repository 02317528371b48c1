"""How the dashboard writes a day: 11月10日 in Chinese (2025年11月10日 outside this year), ISO in
English. The one helper every template uses, as the Jinja filter `day` (`{{ r.due | day }}`),
and `moment` for an instant with its local time (11月8日 10:00; 2026-11-08 10:00 in English).

Exports and CSV files never go through it: they keep ISO dates whatever the page's language.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
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


def written_moment(value: datetime | None, language: str, today: date) -> str:
    """Return an instant as its local day (`written_day`) and time of day, HH:MM; "" for none.

    A naive value (SQLite hands those back for the store's UTC instants) is read as UTC."""
    if value is None:
        return ""
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(local_zone())
    return f"{written_day(local.date(), language, today)} {local:%H:%M}"


def _as_day(value: date | datetime | str | None) -> date | None:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(local_zone()).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _page(context: Context) -> tuple[str, date]:
    """Return the page's language and today (the page's own `today`, where it passes one)."""
    return str(context.get("lang", "zh")), _as_day(context.get("today")) or today_local()


@pass_context
def day_filter(context: Context, value: Any) -> str:
    """The `day` filter: `written_day` in the page's language."""
    return written_day(value, *_page(context))


@pass_context
def moment_filter(context: Context, value: Any) -> str:
    """The `moment` filter: `written_moment` in the page's language."""
    return written_moment(value, *_page(context))
