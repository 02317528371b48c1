"""Lianxin's exceptions, one tree.

LianxinError
├── ConfigError          bad settings, found at start-up (names the setting and the fix)
├── FetchError           a source could not be fetched (carries the URL)
├── UnreadableFile       a page or file cannot be read at all; the message is the reason
│   ├── UndecodableError no codec turns the bytes into clean text
│   ├── SheetError       not readable as a spreadsheet or document (.xlsx .xls .csv .docx .pdf)
│   └── TableTooLarge    a table over parsing.max_table_rows, refused before reading a cell
├── Refused              a request cannot be carried out as asked: the asker's mistake, told back
│   ├── ImportRejected   an uploaded table cannot be imported as asked (carries the file name)
│   │   └── UploadRefused    refused before or while parsing: too large, a zip bomb, too slow
│   ├── ProblemMarkRefused   a problem cannot be marked rectified/verified as asked (its key)
│   ├── DateOutOfRange   a day given for a call, mark or waiver is after today or too early
│   ├── UnknownWorker    no roster worker, or more than one, matches what was typed
│   ├── WaiverRefused    a waiver without a known category, a reason or who gives it
│   ├── ExportRefused    an unknown table or format, a filter it does not take, no period
│   ├── AccountError     a dashboard account cannot be made or changed as asked
│   ├── LinkRefused      a digest's phone-page link is altered, unknown, revoked, expired or
│   │                    asked about a worker outside its digest (carries why, never the token)
│   ├── HandoverRefused  a caseload handover to or from an unknown cadre, or to the same one
│   └── CopyRefused      a store copy to a target that holds data, is not PostgreSQL, or from
│                        a store behind its migrations (carries the masked target)
├── SandboxFailed        a child process (an upload's parse) gave no answer: timeout, memory, died
└── ChannelError         a message could not be delivered (carries the channel)
    └── PermanentChannelError   retrying will not help (bad URL, rejected credentials)
"""

from __future__ import annotations

from datetime import date
from typing import Literal


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


class UnreadableFile(LianxinError):
    """A page or file that cannot be read at all; the message is the reason. A page, an
    attachment or an upload that raises one is recorded as failed with that reason."""


class UndecodableError(UnreadableFile):
    """Raised when no codec turns the bytes into clean text; the message is the reason."""


class SheetError(UnreadableFile):
    """Raised when a file cannot be read as a spreadsheet; the message is the reason."""


class TableTooLarge(UnreadableFile):
    """A table with more rows than the parser is allowed to read (refused before reading)."""

    def __init__(self, rows: int, limit: int) -> None:
        super().__init__(
            f"table of {rows:,} rows is over parsing.max_table_rows ({limit:,}): raise it "
            "(LIANXIN_PARSING__MAX_TABLE_ROWS, or max_table_rows under [parsing] in the "
            "config file) to read it"
        )
        self.rows = rows
        self.limit = limit


class Refused(LianxinError):
    """A request that cannot be carried out as asked; the `lianxin` command exits 2 on one."""


class ImportRejected(Refused):
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


class ProblemMarkRefused(Refused):
    """A mark (已整改 / 已销号) the problem's status or dates do not allow; `reason` is a code a
    page translates: unknown, not_open, not_rectified, future, before_found, too_early (no day
    found is known and the day is over a year back), before_rectified, changed (someone else
    marked it first)."""

    def __init__(self, key: str, reason: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.reason = reason


class DateOutOfRange(Refused):
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


class UnknownWorker(Refused):
    """Raised when no roster worker, or more than one, matches what was typed."""


class WaiverRefused(Refused):
    """A waiver with an unknown category, or without a reason or the name of who gives it."""


class ExportRefused(Refused):
    """An export asked of an unknown table or format, with a filter the table does not take,
    or of check-ins without a period."""


class AccountError(Refused):
    """An account cannot be made or changed as asked (unknown user, missing place, …)."""


class LinkRefused(Refused):
    """A phone-page link that may not be used as asked. `reason`: altered (bad signature or not
    a token), unknown (no such link), revoked, expired, scope (a worker outside the digest),
    closed (that call is recorded already) or usage (revoke asked neither or both). The
    message never carries the token."""

    STATUS = {"expired": 410, "closed": 409}  # the rest answer 403

    def __init__(self, reason: str, link_id: str | None = None) -> None:
        if reason == "usage":
            super().__init__("give one link id, or --cadre with a cadre's key: one of the two")
        else:
            super().__init__(f"link {link_id or '?'} refused: {reason}")
        self.reason = reason
        self.link_id = link_id

    @property
    def status(self) -> int:
        """Return the HTTP status the phone page answers this refusal with."""
        return self.STATUS.get(self.reason, 403)


class HandoverRefused(Refused):
    """A handover that cannot be made: an unknown or ambiguous cadre, the same cadre on both
    sides, a village the old cadre has no workers in; `reason` is a code a page translates
    (unknown, ambiguous, same, empty)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class CopyRefused(Refused):
    """A store copy that cannot start; `target` is the target's URL, its password masked."""

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"{target}: {reason}")
        self.target = target
        self.reason = reason


class SandboxFailed(LianxinError):
    """The child gave no answer: `failure` says why (timeout, memory, died), `detail` more."""

    def __init__(self, failure: Literal["timeout", "memory", "died"], detail: str = "") -> None:
        super().__init__(f"{failure}: {detail}" if detail else failure)
        self.failure = failure
        self.detail = detail


class ChannelError(LianxinError):
    permanent = False

    def __init__(self, channel: str, reason: str) -> None:
        super().__init__(f"{channel}: {reason}")
        self.channel = channel
        self.reason = reason


class PermanentChannelError(ChannelError):
    permanent = True
