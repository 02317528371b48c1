"""Where settings are read from: the shipped defaults, then the operator's TOML file, its
relative paths read from its own folder."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from lianxin.errors import ConfigError

CONFIG_DIR = Path(__file__).resolve().parent
DEFAULTS_FILE = CONFIG_DIR / "defaults.toml"
TEMPLATES_DIR = CONFIG_DIR / "templates"
# The settings holding a folder, as TOML paths; database_url is anchored on its own.
PATH_SETTINGS = (("data_dir",), ("notify", "outbox_dir"), ("notify", "templates_dir"))


def file_settings() -> dict[str, Any]:
    """Return the settings of the TOML files, merged: the operator's file overrides the shipped
    defaults, its relative paths read from its own folder."""
    data: dict[str, Any] = {}
    for path in config_files():
        found = read_config_file(path)
        data = _merged(data, found if path == DEFAULTS_FILE else anchor_paths(found, path))
    return data


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
