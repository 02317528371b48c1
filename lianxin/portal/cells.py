"""Write values the way village clerks type them: several date, money and yes/no styles."""

from __future__ import annotations

from datetime import date

from lianxin.records import WorkStatus

_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def fmt_date(day: date, style: str) -> str:
    """Return `day` written in one of the styles seen on portals."""
    if style == "cn":
        return f"{day.year}年{day.month}月{day.day}日"
    if style == "md":
        return f"{day.month}月{day.day}日"
    if style == "dot":
        return f"{day.year}.{day.month}.{day.day}"
    if style == "slash":
        return day.strftime("%Y/%m/%d")
    if style == "loose":
        return f"{day.year}-{day.month}-{day.day}"
    return day.isoformat()


def fmt_money(amount: int | None, style: str, missing: str) -> str:
    """Return an income in yuan as typed: 4500, ４５００, 4500元 or 4,500."""
    if amount is None:
        return missing
    if style == "fullwidth":
        return str(amount).translate(_FULL_WIDTH)
    if style == "yuan":
        return f"{amount}元"
    if style == "comma":
        return f"{amount:,}"
    return str(amount)


def full_width(text: str) -> str:
    """Return `text` with ASCII digits turned full-width (as Word tables often have them)."""
    return text.translate(_FULL_WIDTH)


def mask_phone(phone: str) -> str:
    """Return a phone as published on public pages: 138****5678."""
    return f"{phone[:3]}****{phone[-4:]}"


def mask_id(id_number: str) -> str:
    """Return an ID number as published: 4399**********123X (first 4 and last 4 kept)."""
    return id_number[:4] + "*" * 10 + id_number[-4:]


STATUS_WORDS: dict[str, dict[WorkStatus, str]] = {
    "plain": {
        WorkStatus.employed: "在岗务工",
        WorkStatus.looking: "待业",
        WorkStatus.returned: "返乡",
        WorkStatus.other: "其他",
    },
    "short": {
        WorkStatus.employed: "务工",
        WorkStatus.looking: "求职中",
        WorkStatus.returned: "返乡在家",
        WorkStatus.other: "其他",
    },
    "formal": {
        WorkStatus.employed: "已就业",
        WorkStatus.looking: "未就业（求职）",
        WorkStatus.returned: "返乡",
        WorkStatus.other: "其他",
    },
}
