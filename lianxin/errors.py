"""Lianxin's exceptions, one tree.

LianxinError
├── ConfigError          bad settings, found at start-up (names the setting and the fix)
├── FetchError           a source could not be fetched (carries the URL)
├── ParseError           a page or row could not be parsed (carries URL and row)
├── ImportRejected       an uploaded table cannot be imported as asked (carries the file name)
│   └── UploadRefused    refused before or while parsing: too large, a zip bomb, too slow
├── ProblemMarkRefused   a problem cannot be marked rectified/verified as asked (carries its key)
├── DateOutOfRange       a day given for a call, mark or waiver is after today or too early
└── ChannelError         a message could not be delivered (carries the channel)
    └── PermanentChannelError   retrying will not help (bad URL, rejected credentials)
"""

from __future__ import annotations

from datetime import date


class LianxinError(Exception):
    """Base of every error Lianxin raises on purpose."""


class ConfigError(LianxinError):
    def __init__(self, setting: str, problem: str, fix: str) -> None:
        super().__init__(f"{setting}: {problem}. Fix: {fix}")
        self.setting = setting


class FetchError(LianxinError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class ParseError(LianxinError):
    def __init__(self, url: str, reason: str, row: int | None = None) -> None:
        where = f"{url} row {row}" if row is not None else url
        super().__init__(f"{where}: {reason}")
        self.url = url
        self.row = row
        self.reason = reason


class ImportRejected(LianxinError):
    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason


class UploadRefused(ImportRejected):
    """An upload refused by a limit, before parsing (its declared sizes, its rows) or while
    parsing (time, memory); `code` is a key a page translates, `details` its numbers."""

    def __init__(self, filename: str, code: str, reason: str, **details: object) -> None:
        super().__init__(filename, reason)
        self.code = code
        self.details = details


class ProblemMarkRefused(LianxinError):
    """A mark (已整改 / 已销号) the problem's status or dates do not allow; `reason` is a code a
    page translates: unknown, not_open, not_rectified, future, before_found, too_early (no day
    found is known and the day is over a year back), before_rectified, changed (someone else
    marked it first)."""

    def __init__(self, key: str, reason: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.reason = reason


class DateOutOfRange(LianxinError):
    """A day after `latest` (today) or before `earliest`; `reason` is "future" or "too_early",
    a code a page translates; `field` names what the day was for (call_date, given_on, …)."""

    def __init__(self, field: str, day: date, earliest: date, latest: date, reason: str) -> None:
        where = f"after today ({latest})" if reason == "future" else f"before {earliest}"
        super().__init__(f"{field} {day} is {where}")
        self.field = field
        self.day = day
        self.earliest = earliest
        self.latest = latest
        self.reason = reason


class ChannelError(LianxinError):
    permanent = False

    def __init__(self, channel: str, reason: str) -> None:
        super().__init__(f"{channel}: {reason}")
        self.channel = channel
        self.reason = reason


class PermanentChannelError(ChannelError):
    permanent = True
