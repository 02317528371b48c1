"""Show settings without their secrets: mask URLs, and write the configuration back as TOML.

Masked: the password (or a lone token) in a URL's `user:password@`, query values whose name
says key, token, secret, password or signature, runs of 16 or more letters and digits (bot keys,
webhook tokens; the first four stay, to tell them apart), and a database URL's password.
`${NAME}` placeholders stay as written: they name a variable, they hold no secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config.settings import Settings

PLACEHOLDER = re.compile(r"(\$\{[^}]*\})")
_AUTHORITY = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#]*@)?")
_SECRET_QUERY = re.compile(
    r"([?&;][^=&#]*(?:key|token|secret|pass|pwd|sig|auth|code)[^=&#]*=)([^&#]*)", re.IGNORECASE
)
_LONG = re.compile(r"[A-Za-z0-9_\-]{16,}")
_BARE_KEY = re.compile(r"[A-Za-z0-9_\-]+")


def _hide(value: str) -> str:
    return value if not value or PLACEHOLDER.fullmatch(value) else "***"


def mask_url(text: str, long_tokens: bool = True) -> str:
    """Return `text` with the secrets of any URL in it masked and ${NAME} placeholders kept.

    `long_tokens=False` keeps long runs of letters, for public addresses such as a source's.
    """
    match = _AUTHORITY.match(text)
    if match and match.group(2):
        userinfo = match.group(2)[:-1]
        user, sep, password = userinfo.partition(":")
        shown = f"{user}:{_hide(password)}" if sep else _hide(userinfo)
        text = f"{match.group(1)}{shown}@{text[match.end() :]}"
    text = _SECRET_QUERY.sub(lambda m: m.group(1) + _hide(m.group(2)), text)
    if not long_tokens:
        return text
    return "".join(
        part if PLACEHOLDER.fullmatch(part) else _LONG.sub(lambda m: m.group()[:4] + "…", part)
        for part in PLACEHOLDER.split(text)
    )


def mask_database_url(url: str) -> str:
    """Return a database URL with its password masked (SQLAlchemy's own rendering)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return mask_url(url, long_tokens=False)


def masked(data: Any, path: tuple[str, ...] = ()) -> Any:
    """Return dumped settings with every URL masked, keys included (channel_kinds by route)."""
    if isinstance(data, dict):
        return {(mask_url(k) if "://" in k else k): masked(v, (*path, k)) for k, v in data.items()}
    if isinstance(data, list):
        return [masked(item, path) for item in data]
    if isinstance(data, str) and "://" in data:
        if path == ("database_url",):
            return mask_database_url(data)
        return mask_url(data, long_tokens=path[:1] != ("sources",))
    return data


def effective(settings: Settings) -> dict[str, Any]:
    """Return the settings as plain data (TOML/JSON-ready), secrets masked."""
    result: dict[str, Any] = masked(settings.model_dump(mode="json"))
    return result


def toml_key(key: str) -> str:
    """Return `key` as a TOML key: bare when it can be, quoted otherwise (青山村 → "青山村")."""
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def toml_value(value: Any) -> str:
    """Return `value` written as TOML (lists and tables inline; None entries left out)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        inner = ", ".join(
            f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items() if v is not None
        )
        return f"{{ {inner} }}" if inner else "{}"
    if isinstance(value, list | tuple):
        if value and all(isinstance(item, Mapping) for item in value):
            return "[\n" + "".join(f"  {toml_value(item)},\n" for item in value) + "]"
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _dotted(data: Mapping[str, Any], prefix: str = "") -> list[str]:
    lines: list[str] = []
    for key, value in data.items():
        path = prefix + toml_key(key)
        if isinstance(value, Mapping) and value:
            lines += _dotted(value, path + ".")
        elif value is None:
            lines.append(f"# {path} is not set")
        else:
            lines.append(f"{path} = {toml_value(value)}")
    return lines


def to_toml(data: Mapping[str, Any]) -> str:
    """Return settings data as a TOML document: top-level values, then one table per section."""
    sections = {k: v for k, v in data.items() if isinstance(v, Mapping) and v}
    lines = _dotted({k: v for k, v in data.items() if k not in sections})
    for name, section in sections.items():
        lines += ["", f"[{toml_key(name)}]", *_dotted(section)]
    return "\n".join(lines) + "\n"
