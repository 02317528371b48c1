"""Load the configuration the way Lianxin does, say where each layer came from, and find mistakes.

The settings' values are checked by the model itself (config/settings.py), so every command
stops at start-up on them; this module reports those errors with the layer each value came
from, then looks at what only a check can: secrets in the environment, routes Apprise parses,
templates, the database, and warnings that should not stop a run.

`lianxin config check` prints one line per finding (where, what, how to fix) and exits 1 on an
error; a configuration that cannot be read at all (a missing file, broken TOML, an environment
variable that is not JSON where JSON is needed) raises `ConfigError`, exit 2.

A finding is an **error** when a run would fail or silently do the wrong thing (a route Apprise
cannot parse, a secret that is not exported, a source that cannot be fetched), a **warning**
when it deserves a look (a database behind the code's migrations, a setting that matches
nothing).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import jinja2
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from config.settings import (
    ANY_PLACEHOLDER,
    DOCS,
    PLACEHOLDER,
    TEMPLATES_DIR,
    NotifySettings,
    RulesSettings,
    Settings,
    SourceSettings,
    WatchdogSettings,
    config_files,
    explain,
    lenient,
    read_config_file,
    read_settings,
    toml_path,
)
from lianxin.cli.config_show import mask_url
from lianxin.errors import PermanentChannelError
from lianxin.notify.channels import OUTBOX_SCHEME, make_channel, scheme_of

ENV_PREFIX = "LIANXIN_"
# Read by config.settings itself to find the file, not a setting.
ENV_NOT_SETTINGS = frozenset({"LIANXIN_CONFIG"})
# The names flows record their runs under; the daily flow records its three steps.
RECORDED_FLOWS = frozenset({"ingest", "followups", "remind"})

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    level: Level
    where: str  # the setting, as a TOML path (notify.routes.青山村[0])
    what: str
    fix: str

    def line(self) -> str:
        return f"{self.level}: {self.where}: {self.what}; fix: {self.fix}"


@dataclass
class Layers:
    """Where the effective configuration came from, lowest precedence first."""

    defaults: Path
    file: Path | None  # the operator's file, if any
    file_via: str  # "LIANXIN_CONFIG", "./lianxin.toml" or "" when there is no file
    env_applied: list[str] = field(default_factory=list)  # names only, never values
    env_ignored: list[str] = field(default_factory=list)  # LIANXIN_… matching no setting
    file_data: dict[str, Any] = field(default_factory=dict)

    def origin(self, path: tuple[str | int, ...]) -> str:
        """Return which layer sets `path`: an environment variable, the file, or the defaults."""
        names = [str(part).upper() for part in path if isinstance(part, str)]
        for depth in range(len(names), 0, -1):
            name = ENV_PREFIX + "__".join(names[:depth])
            if name in self.env_applied:
                return name
        node: Any = self.file_data
        for part in path:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                node = node[part]
            else:
                return "defaults"
        return str(self.file)

    def as_dict(self) -> dict[str, Any]:
        return {
            "defaults": str(self.defaults),
            "file": str(self.file) if self.file else None,
            "file_via": self.file_via or None,
            "environment": self.env_applied,
            "ignored_environment": self.env_ignored,
        }

    def describe(self) -> list[str]:
        """Return one line per layer, lowest precedence first; environment variables by name."""
        file = (
            f"{self.file} (via {self.file_via})"
            if self.file
            else "none (LIANXIN_CONFIG is not set and there is no ./lianxin.toml)"
        )
        lines = [
            f"1. defaults:    {self.defaults}",
            f"2. file:        {file}",
            f"3. environment: {', '.join(self.env_applied) or 'none'}",
        ]
        if self.env_ignored:
            lines.append(f"   ignored (match no setting): {', '.join(self.env_ignored)}")
        return lines


def read_layers(environ: Mapping[str, str] | None = None) -> Layers:
    """Return the layers settings are read from; raise ConfigError when one cannot be read."""
    env = os.environ if environ is None else environ
    files = config_files()
    data: dict[str, Any] = {}
    for path in files:
        data = read_config_file(path)
    user = files[1] if len(files) > 1 else None
    layers = Layers(
        defaults=files[0],
        file=user.resolve() if user else None,
        file_via=("LIANXIN_CONFIG" if "LIANXIN_CONFIG" in env else "./lianxin.toml")
        if user
        else "",
        file_data=data if user else {},
    )
    top = set(Settings.model_fields)
    for name in sorted(env):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in ENV_NOT_SETTINGS:
            continue
        first = upper[len(ENV_PREFIX) :].split("__", 1)[0].lower()
        (layers.env_applied if first in top else layers.env_ignored).append(name)
    return layers


def load(environ: Mapping[str, str] | None = None) -> tuple[Layers, Settings | None, list[Finding]]:
    """Return the layers, the settings and the model's validation mistakes.

    With mistakes, the settings are read again `lenient()`ly, so that the deeper checks can
    still run when only the model's value checks refused something; they are None when the
    configuration does not even fit the model's types. Raise ConfigError when it cannot be
    read at all.
    """
    layers = read_layers(environ)
    try:
        return layers, read_settings(), []
    except ValidationError as exc:
        mistakes = [validation_finding(error, layers) for error in exc.errors()]
    try:
        with lenient():
            return layers, read_settings(), mistakes
    except ValidationError:
        return layers, None, mistakes


def validation_finding(error: Any, layers: Layers) -> Finding:
    """Return one readable finding for one pydantic error, naming the layer that set the value."""
    loc = tuple(error["loc"])
    what, fix = explain(error)
    return Finding("error", f"{toml_path(loc)} (from {layers.origin(loc)})", what, fix)


def check(
    settings: Settings, layers: Layers, environ: Mapping[str, str] | None = None
) -> list[Finding]:
    """Return every mistake found in valid settings, errors and warnings, in file order."""
    env = os.environ if environ is None else environ
    findings = [
        Finding(
            "warning",
            name,
            "matches no setting and is ignored",
            f"correct the name (nested with __, e.g. LIANXIN_NOTIFY__DAILY_CAP) or unset it; "
            f"see {DOCS}",
        )
        for name in layers.env_ignored
    ]
    findings += check_sources(settings.sources)
    findings += check_routes(settings, env)
    findings += check_notify(settings.notify)
    findings += check_rules(settings.rules)
    findings += check_watchdog(settings.watchdog)
    findings += check_database(settings.database_url)
    return findings


def check_sources(sources: list[SourceSettings]) -> list[Finding]:
    """Return sources that read the same page (the model refuses the other mistakes)."""
    found: list[Finding] = []
    names = Counter(source.name for source in sources)
    urls = Counter(source.url for source in sources)
    for i, source in enumerate(sources):
        where = f"sources[{i}] ({source.name})"
        if urls[source.url] > 1 and names[source.name] == 1:
            found.append(
                Finding(
                    "warning",
                    f"{where}.url",
                    "is read by another source too",
                    "keep one source per page, or the pages are fetched twice",
                )
            )
    return found


def routes(settings: Settings) -> Iterator[tuple[str, str]]:
    """Yield (where, route) for every route in the settings, as written."""
    notify = settings.notify
    for i, route in enumerate(notify.default_routes):
        yield f"notify.default_routes[{i}]", route
    for table, entries in (("routes", notify.routes), ("roles", notify.roles)):
        for name, listed in entries.items():
            for i, route in enumerate(listed):
                yield f"notify.{table}.{name}[{i}]", route
    for i, route in enumerate(settings.watchdog.operator_routes):
        yield f"watchdog.operator_routes[{i}]", route


def check_routes(settings: Settings, env: Mapping[str, str]) -> list[Finding]:
    """Return routes that could not deliver: secrets not exported, URLs Apprise cannot parse."""
    found: list[Finding] = []
    for where, route in routes(settings):
        found += check_route(where, route, settings.notify.outbox_dir, env)
    return found


def check_route(where: str, route: str, outbox: Path, env: Mapping[str, str]) -> list[Finding]:
    """Return what stops one route from delivering; nothing is sent."""
    shown = mask_url(route)
    found = [
        Finding(
            "error",
            where,
            f"{shown} reads ${{{name}}} from the environment, and {name} is not set",
            f"export {name}=… where Lianxin runs (see docs/operations.md, secrets)",
        )
        for name in dict.fromkeys(PLACEHOLDER.findall(route))
        if name not in env
    ]
    # Opened only when each placeholder is a ${NAME}: a Secret block is read from the Prefect
    # API when the route is opened, which this check must not need, and any other ${…} is the
    # model's to refuse (and reported already).
    others = len(ANY_PLACEHOLDER.findall(route)) > len(PLACEHOLDER.findall(route))
    if found or others or route.startswith(OUTBOX_SCHEME):
        return found
    try:
        make_channel(route, outbox)
    except PermanentChannelError as exc:
        scheme = scheme_of(route) or "(none)"
        found.append(
            Finding(
                "error",
                where,
                f"{shown}: {exc.reason}",
                f"write it as the Apprise wiki shows for {scheme}:// "
                "(https://github.com/caronc/apprise/wiki), or outbox://",
            )
        )
    return found


def check_notify(notify: NotifySettings) -> list[Finding]:
    """Return mistakes in [notify] beyond the model's own checks: the templates."""
    found: list[Finding] = []
    folders = [TEMPLATES_DIR]
    if notify.templates_dir is not None:
        if notify.templates_dir.is_dir():
            folders.insert(0, notify.templates_dir)
            found += check_templates(notify.templates_dir)
        else:
            found.append(
                Finding(
                    "error",
                    "notify.templates_dir",
                    f"{notify.templates_dir} is not a folder",
                    "create it with copies of the templates you change, or remove the setting",
                )
            )
    if not any(any(folder.glob(f"*.{notify.language}.j2")) for folder in folders):
        found.append(
            Finding(
                "error",
                "notify.language",
                f"no template is written in {notify.language!r}",
                'use "zh" or "en", or add *.' + notify.language + ".j2 files to templates_dir",
            )
        )
    return found


