"""One settings model for Lianxin, read from a TOML file and `LIANXIN_…` environment variables.

Precedence, highest first: arguments given in code, environment (`LIANXIN_DATABASE_URL`,
nested with `__`, e.g. `LIANXIN_RULES__CHECKIN_LAST_DAY=12`), the TOML file named by
`LIANXIN_CONFIG` (else `./lianxin.toml` when present), then the shipped defaults in
`config/defaults.toml`.
"""

from __future__ import annotations

import os
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from limits import parse as parse_rate
from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULTS_FILE = CONFIG_DIR / "defaults.toml"
TEMPLATES_DIR = CONFIG_DIR / "templates"


class SourceSettings(BaseModel):
    """A published place Lianxin reads: a listing page (with pagination) or a single report."""

    name: str
    url: str
    kind: str = "auto"  # auto | listing | roster | checkin_table | problem_list | article
    max_pages: int = Field(default=20, ge=1, le=10_000)  # listing pages followed at most
    encoding: str | None = None  # force a codec when a site lies about its charset


class RulesSettings(BaseModel):
    timezone: str = "Asia/Shanghai"  # calendar days are reasoned about here
    checkin_first_day: int = Field(default=1, ge=1, le=28)  # 每月上旬: window opens
    checkin_last_day: int = Field(default=10, ge=1, le=28)  # 每月上旬: due date
    move_due_past_holidays: bool = True  # 10th in a holiday → next working day
    days_left_stage: int = Field(default=3, ge=1, le=20)  # "3 days left" digest
    checkin_statuses: list[str] = Field(default_factory=lambda: ["employed", "looking"])
    # Unreachable (未接通) in this many consecutive months → a home visit (入户走访) is owed.
    home_visit_after_months: int = Field(default=2, ge=2, le=6)
    home_visit_due_days: int = Field(default=14, ge=1)
    # Job lost or zero income → employment assistance (就业帮扶) due within these days.
    assistance_due_days: int = Field(default=7, ge=1)
    # Income risk (防返贫监测): below this share of the worker's median over the previous
    # three reported months, or below the monthly monitoring line, flags the worker.
    income_risk_share: float = Field(default=0.6, gt=0, lt=1)
    monitoring_line_yuan: int = Field(default=700, ge=0)
    # Problem deadlines (整改时限): reminders so many days before, then daily when overdue.
    problem_reminder_days: list[int] = Field(default_factory=lambda: [7, 3, 1])
    return_visit_days: int = Field(default=30, ge=1)  # 杀回马枪 within this many days
    # Escalation after the due date: village lead, then town, then county bureau (days late).
    escalate_village_after_days: int = Field(default=3, ge=0)
    escalate_town_after_days: int = Field(default=7, ge=0)
    escalate_county_after_days: int = Field(default=14, ge=0)

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


