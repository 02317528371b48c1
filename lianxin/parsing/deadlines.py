"""Read a rectification deadline (整改时限) as notices write it: a date, or a rule.

Besides dates (12月15日前, 2026年12月31日), notices write rules relative to the notice itself:
立行立改 (at once: the notice's date), 限期10日内 / 10天内 (ten calendar days after it), 5个工作日内
(five working days, China's official calendar), 月底前, 年底前, 春节前 — all read by
`dates.parse_deadline`, counting from the notice's publication date.
"""

from __future__ import annotations

import re
from datetime import date

from lianxin.parsing.dates import parse_date, parse_deadline, prepare
from lianxin.parsing.text import is_missing

# Rules that count from the notice; without the notice's date they cannot be read.
_RELATIVE = re.compile(
    r"立行立改|立即整改|即知即改|立查立改|马上整改|立即|"
    r"\d+\s*(?:个)?\s*(?:工作日|日|天|周|个月|月)\s*(?:内|之内|以内)|限期|"
    r"月底|月末|年底|年末|年内|春节|旬"
)


def read_deadline(text: str | None, notice_date: date | None, year: int | None) -> date | None:
    """Return the deadline `text` sets; None when blank; raise ValueError when unreadable.

    Rules count from `notice_date` (the notice's publication date); without it a rule cannot
    be read and raises, and a month and day without a year take `year`.
    """
    if is_missing(text):
        return None
    if notice_date is not None:
        return parse_deadline(text, notice_date)
    value = prepare(text)
    if _RELATIVE.search(value) and not re.search(r"\d{1,2}\s*月\s*\d{1,2}", value):
        raise ValueError(f"deadline {value!r} counts from the notice, which has no date")
    return parse_date(value, year)