def check_templates(folder: Path) -> list[Finding]:
    """Return the operator's templates that Jinja2 cannot compile, with the line."""
    found: list[Finding] = []
    env = jinja2.Environment(autoescape=False)  # noqa: S701 - plain text messages
    for path in sorted(folder.glob("*.j2")):
        try:
            env.parse(path.read_text(encoding="utf-8"))
        except jinja2.TemplateSyntaxError as exc:
            found.append(
                Finding(
                    "error",
                    f"notify.templates_dir: {path.name} line {exc.lineno}",
                    exc.message or "template syntax error",
                    "correct the template (compare with the shipped one in config/templates/)",
                )
            )
    if not found and not any(folder.glob("*.j2")):
        found.append(
            Finding(
                "warning",
                "notify.templates_dir",
                f"{folder} holds no *.j2 templates, so the shipped ones are used",
                "copy the templates you want to change into it, or remove the setting",
            )
        )
    return found


def check_rules(rules: RulesSettings) -> list[Finding]:
    """Return what deserves a look in [rules] (the model refuses the mistakes)."""
    found: list[Finding] = []
    window = rules.checkin_last_day - rules.checkin_first_day
    if rules.days_left_stage > window:
        found.append(
            Finding(
                "warning",
                "rules.days_left_stage",
                f"{rules.days_left_stage} days before the due date is before the window opens "
                f"(day {rules.checkin_first_day}), so that digest never goes out",
                f"make it at most {window}",
            )
        )
    return found


