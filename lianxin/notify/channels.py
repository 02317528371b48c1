"""Channels deliver a rendered message: the outbox (a file per message) or any Apprise URL.

A channel raises `ChannelError` (or `PermanentChannelError`) on failure; `deliver` catches it
at one boundary and records it in the ledger.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import apprise

from lianxin.archive import content_hash
from lianxin.errors import ChannelError, PermanentChannelError

OUTBOX_SCHEME = "outbox://"


@dataclass(frozen=True)
class Message:
    key: str  # idempotency key, sent along so that a receiver can drop a copy
    recipient: str  # display name
    title: str
    body: str
    created_at: datetime


class Channel(Protocol):
    label: str  # safe to show: no secrets

    def send(self, message: Message) -> str:
        """Deliver `message`; return a short detail (e.g. a file path); raise ChannelError."""
        ...


class OutboxChannel:
    """Write each message as a readable text file under the outbox folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.label = OUTBOX_SCHEME

    def path_for(self, message: Message) -> Path:
        # The name derives from the key alone, so a resend overwrites instead of duplicating.
        readable = message.key.split("@", 1)[0].replace("/", "-").replace("|", "-")
        slug = re.sub(r"[^\w\u4e00-\u9fff-]+", "_", readable).strip("_-")
        return self.folder / f"{slug[:120]}-{content_hash(message.key.encode())[:8]}.txt"

    def send(self, message: Message) -> str:
        path = self.path_for(message)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (
            f"To: {message.recipient}\n"
            f"Subject: {message.title}\n"
            f"Date: {message.created_at.isoformat(timespec='seconds')}\n"
            f"Idempotency-Key: {message.key}\n\n"
            f"{message.body}\n"
        )
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        return str(path)


class AppriseChannel:
    """Send through one Apprise URL (mailto://, json://, wecombot://, dingtalk://, …)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.label = _redact(url)
        self._apprise = apprise.Apprise()
        if not self._apprise.add(url):
            raise PermanentChannelError(self.label, "Apprise does not understand this URL")

    def send(self, message: Message) -> str:
        body = f"{message.body}\n\n[{message.key}]"
        if not self._apprise.notify(title=message.title, body=body):
            raise ChannelError(self.label, "the receiver did not accept the message")
        return self.label


_SECRET = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


def expand_secrets(route: str, environ: Mapping[str, str] | None = None) -> str:
    """Return `route` with each ${NAME} replaced from the environment, so that files never hold
    passwords or bot keys; raise PermanentChannelError naming a variable that is not set."""
    env = os.environ if environ is None else environ

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise PermanentChannelError(
                _redact(route), f"the environment variable {name} is not set (export it)"
            )
        return quote(env[name], safe="")

    return _SECRET.sub(value, route)


def make_channel(route: str, outbox: Path) -> Channel:
    """Return the channel for `route`; raise PermanentChannelError for an unusable one."""
    if route.startswith(OUTBOX_SCHEME):
        rest = route[len(OUTBOX_SCHEME) :]
        return OutboxChannel(Path(rest) if rest else outbox)
    channel = AppriseChannel(expand_secrets(route))
    channel.label = _redact(route)  # the template, never the secret
    return channel


def _redact(url: str) -> str:
    # user:password@ and long tokens must never reach a log line or the ledger.
    url = re.sub(r"//[^/@]*@", "//***@", url)
    return re.sub(r"([A-Za-z0-9_\-]{16,})", lambda m: m.group(1)[:4] + "…", url)
