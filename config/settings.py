"""One settings model for Lianxin, read from a TOML file and `LIANXIN_…` environment variables.

Precedence, highest first: arguments given in code, environment (`LIANXIN_DATABASE_URL`,
nested with `__`, e.g. `LIANXIN_RULES__CHECKIN_LAST_DAY=12`), the TOML file named by
`LIANXIN_CONFIG` (else `./lianxin.toml` when present), then the shipped defaults in
`config/defaults.toml`.

A relative path in the operator's file (an SQLite `database_url`, `data_dir`, `notify.outbox_dir`,
`notify.templates_dir`) is read from that file's folder, so the file means the same store from
any working directory; one from the environment or the shipped defaults (`var/…`) is read from
the working directory, as before.

Settings that cannot be read raise `ConfigError` naming the file or the setting and the fix.
"""

from __future__ import annotations

import codecs
import ipaddress
import os
import re
import tomllib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse as parse_rate
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from lianxin.errors import ConfigError
from lianxin.records import ReportKind, WorkStatus

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULTS_FILE = CONFIG_DIR / "defaults.toml"
TEMPLATES_DIR = CONFIG_DIR / "templates"
DOCS = "docs/configuration.md"
# The settings holding a folder, as TOML paths; database_url is anchored on its own.
PATH_SETTINGS = (("data_dir",), ("notify", "outbox_dir"), ("notify", "templates_dir"))
SOURCE_KINDS = ("auto", *(kind.value for kind in ReportKind))
FETCHED_SCHEMES = ("http", "https")
# What notify.channels.expand_secrets fills in a route: ${NAME} from the environment,
# ${secret:block-name} from a Prefect Secret block. Any other ${…} would be sent as written.
PLACEHOLDER = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
SECRET_BLOCK = re.compile(r"\$\{secret:([a-z0-9][a-z0-9-]*)\}")
ANY_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
ROLE_KEY = re.compile(r"^(?:(?:village|town):.+|county)$")

# The model's own checks raise, so every command stops at start-up on a mistake. Under
# `lenient()` the checks marked so let the value through instead: `lianxin config check`,
# having listed them, can still look at routes, templates and the database.
_LENIENT: ContextVar[bool] = ContextVar("lianxin_settings_lenient", default=False)


@contextmanager
def lenient() -> Iterator[None]:
    """Read settings with the model's value checks reported by the first reading only."""
    token = _LENIENT.set(True)
    try:
        yield
    finally:
        _LENIENT.reset(token)


def refuse(message: str) -> None:
    """Raise ValueError(message) unless under `lenient()`."""
    if not _LENIENT.get():
        raise ValueError(message)


# A mistake found across fields: (its location, message, the value, pydantic's error type).
Problem = tuple[tuple[str | int, ...], str, Any, str]


def refuse_at(title: str, problems: list[Problem]) -> None:
    """Raise one validation error per (location, message, value, error type), unless under
    `lenient()`."""
    if problems and not _LENIENT.get():
        raise ValidationError.from_exception_data(
            title,
            [
                InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=value)
                for loc, message, value, kind in problems
            ],
        )


def _route(route: str) -> str:
    for name in dict.fromkeys(ANY_PLACEHOLDER.findall(route)):
        written = f"${{{name}}}"
        if not (PLACEHOLDER.fullmatch(written) or SECRET_BLOCK.fullmatch(written)):
            refuse(
                f"{written} is neither ${{UPPER_CASE_NAME}} (environment) nor "
                "${secret:block-name} (Prefect Secret block), so it would be sent as written: "
                f"write ${{{name.upper()}}} and export {name.upper()}, or name a Secret block"
            )
    return route


def _role(role: str) -> str:
    if not ROLE_KEY.match(role):
        refuse(
            "is not a role escalations go to, so its routes are never used: "
            'write "village:<村名>", "town:<镇名>" or "county"'
        )
    return role


def _scheme(scheme: str) -> str:
    if "://" in scheme or scheme != scheme.lower():
        refuse(
            "pacing goes by URL scheme, and this is not one: "
            'write the lower-case scheme alone, e.g. wecombot = "20/minute"'
        )
    return scheme


