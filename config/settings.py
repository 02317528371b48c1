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

from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from config.checks import Problem, lenient, refuse_at
from config.dashboard import DashboardSettings
from config.loading import (
    CONFIG_DIR,
    TEMPLATES_DIR,
    config_files,
    file_settings,
    read_config_file,
)
from config.notify import ANY_PLACEHOLDER, PLACEHOLDER, NotifySettings
from config.rules import RulesSettings
from config.sources import ParsingSettings, SourceSettings
from config.watchdog import FlowCadence, ScheduleSettings, SchedulesSettings, WatchdogSettings
from lianxin.errors import ConfigError

# The root model and how it is read are here; each table's model is in a module of its own,
# its names importable from here too, as the rest of the code imports them.
__all__ = [
    "ANY_PLACEHOLDER",
    "CONFIG_DIR",
    "DOCS",
    "PLACEHOLDER",
    "TEMPLATES_DIR",
    "DashboardSettings",
    "FlowCadence",
    "NotifySettings",
    "ParsingSettings",
    "RulesSettings",
    "ScheduleSettings",
    "SchedulesSettings",
    "Settings",
    "SourceSettings",
    "WatchdogSettings",
    "config_files",
    "explain",
    "get_settings",
    "lenient",
    "read_config_file",
    "read_settings",
    "reset_settings",
    "toml_path",
]

DOCS = "docs/configuration.md"


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
        return init_settings, env_settings, InitSettingsSource(settings_cls, file_settings())


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
