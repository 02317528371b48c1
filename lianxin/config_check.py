"""Load the configuration the way Lianxin does, say where each layer came from, and find mistakes.

`lianxin config check` prints one line per finding (where, what, how to fix) and exits 1 on an
error; a configuration that cannot be read at all (a missing file, broken TOML, an environment
variable that is not JSON where JSON is needed) raises `ConfigError`, exit 2.

A finding is an **error** when a run would fail or silently do the wrong thing (a route Apprise
cannot parse, a secret that is not exported, a source that cannot be fetched), a **warning**
when it deserves a look (a database behind the code's migrations, a setting that matches
nothing).
"""

from __future__ import annotations

import codecs
import os
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jinja2
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from config.settings import (
    TEMPLATES_DIR,
    NotifySettings,
    RulesSettings,
    Settings,
    SourceSettings,
    WatchdogSettings,
    config_files,
    read_config_file,
    read_settings,
    toml_path,
)
from lianxin.config_doc import item_model, model_of
from lianxin.config_show import mask_url
from lianxin.errors import PermanentChannelError
from lianxin.notify.channels import OUTBOX_SCHEME, make_channel, scheme_of
from lianxin.records import ReportKind, WorkStatus

ENV_PREFIX = "LIANXIN_"
# Read by config.settings itself to find the file, not a setting.
ENV_NOT_SETTINGS = frozenset({"LIANXIN_CONFIG"})
DOCS = "docs/configuration.md"
SOURCE_KINDS = ("auto", *(kind.value for kind in ReportKind))
FETCHED_SCHEMES = ("http", "https")
# The names flows record their runs under; the daily flow records its three steps.
RECORDED_FLOWS = frozenset({"ingest", "followups", "remind"})
# What channels.expand_secrets fills: ${NAME} from the environment, ${secret:block-name} from a
# Prefect Secret block. Any other ${…} would be sent as written.
PLACEHOLDER = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
SECRET_BLOCK = re.compile(r"\$\{secret:([a-z0-9][a-z0-9-]*)\}")
ANY_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
ROLE_KEY = re.compile(r"^(?:(?:village|town):.+|county)$")

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
    """Return the layers, the settings (None when invalid) and the validation mistakes.

    Raise ConfigError when the configuration cannot be read at all.
    """
    layers = read_layers(environ)
    try:
        return layers, read_settings(), []
    except ValidationError as exc:
        return layers, None, [validation_finding(error, layers) for error in exc.errors()]


def validation_finding(error: Any, layers: Layers) -> Finding:
    """Return one readable finding for one pydantic error, naming the layer that set the value."""
    loc = tuple(error["loc"])
    where = f"{toml_path(loc)} (from {layers.origin(loc)})"
    kind = error["type"]
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return Finding("error", where, "is required", f"add it; {DOCS} lists every setting")
    if kind == "extra_forbidden":
        return Finding(
            "error", where, "is not a setting", f"correct the name or remove it; see {DOCS}"
        )
    value = error.get("input")
    if kind != "value_error" and not isinstance(value, dict | list):
        got = mask_url(value) if isinstance(value, str) else value
        message = f"{message} (got {got!r})"
    return Finding("error", where, message, f"give it a value that fits; {DOCS} has its type")


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
    findings += check_unknown(layers)
    findings += check_sources(settings.sources)
    findings += check_routes(settings, env)
    findings += check_notify(settings.notify)
    findings += check_rules(settings.rules)
    findings += check_watchdog(settings.watchdog)
    findings += check_database(settings.database_url)
    return findings


def unknown_keys(
    data: Mapping[str, Any], model: type[BaseModel], path: tuple[str | int, ...] = ()
) -> Iterator[tuple[str | int, ...]]:
    """Yield the paths in `data` that name no field: nested tables accept them silently."""
    for key, value in data.items():
        here = (*path, key)
        info = model.model_fields.get(key)
        if info is None:
            yield here
            continue
        inner, items = model_of(info.annotation), item_model(info.annotation)
        if inner is not None and isinstance(value, Mapping):
            yield from unknown_keys(value, inner, here)
        elif items is not None and isinstance(value, list | Mapping):
            entries = enumerate(value) if isinstance(value, list) else value.items()
            for name, item in entries:
                if isinstance(item, Mapping):
                    yield from unknown_keys(item, items[1], (*here, name))


def _env_path(name: str) -> dict[str, Any]:
    """Return a LIANXIN_A__B__C variable as nested data {"a": {"b": {"c": …}}} to walk."""
    parts = name[len(ENV_PREFIX) :].lower().split("__")
    data: dict[str, Any] = {}
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = None
    return data