def _work_status(status: str) -> str:
    statuses = sorted(status.value for status in WorkStatus)
    if status not in statuses:
        refuse(f"{status!r} is not a work status: use {', '.join(statuses)}")
    return status


# A route as written (an Apprise URL or outbox://, with ${NAME} or ${secret:name} in it).
Route = Annotated[str, AfterValidator(_route)]


class Section(BaseModel):
    """A table of settings: a name it does not know is a mistake, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class SourceSettings(Section):
    """A published place Lianxin reads: a listing page (with pagination) or a single report."""

    name: str = Field(
        description="A name of its own: records, quarantine and the drift check go by it."
    )
    url: str = Field(
        description="The http(s) page to read: a listing page (栏目列表页), whose reports and "
        "下一页 pages are followed, or a single report."
    )
    kind: str = Field(
        default="auto",
        description="What the page is: auto (detect it), listing, roster (就业服务一览表), "
        "checkin_table, problem_list or article.",
    )
    max_pages: int = Field(
        default=20, ge=1, le=10_000, description="Listing pages followed at most."
    )
    encoding: str | None = Field(
        default=None,
        description="A codec to force (e.g. gb18030) when a site lies about its charset.",
    )

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            refuse(
                "is empty: give every source a name of its own, records and the watchdog go by it"
            )
        return value

    @field_validator("url")
    @classmethod
    def _fetched_over_http(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme.lower() not in FETCHED_SCHEMES or not parts.netloc:
            refuse(
                "is not an http(s) URL, and sources are fetched over HTTP: write the page's "
                "https:// address; try a saved page first with `lianxin parse FILE`"
            )
        return value

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in SOURCE_KINDS:
            refuse(f"{value!r} is not a kind Lianxin reads: use one of {', '.join(SOURCE_KINDS)}")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_codec(cls, value: str | None) -> str | None:
        if value:
            try:
                codecs.lookup(value)
            except LookupError:
                refuse(
                    f"{value!r} is not a codec Python knows: write a codec such as "
                    '"gb18030" or "utf-8", or remove it'
                )
        return value


class RulesSettings(Section):
    """The follow-up rules: who owes what by when, and when lateness escalates."""

    timezone: str = Field(
        default="Asia/Shanghai",
        description="The IANA time zone calendar days, quiet hours, the watchdog's daily_by and "
        "the schedules are reckoned in.",
    )
    checkin_first_day: int = Field(
        default=1,
        ge=1,
        le=28,
        description="每月上旬: the day of the month the check-in window opens.",
    )
    checkin_last_day: int = Field(
        default=10, ge=1, le=28, description="每月上旬: the day of the month the call is due."
    )
    move_due_past_holidays: bool = Field(
        default=True, description="A due date in an official holiday moves to the next working day."
    )
    days_left_stage: int = Field(
        default=3, ge=1, le=20, description='Days before the due date of the "days left" digest.'
    )
    checkin_statuses: list[Annotated[str, AfterValidator(_work_status)]] = Field(
        default_factory=lambda: ["employed", "looking"],
        description="Work statuses whose workers owe a monthly call (employed, looking, "
        "returned, other).",
    )
    home_visit_after_months: int = Field(
        default=2,
        ge=2,
        le=6,
        description="Unreachable (未接通) in this many consecutive months: a home visit (入户走访) "
        "is owed.",
    )
    home_visit_due_days: int = Field(
        default=14, ge=1, description="Days within which that home visit is due."
    )
    assistance_due_days: int = Field(
        default=7,
        ge=1,
        description="Job lost or zero income: employment assistance (就业帮扶) is due within "
        "these days.",
    )
    income_risk_share: float = Field(
        default=0.6,
        gt=0,
        lt=1,
        description="Income risk (防返贫监测): an income below this share of the worker's median "
        "over the previous three reported months flags the worker for the county.",
    )
    monitoring_line_yuan: int = Field(
        default=700, ge=0, description="… as does a monthly income below this line, in yuan."
    )
    problem_reminder_days: list[int] = Field(
        default_factory=lambda: [7, 3, 1],
        description="Problem deadlines (整改时限): reminders so many days before, then daily "
        "once overdue.",
    )
    return_visit_days: int = Field(
        default=30,
        ge=1,
        description="A problem marked rectified (已整改) gets a return visit (杀回马枪) within "
        "this many days.",
    )
    escalate_village_after_days: int = Field(
        default=3, ge=0, description="Days past due before the village lead hears of it."
    )
    escalate_town_after_days: int = Field(
        default=7, ge=0, description="Days past due before the town hears of it."
    )
    escalate_county_after_days: int = Field(
        default=14,
        ge=0,
        description="Days past due before the county bureau (乡村振兴局) hears of it.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            refuse(f'{value!r} is not a time zone: write an IANA name such as "Asia/Shanghai"')
        return value

    @field_validator("problem_reminder_days")
    @classmethod
    def _distinct_days(cls, value: list[int]) -> list[int]:
        if any(day < 1 for day in value) or len(set(value)) != len(value):
            refuse(
                f"{value} must be distinct whole days before the deadline, 1 or more: "
                "write e.g. [7, 3, 1]"
            )
        return value

    @model_validator(mode="after")
    def _ladder_in_order(self) -> RulesSettings:
        if not (
            self.escalate_village_after_days
            < self.escalate_town_after_days
            < self.escalate_county_after_days
        ):
            raise ValueError(
                "rules.escalate_*_after_days must grow from village to town to county "
                f"(got {self.escalate_village_after_days}, {self.escalate_town_after_days}, "
                f"{self.escalate_county_after_days})"
            )
        if self.checkin_first_day > self.checkin_last_day:
            raise ValueError("rules.checkin_first_day must not come after rules.checkin_last_day")
        return self


class NotifySettings(Section):
    """Reminders: where they go, in which words, what they may show, at what pace."""

    outbox_dir: Path = Field(
        default=Path("var/outbox"), description="Where outbox:// writes one file per message."
    )
    default_routes: list[Route] = Field(
        default_factory=lambda: ["outbox://"],
        description='Routes for a cadre with no route of their own; "outbox://" writes a file '
        "per message.",
    )
    routes: dict[str, list[Route]] = Field(
        default_factory=dict,
        description='Extra routes by cadre name ("王芳") or by village or town name ("青山村"): '
        "Apprise URLs; ${NAME} comes from the environment, ${secret:name} from a Prefect Secret "
        "block.",
    )
    roles: dict[Annotated[str, AfterValidator(_role)], list[Route]] = Field(
        default_factory=dict,
        description='Routes by role, for escalations: "village:青山村", "town:石桥镇" or "county".',
    )
    language: str = Field(default="zh", description="The messages' language: zh or en.")
    # README "Templates, channel kinds and mentions" tells how both are used.
    templates_dir: Path | None = Field(
        default=None,
        description="A folder of your own templates, looked up before the shipped "
        "config/templates/.",
    )
    channel_kinds: dict[str, Literal["group", "personal", "sms", "outbox"]] = Field(
        default_factory=dict,
        description='A route\'s kind by scheme ("json") or by the whole route as written, '
        "overriding the built-in guess; the kind picks the template and what it may show.",
    )
    personal_full_phone: bool = Field(
        default=False,
        description="A personal message (mail, SMS) to the responsible cadre may show workers' "
        "phones in full; a group never does.",
    )
    group_mentions: bool = Field(
        default=True, description="@ the responsible cadre by phone in DingTalk and WeCom groups."
    )
    max_listed: int = Field(
        default=30, ge=1, description='Workers listed in one digest, then "and N more".'
    )
    quiet_start: time = Field(
        default=time(22, 0),
        description="Quiet hours begin (rules.timezone): nothing is sent but the outbox, and the "
        "next run after them catches up.",
    )
    quiet_end: time = Field(default=time(7, 0), description="Quiet hours end (rules.timezone).")
    daily_cap: int = Field(
        default=20, ge=1, description="Messages per recipient per day; the rest wait."
    )
    retries: int = Field(
        default=2, ge=0, le=10, description="More tries of a failed send within a run."
    )
    retry_backoff_s: float = Field(
        default=2.0, ge=0, description="Seconds before the first retry, doubled after each."
    )
    concurrency: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Sends in flight at once, across different routes (each keeps its own pace).",
    )
    pacing: dict[Annotated[str, AfterValidator(_scheme)], str] = Field(
        default_factory=lambda: {
            "wecombot": "20/minute",
            "dingtalk": "20/minute",
            "feishu": "20/minute",
            "lark": "20/minute",
        },
        description='Pace per route by URL scheme, as "N/second|minute|hour" (the limits '
        "notation); group bots accept about 20 messages a minute; a scheme not listed is not "
        "paced.",
    )

    @field_validator("pacing")
    @classmethod
    def _pacing_parses(cls, value: dict[str, str]) -> dict[str, str]:
        for scheme, rate in value.items():
            try:
                parse_rate(rate)
            except ValueError as exc:
                raise ValueError(
                    f'notify.pacing.{scheme} = {rate!r}: write it like "20/minute"'
                ) from exc
        return value


class FlowCadence(Section):
    """When a flow is expected to have run: every so many minutes, or once a day by a time."""

    enabled: bool = Field(default=True, description="false: stop watching this flow.")
    every_minutes: int | None = Field(
        default=None, ge=1, description="Expect a run at least this often, in minutes …"
    )
    grace_minutes: int = Field(default=15, ge=0, description="… give or take this many minutes.")
    daily_by: time | None = Field(
        default=None,
        description="Or expect a run each day, started by this time (HH:MM:SS, rules.timezone).",
    )

    @model_validator(mode="after")
    def _one_kind(self) -> FlowCadence:
        if (self.every_minutes is None) == (self.daily_by is None):
            raise ValueError(
                "watchdog.cadence.<flow> takes either every_minutes or daily_by, not both "
                'and not neither (e.g. every_minutes = 60, or daily_by = "09:30:00")'
            )
        return self


class WatchdogSettings(Section):
    """The watchdog on Lianxin itself: missed schedules, drifting sources, failed runs."""

    operator_routes: list[Route] = Field(
        default_factory=lambda: ["outbox://"],
        description="The operator's own routes (Apprise URLs or outbox://), never a cadre's.",
    )
    cadence: dict[str, FlowCadence] = Field(
        default_factory=lambda: {
            "ingest": FlowCadence(every_minutes=60, grace_minutes=30),
            "remind": FlowCadence(daily_by=time(9, 30)),
        },
        description="When each flow must have run, by its name in the runs table (ingest, "
        "followups, remind); the daily flow is watched through its last step, remind.",
    )
    drift_after_runs: int = Field(
        default=2,
        ge=1,
        description="A source that yielded records on its last N runs and yields none now has "
        "drifted (改版).",
    )
    drift_window_runs: int = Field(
        default=48, ge=2, description="Recent ingest runs the drift check looks at."
    )
    failed_within_hours: int = Field(
        default=24, ge=1, description="Failed runs are reported this far back, each once."
    )
    respect_quiet_hours: bool = Field(
        default=False,
        description="Operator alerts wake people: by default they ignore notify's quiet hours.",
    )

    @model_validator(mode="after")
    def _window_holds_the_streak(self) -> WatchdogSettings:
        if self.drift_window_runs <= self.drift_after_runs:
            raise ValueError(
                "watchdog.drift_window_runs must be larger than watchdog.drift_after_runs "
                f"(got {self.drift_window_runs} and {self.drift_after_runs})"
            )
        return self


class ScheduleSettings(Section):
    """When one deployment runs: a cron line read on the rules.timezone clock."""

    cron: str = Field(
        description='Five cron fields on the rules.timezone clock, e.g. "30 8 * * *" for 08:30.'
    )
    enabled: bool = Field(
        default=True,
        description="false: the deployment is still served and can be run by hand "
        "(prefect deployment run), but not on its schedule.",
    )

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        # Prefect checks each field when the deployment is built; this catches the usual slip.
        if len(value.split()) != 5:
            raise ValueError(
                f'{value!r} is not a cron line: write five fields, e.g. "30 8 * * *" for 08:30'
            )
        return value


class SchedulesSettings(Section):
    """When `lianxin serve` runs each deployment (flows/deployments.py; prefect.yaml keeps the
    same times for `prefect deploy --all`)."""

    ingest_hourly: ScheduleSettings = Field(
        default=ScheduleSettings(cron="0 * * * *"),
        description="ingest/hourly: fetch, parse and store every source.",
    )
    daily_morning: ScheduleSettings = Field(
        default=ScheduleSettings(cron="30 8 * * *"),
        description="daily/morning: a fresh ingest, the follow-ups, then the reminders.",
    )
    daily_month_open: ScheduleSettings = Field(
        default=ScheduleSettings(cron="0 8 1 * *"),
        description="daily/month-open: the daily job when the check-in window (每月上旬) opens.",
    )
    watchdog_quarter_hour: ScheduleSettings = Field(
        default=ScheduleSettings(cron="*/15 * * * *"),
        description="watchdog/quarter-hour: missed runs, drifting sources, failed runs.",
    )
    concurrent_runs: int = Field(
        default=1,
        ge=1,
        le=32,
        description="Flow runs `lianxin serve` executes at once. 1 keeps SQLite's writers apart "
        "(the 08:00 ingest meets the month's opening run); raise it on PostgreSQL.",
    )


class ParsingSettings(Section):
    """How big a page the parser reads; a bigger one is refused with its size and this setting."""

    max_page_mb: float = Field(
        default=64.0,
        gt=0,
        description="A page (or part of a report) larger than this many megabytes is refused "
        "before it is read. A 220,000-row check-in table is about 20 MB.",
    )
    max_table_rows: int = Field(
        default=300_000,
        ge=1,
        description="A table with more rows than this is refused before its rows are read: "
        "time and memory grow with the rows (about 0.1 ms and 4 KB a row).",
    )


class DashboardSettings(Section):
    """The web dashboard (`lianxin dashboard`): where it listens and how it keeps sessions."""

    host: str = Field(
        default="127.0.0.1",
        description="The address to listen on; 0.0.0.0 to serve others (behind HTTPS).",
    )
    port: int = Field(default=8300, ge=1, le=65535, description="The port to listen on.")
    secret_key: str = Field(
        default="",
        description="The key that signs session cookies; set it from the environment "
        "(LIANXIN_DASHBOARD__SECRET_KEY). Empty: one is made once and kept in "
        "data_dir/dashboard.secret (mode 0600).",
    )
    session_hours: int = Field(
        default=12, ge=1, le=24 * 30, description="A log-in lasts this many hours."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Send the session cookie over HTTPS only; turn on when served behind HTTPS.",
    )
    login_rate: str = Field(
        default="30/hour",
        description="Failed log-ins allowed from one address across all user names (against "
        'trying one password on many names), as "N/hour"; names that logged in from that '
        "address before are not held back by it.",
    )
    login_backoff_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="The wait after a name's first failed log-in from an address; each "
        "further failure doubles it. Only failures count, and a success clears them.",
    )
    login_backoff_max_seconds: float = Field(
        default=900.0,
        gt=0,
        le=24 * 3600,
        description="The longest wait between failed log-ins of one name from one address.",
    )
    forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description="The proxies (addresses or networks, like 127.0.0.1 or 10.0.0.0/8) whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed: the audit log and the log-in "
        "pace then see the client the proxy names. Empty: nobody's; the peer's own address "
        "is used.",
    )
    upload_max_rows: int = Field(
        default=50_000,
        ge=1,
        le=1_000_000,
        description="The most records (rows with a value, besides up to 20 title and header "
        "rows) an uploaded table may hold; counted before it is parsed. A larger file is "
        "refused: split it.",
    )
    upload_max_unpacked_mb: int = Field(
        default=200,
        ge=1,
        le=4096,
        description="The most an uploaded .xlsx may unpack to, all its members together, as "
        "its zip directory declares; checked before it is parsed.",
    )
    upload_max_ratio: int = Field(
        default=200,
        ge=10,
        description="The highest compression ratio (unpacked / packed) of an .xlsx member of a "
        "MiB or more: spreadsheets pack 5 to 50 times, zip bombs a thousand.",
    )
    upload_max_members: int = Field(
        default=1000, ge=10, description="The most files an uploaded .xlsx may hold inside."
    )
    upload_parse_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="How long reading one upload may take in its worker process before the "
        "process is killed and the upload refused.",
    )
    upload_parse_memory_mb: int = Field(
        default=1024,
        ge=0,
        description="The address space (RLIMIT_AS) of the process that reads an upload; "
        "0: no cap (Windows has none).",
    )
    upload_parsers: int = Field(
        default=2,
        ge=1,
        le=32,
        description="Uploads read at once, each in a process of its own; more wait their turn "
        "(up to upload_parse_seconds), and each person has one at a time.",
    )
    prefect_ui_url: str = Field(
        default="",
        description="The Prefect UI the runs page links each flow run into, e.g. "
        "http://127.0.0.1:4200. Empty: Prefect's own PREFECT_UI_URL, or PREFECT_API_URL "
        "without /api, when set; otherwise runs are listed without links.",
    )

    @field_validator("prefect_ui_url")
    @classmethod
    def _ui_url_is_http(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if value and (parts.scheme not in ("http", "https") or not parts.netloc):
            raise ValueError(
                f"dashboard.prefect_ui_url = {value!r}: write the Prefect UI's http(s) address, "
                "like http://127.0.0.1:4200, or leave it empty"
            )
        return value.strip().rstrip("/")

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"dashboard.forwarded_allow_ips: {item!r} is not an address or network; "
                    'list your proxies, like ["127.0.0.1", "10.0.0.0/8"] (never "*")'
                ) from exc
        return [item.strip() for item in value]

    @field_validator("login_rate")
    @classmethod
    def _rate_parses(cls, value: str) -> str:
        try:
            parse_rate(value)
        except ValueError as exc:
            raise ValueError(
                f'dashboard.login_rate = {value!r}: write it like "10/minute"'
            ) from exc
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LIANXIN_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    database_url: str = Field(
        default="sqlite:///var/lianxin.db",
        description="Lianxin's store, an SQLAlchemy URL: an SQLite file, or "
        "postgresql+psycopg://user@host/db beyond one machine.",
    )
    data_dir: Path = Field(
        default=Path("var"), description="Lianxin's folder; fetched pages are archived in archive/."
    )
    user_agent: str = Field(
        default="Lianxin/0.1 (+https://github.com/lianxin/lianxin)",
        description="The User-Agent sent with every fetch.",
    )
    fetch_timeout_s: float = Field(
        default=20.0, gt=0, description="Seconds to wait for one page to answer."
    )
    fetch_retries: int = Field(
        default=3,
        ge=0,
        le=10,
        description="Retries of a source's fetch task when it fails; a refused connection, an "
        "unknown host or an HTTP 4xx (but 408 and 429) is not retried: the next run tries again.",
    )
    fetch_retry_backoff_s: float = Field(
        default=10.0,
        ge=0,
        description="First wait before a fetch retry; it doubles each time (with jitter).",
    )
    fetch_task_timeout_s: float = Field(
        default=900.0, gt=0, description="A source's whole crawl is stopped after this long."
    )
    fetch_per_host: int = Field(
        default=2,
        ge=1,
        le=32,
        description="Sources fetched at once from one web host (a Prefect concurrency limit), "
        "to be gentle with small government sites.",
    )
    parse_cache_days: int = Field(
        default=7,
        ge=0,
        description="Parse results are cached by the pages' content hashes for this many days "
        "(0: no cache); a page that did not change is not parsed again.",
    )
    # Parsing at volume (README "Beyond one machine", flows/parse_volume.py).
    parse_runner: Literal["batch", "dask"] = Field(
        default="batch",
        description='Where the ingest (and `reparse-archive`) parse pages: "batch" in the flow\'s '
        'own process; "dask" in chunks of `parse_chunk_pages` pages on a Dask cluster.',
    )
    dask_workers: int = Field(
        default=4,
        ge=1,
        le=256,
        description="Processes of the local Dask cluster opened for a parse on Dask, one thread "
        "each (unused when `dask_address` names a scheduler).",
    )
    dask_address: str | None = Field(
        default=None,
        description="A running Dask scheduler to parse on, e.g. tcp://10.0.0.5:8786 (its workers "
        "need Lianxin installed and the archive folder mounted); empty: a local cluster.",
    )
    parse_chunk_pages: int = Field(
        default=500,
        ge=1,
        le=100_000,
        description="Pages per parse task on Dask: large enough that a task's overhead on a "
        "Dask worker (about half a second) is lost in its parsing, small enough to spread "
        "over every worker.",
    )
    sources: list[SourceSettings] = Field(
        default_factory=list,
        description="The published places Lianxin reads, one [[sources]] table each: a listing "
        "page (with pagination) or a single report. Try a page first with `lianxin parse URL`.",
    )
    rules: RulesSettings = Field(
        default_factory=RulesSettings,
        description="The follow-up rules: the check-in window (每月上旬), income risk, problem "
        "deadlines (整改时限), return visits and escalation.",
    )
    notify: NotifySettings = Field(
        default_factory=NotifySettings,
        description="Reminders: routes (Apprise URLs, secrets as ${NAME} or ${secret:name}), "
        "templates, what a message may show, pace, retries, quiet hours.",
    )
    watchdog: WatchdogSettings = Field(
        default_factory=WatchdogSettings,
        description="The watchdog on Lianxin itself: missed runs, drifting sources, failed runs, "
        "and the operator's routes for its alerts.",
    )
    schedules: SchedulesSettings = Field(
        default_factory=SchedulesSettings,
        description="When each deployment runs under `lianxin serve`, on the rules.timezone clock.",
    )
    dashboard: DashboardSettings = Field(
        default_factory=DashboardSettings,
        description="The web dashboard: address, session cookies, the key that signs them.",
    )
    parsing: ParsingSettings = Field(
        default_factory=ParsingSettings,
        description="The largest page and table the parser reads (bigger ones are refused).",
    )

    @model_validator(mode="wrap")
    @classmethod
    def _sources_named_apart(cls, data: Any, handler: Any) -> Settings:
        # Wrapped, not after: a source's other mistakes must not hide that two share a name.
        sources = data.get("sources") if isinstance(data, dict) else None
        names = [
            item.get("name") if isinstance(item, dict) else getattr(item, "name", None)
            for item in (sources if isinstance(sources, list) else [])
        ]
        count = Counter(name for name in names if isinstance(name, str) and name.strip())
        shared: list[Problem] = [
            (
                ("sources", i, "name"),
                "is used by another source too: give every source a name of its own, "
                "records and the watchdog go by it",
                name,
                "value_error",
            )
            for i, name in enumerate(names)
            if isinstance(name, str) and count[name] > 1
        ]
        try:
            settings: Settings = handler(data)
        except ValidationError as exc:
            if shared:  # said together with the others
                earlier: list[Problem] = [
                    (tuple(e["loc"]), e["msg"], e["input"], e["type"]) for e in exc.errors()
                ]
                refuse_at("Settings", earlier + shared)
            raise
        refuse_at("Settings", shared)
        return settings

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError(
                "LIANXIN_DATABASE_URL must be an SQLAlchemy URL such as sqlite:///var/lianxin.db "
                "or postgresql+psycopg://user@host/db"
            )
        return value

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Later files win: the operator's file overrides the shipped defaults.
        data: dict[str, Any] = {}
        for path in config_files():
            found = read_config_file(path)
            data = _merged(data, found if path == DEFAULTS_FILE else anchor_paths(found, path))
        return init_settings, env_settings, InitSettingsSource(settings_cls, data)


def config_files() -> list[Path]:
    """Return the TOML files settings are read from, shipped defaults first, then the
    operator's: the file named by LIANXIN_CONFIG (which must exist), else ./lianxin.toml when
    present. Raise ConfigError when LIANXIN_CONFIG names no file."""
    files: list[Path] = [DEFAULTS_FILE]
    chosen = os.environ.get("LIANXIN_CONFIG")
    if chosen:
        if not Path(chosen).is_file():
            raise ConfigError(
                "LIANXIN_CONFIG",
                f"{chosen} is not a file",
                "correct the path, or unset it to use ./lianxin.toml and the defaults",
            )
        files.append(Path(chosen))
    elif Path("lianxin.toml").is_file():
        files.append(Path("lianxin.toml"))
    return files


def read_config_file(path: Path) -> dict[str, Any]:
    """Return the tables of one TOML file; raise ConfigError naming it when it cannot be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"not valid TOML ({exc})", "correct that line") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"cannot be read ({exc})", "make it a UTF-8 file") from exc