def check_watchdog(watchdog: WatchdogSettings) -> list[Finding]:
    """Return cadences the watchdog can never check: flows that record no runs under that name."""
    return [
        Finding(
            "warning",
            f"watchdog.cadence.{name}",
            "no flow records its runs under this name, so it never counts as missed",
            f"watch one of {', '.join(sorted(RECORDED_FLOWS))} (the daily flow through remind)",
        )
        for name, cadence in watchdog.cadence.items()
        if cadence.enabled and name not in RECORDED_FLOWS
    ]


def check_database(url: str) -> list[Finding]:
    """Return whether the database can be reached and is at the migrations this code expects.

    An SQLite file that does not exist yet is not created here.
    """
    from lianxin.store.db import make_engine
    from lianxin.store.maintenance import revisions, sqlite_path

    shown = mask_url(url, long_tokens=False)
    path = sqlite_path(url)
    if path is not None and not path.is_file():
        return [
            Finding(
                "warning",
                "database_url",
                f"{path} does not exist yet; the first run creates it",
                "nothing, or create it now with `lianxin db upgrade`",
            )
        ]
    kwargs: dict[str, Any] = {}
    if url.startswith("postgresql"):
        kwargs["connect_args"] = {"connect_timeout": 5}
    try:
        engine = make_engine(url, **kwargs)
        try:
            status = revisions(engine)
        finally:
            engine.dispose()
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return [
            Finding(
                "error",
                "database_url",
                f"cannot connect to {shown}: {mask_url(reason)}",
                "check the URL (LIANXIN_DATABASE_URL), that the server runs and the user "
                "may log in",
            )
        ]
    if status.unknown:
        return [
            Finding(
                "error",
                "database_url",
                f"the database is at revision {', '.join(status.unknown)}, which this version "
                "of Lianxin does not ship (a newer version migrated it)",
                "run the newer Lianxin, or restore the backup taken before that upgrade",
            )
        ]
    if not status.at_head:
        current = ", ".join(status.current) or "no revision (empty)"
        return [
            Finding(
                "warning",
                "database_url",
                f"the database is at {current}, the code expects {', '.join(status.heads)}",
                "back it up (`lianxin db backup`), then run `lianxin db upgrade`; "
                "the next run would upgrade it too",
            )
        ]
    return []