def check_unknown(layers: Layers) -> list[Finding]:
    """Return settings in the file or the environment that match no field and are ignored."""
    found = [
        Finding(
            "error",
            f"{toml_path(path)} (from {layers.file})",
            "is not a setting, so it is ignored",
            f"correct the name or remove it; {DOCS} lists every setting",
        )
        for path in unknown_keys(layers.file_data, Settings)
    ]
    for name in layers.env_applied:
        if any(unknown_keys(_env_path(name.upper()), Settings)):
            found.append(
                Finding(
                    "error",
                    name,
                    "matches no setting, so it is ignored",
                    f"correct the name (levels joined by __); see {DOCS}",
                )
            )
    return found


def check_sources(sources: list[SourceSettings]) -> list[Finding]:
    """Return mistakes in the sources: unfetchable URLs, unknown kinds or codecs, duplicates."""
    found: list[Finding] = []
    names = Counter(source.name for source in sources)
    urls = Counter(source.url for source in sources)
    for i, source in enumerate(sources):
        where = f"sources[{i}] ({source.name})"
        parts = urlsplit(source.url)
        if parts.scheme.lower() not in FETCHED_SCHEMES or not parts.netloc:
            found.append(
                Finding(
                    "error",
                    f"{where}.url",
                    f"{mask_url(source.url, long_tokens=False)} is not an http(s) URL, "
                    "and sources are fetched over HTTP",
                    "write the page's https:// address; try a saved page first with "
                    "`lianxin parse FILE`",
                )
            )
        if source.kind not in SOURCE_KINDS:
            found.append(
                Finding(
                    "error",
                    f"{where}.kind",
                    f"{source.kind!r} is not a kind Lianxin reads",
                    f"use one of {', '.join(SOURCE_KINDS)}",
                )
            )
        if source.encoding:
            try:
                codecs.lookup(source.encoding)
            except LookupError:
                found.append(
                    Finding(
                        "error",
                        f"{where}.encoding",
                        f"{source.encoding!r} is not a codec Python knows",
                        'write a codec such as "gb18030" or "utf-8", or remove it',
                    )
                )
        if not source.name.strip() or names[source.name] > 1:
            found.append(
                Finding(
                    "error",
                    f"{where}.name",
                    "is empty" if not source.name.strip() else "is used by another source too",
                    "give every source a name of its own: records and the watchdog go by it",
                )
            )
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
    for role in settings.notify.roles:
        if not ROLE_KEY.match(role):
            found.append(
                Finding(
                    "error",
                    f"notify.roles.{role}",
                    "is not a role escalations go to, so its routes are never used",
                    'write "village:<村名>", "town:<镇名>" or "county"',
                )
            )
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
    for name in dict.fromkeys(ANY_PLACEHOLDER.findall(route)):
        written = f"${{{name}}}"
        if not (PLACEHOLDER.fullmatch(written) or SECRET_BLOCK.fullmatch(written)):
            found.append(
                Finding(
                    "error",
                    where,
                    f"{shown}: {written} is neither ${{UPPER_CASE_NAME}} (environment) nor "
                    "${secret:block-name} (Prefect Secret block), so it would be sent as written",
                    f"write ${{{name.upper()}}} and export {name.upper()}, or name a Secret block",
                )
            )
    # A Secret block is read from the Prefect API when the route is opened; checking it here
    # would need that API, so such a route is checked for its placeholders only.
    if found or route.startswith(OUTBOX_SCHEME) or SECRET_BLOCK.search(route):
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
    """Return mistakes in [notify] beyond the model's own checks: templates, pacing keys."""
    found: list[Finding] = []
    for scheme in notify.pacing:
        if "://" in scheme or scheme != scheme.lower():
            found.append(
                Finding(
                    "error",
                    f"notify.pacing.{scheme}",
                    "pacing goes by URL scheme, and this is not one",
                    'write the lower-case scheme alone, e.g. wecombot = "20/minute"',
                )
            )
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
    """Return mistakes in [rules] beyond the model's own checks."""
    found: list[Finding] = []
    try:
        ZoneInfo(rules.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        found.append(
            Finding(
                "error",
                "rules.timezone",
                f"{rules.timezone!r} is not a time zone",
                'write an IANA name such as "Asia/Shanghai"',
            )
        )
    statuses = {status.value for status in WorkStatus}
    for status in rules.checkin_statuses:
        if status not in statuses:
            found.append(
                Finding(
                    "error",
                    "rules.checkin_statuses",
                    f"{status!r} is not a work status",
                    f"use {', '.join(sorted(statuses))}",
                )
            )
    days = rules.problem_reminder_days
    if any(day < 1 for day in days) or len(set(days)) != len(days):
        found.append(
            Finding(
                "error",
                "rules.problem_reminder_days",
                f"{days} must be distinct whole days before the deadline, 1 or more",
                "write e.g. [7, 3, 1]",
            )
        )
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