def anchor_paths(data: dict[str, Any], config_file: Path) -> dict[str, Any]:
    """Return `data` with its relative folders and SQLite file read from `config_file`'s folder.

    Absolute paths, `~/…`, other databases and values that are not strings are left as they are
    (a value of the wrong type is the validation's to report).
    """
    folder = config_file.resolve().parent
    data = {key: dict(value) if isinstance(value, dict) else value for key, value in data.items()}
    for *tables, name in PATH_SETTINGS:
        node: Any = data
        for table in tables:
            node = node.get(table) if isinstance(node, dict) else None
        value = node.get(name) if isinstance(node, dict) else None
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            node[name] = str(folder / value)
    if isinstance(data.get("database_url"), str):
        data["database_url"] = anchor_sqlite_url(data["database_url"], folder)
    return data


def anchor_sqlite_url(url: str, folder: Path) -> str:
    """Return `url` with a relative SQLite file read from `folder`; any other URL unchanged."""
    from sqlalchemy.engine import make_url  # not at the top: `lianxin --help` needs no database
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return url  # not a URL at all: the database_url validator says so
    db = parsed.database
    if (
        not parsed.drivername.startswith("sqlite")
        or not db
        or db == ":memory:"
        or db.startswith("file:")
        or Path(db).expanduser().is_absolute()
    ):
        return url
    return parsed.set(database=str(folder / db)).render_as_string(hide_password=False)


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    # Tables merge key by key; any other value (a list too) replaces the one below it.
    out = dict(base)
    for key, value in over.items():
        below = out.get(key)
        both = isinstance(below, dict) and isinstance(value, dict)
        out[key] = _merged(below, value) if both else value  # type: ignore[arg-type]
    return out


