"""What every table of settings shares: a name it does not know is a mistake, and so is a
value that does not fit, said at start-up; `lenient()` lets `lianxin config check` look further.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

from limits import parse as parse_rate
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

FETCHED_SCHEMES = ("http", "https")

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


class Section(BaseModel):
    """A table of settings: a name it does not know is a mistake, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


def is_http_url(value: str) -> bool:
    """Return whether `value` is an http(s) URL naming a host."""
    parts = urlsplit(value)
    return parts.scheme in FETCHED_SCHEMES and bool(parts.netloc)


def checked_rate(value: str, setting: str, example: str) -> str:
    """Return `value` when it is a rate in the limits notation ("20/minute"); else raise
    ValueError naming `setting` and showing `example`."""
    try:
        parse_rate(value)
    except ValueError as exc:
        raise ValueError(f'{setting} = {value!r}: write it like "{example}"') from exc
    return value