class NotifySettings(BaseModel):
    outbox_dir: Path = Path("var/outbox")
    # Route for a cadre with no route of their own; "outbox://" writes a file per message.
    default_routes: list[str] = Field(default_factory=lambda: ["outbox://"])
    # Extra routes by cadre name ("王芳") or by village/town name ("青山村"): Apprise URLs.
    routes: dict[str, list[str]] = Field(default_factory=dict)
    # Routes by role, for escalations: "village:青山村", "town:石桥镇", "county" → Apprise URLs.
    roles: dict[str, list[str]] = Field(default_factory=dict)
    language: str = "zh"  # zh | en
    # The words (README "Templates, channel kinds and mentions"): a folder of the operator's
    # templates, looked up before the shipped config/templates/; a route's kind by scheme
    # ("json") or by the whole route as written, overriding the built-in guess.
    templates_dir: Path | None = None
    channel_kinds: dict[str, Literal["group", "personal", "sms", "outbox"]] = Field(
        default_factory=dict
    )
    # A personal message (mail, SMS) may show workers' phones in full; a group never does.
    personal_full_phone: bool = False
    group_mentions: bool = True  # @ the responsible cadre by phone in DingTalk and WeCom groups
    max_listed: int = Field(default=30, ge=1)  # workers listed in one digest, then "and N more"
    # Quiet hours (Asia/Shanghai): nothing is sent; the next run outside them catches up.
    quiet_start: time = time(22, 0)
    quiet_end: time = time(7, 0)
    daily_cap: int = Field(default=20, ge=1)  # messages per recipient per Shanghai day
    retries: int = Field(default=2, ge=0, le=10)  # more tries within a run, with backoff
    retry_backoff_s: float = Field(default=2.0, ge=0)  # doubled after each failed try
    # Sends in flight at once, across different routes (each route keeps its own pace).
    concurrency: int = Field(default=8, ge=1, le=64)
    # Pace per route, by URL scheme, as "N/second|minute|hour" (the `limits` notation). Group
    # bots accept about 20 messages a minute each; a scheme not listed is not paced.
    pacing: dict[str, str] = Field(
        default_factory=lambda: {
            "wecombot": "20/minute",
            "dingtalk": "20/minute",
            "feishu": "20/minute",
            "lark": "20/minute",
        }
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


class FlowCadence(BaseModel):
    """When a flow is expected to have run: every so many minutes, or once a day by a time."""

    enabled: bool = True
    every_minutes: int | None = Field(default=None, ge=1)  # a run at least this often …
    grace_minutes: int = Field(default=15, ge=0)  # … give or take this much
    daily_by: time | None = None  # or a run each Shanghai day, started by this time

    @model_validator(mode="after")
    def _one_kind(self) -> FlowCadence:
        if (self.every_minutes is None) == (self.daily_by is None):
            raise ValueError(
                "watchdog.cadence.<flow> takes either every_minutes or daily_by, not both "
                'and not neither (e.g. every_minutes = 60, or daily_by = "09:30:00")'
            )
        return self


class WatchdogSettings(BaseModel):
    """The watchdog on Lianxin itself: missed schedules, drifting sources, failed runs."""

    # The operator's own routes (Apprise URLs or outbox://), never a cadre's.
    operator_routes: list[str] = Field(default_factory=lambda: ["outbox://"])
    # By flow name as recorded in the runs table. The daily flow records its three steps, so
    # its schedule is watched through its last step, remind.
    cadence: dict[str, FlowCadence] = Field(
        default_factory=lambda: {
            "ingest": FlowCadence(every_minutes=60, grace_minutes=30),
            "remind": FlowCadence(daily_by=time(9, 30)),
        }
    )
    # A source that yielded records on its last N runs and yields none now: selector drift.
    drift_after_runs: int = Field(default=2, ge=1)
    drift_window_runs: int = Field(default=48, ge=2)  # recent ingest runs looked at
    failed_within_hours: int = Field(default=24, ge=1)  # failed runs reported this far back
    # Operator alerts wake people: by default they ignore notify's quiet hours.
    respect_quiet_hours: bool = False

    @model_validator(mode="after")
    def _window_holds_the_streak(self) -> WatchdogSettings:
        if self.drift_window_runs <= self.drift_after_runs:
            raise ValueError(
                "watchdog.drift_window_runs must be larger than watchdog.drift_after_runs "
                f"(got {self.drift_window_runs} and {self.drift_after_runs})"
            )
        return self


class ScheduleSettings(BaseModel):
    """When one deployment runs: a cron line read on the Asia/Shanghai clock."""

    cron: str = Field(
        description='Five cron fields on the Asia/Shanghai clock, e.g. "30 8 * * *" for 08:30.'
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


class SchedulesSettings(BaseModel):
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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LIANXIN_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    database_url: str = "sqlite:///var/lianxin.db"
    data_dir: Path = Path("var")
    user_agent: str = "Lianxin/0.1 (+https://github.com/lianxin/lianxin)"
    fetch_timeout_s: float = Field(default=20.0, gt=0)
    fetch_retries: int = Field(
        default=3, ge=0, le=10, description="Retries of a source's fetch task when it fails."
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
    sources: list[SourceSettings] = Field(default_factory=list)
    rules: RulesSettings = Field(default_factory=RulesSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    watchdog: WatchdogSettings = Field(default_factory=WatchdogSettings)
    schedules: SchedulesSettings = Field(
        default_factory=SchedulesSettings,
        description="When each deployment runs under `lianxin serve`, on the Asia/Shanghai clock.",
    )

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
        files: list[Path] = [DEFAULTS_FILE]
        chosen = os.environ.get("LIANXIN_CONFIG")
        if chosen:
            if not Path(chosen).is_file():
                raise FileNotFoundError(
                    f"LIANXIN_CONFIG points at {chosen}, which is not a file: "
                    "fix the path or unset it to use ./lianxin.toml and the defaults"
                )
            files.append(Path(chosen))
        elif Path("lianxin.toml").is_file():
            files.append(Path("lianxin.toml"))
        # Later files win: the operator's file overrides the shipped defaults.
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=files, deep_merge=True),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, read once; tests build their own `Settings(...)`."""
    return Settings()


def reset_settings(**overrides: Any) -> Settings:
    """Forget the cached settings (after changing the environment) and read them again."""
    get_settings.cache_clear()
    return get_settings() if not overrides else Settings(**overrides)