def toml_path(loc: tuple[str | int, ...]) -> str:
    """Return a pydantic error location as a TOML path: ("sources", 0, "url") → sources[0].url."""
    text = ""
    for part in loc:
        if part == "[key]":  # pydantic's mark for a table's key: the path names the key
            continue
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(settings)"


def read_settings() -> Settings:
    """Return Settings(); raise ConfigError for an environment variable that is not JSON where
    a list or table is needed (a ValidationError is left to the caller)."""
    try:
        return Settings()
    except SettingsError as exc:
        raise ConfigError(
            "environment",
            str(exc),
            "write lists and tables in LIANXIN_… variables as JSON, e.g. "
            "LIANXIN_NOTIFY__DEFAULT_ROUTES='[\"outbox://\"]'",
        ) from exc


def explain(error: Any) -> tuple[str, str]:
    """Return (what is wrong, how to fix it) for one pydantic error of the settings.

    The one wording of a mistake: `get_settings` (every command) and `lianxin config check`
    both say it so. A value that looks like a URL is not repeated: it may carry a password.
    """
    kind = error["type"]
    if kind == "missing":
        return "is required", f"add it; {DOCS} lists every setting"
    if kind == "extra_forbidden":
        return "is not a setting", f"correct the name or remove it; {DOCS} lists every setting"
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if kind != "value_error" and not isinstance(value, dict | list):
        if not (isinstance(value, str) and "://" in value):
            message = f"{message} (got {value!r})"
    return message, f"give it a value that fits; {DOCS} has its type"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once; tests build their own `Settings(...)`.

    Raise ConfigError naming the first setting that does not fit, in the words of
    `lianxin config check`, and how many more there are (that command lists them all, with
    the layer each came from).
    """
    try:
        return read_settings()
    except ValidationError as exc:
        errors = exc.errors()
        what, fix = explain(errors[0])
        more = (
            f" ({len(errors) - 1} more: `lianxin config check` lists them all)"
            if len(errors) > 1
            else ""
        )
        raise ConfigError(toml_path(tuple(errors[0]["loc"])), what + more, fix) from exc


def reset_settings(**overrides: Any) -> Settings:
    """Forget the cached settings (after changing the environment) and read them again."""
    get_settings.cache_clear()
    return get_settings() if not overrides else Settings(**overrides)
