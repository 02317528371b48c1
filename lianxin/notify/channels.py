"""Channels deliver a rendered message: the outbox (a file per message) or any Apprise URL.

A channel raises `ChannelError` (or `PermanentChannelError`) on failure; `deliver` catches it
at one boundary and records it in the ledger.

Each route has a kind (`channel_kind`): a group chat, one person, one person's phone by SMS,
or the outbox. The kind picks the template and how much personal data the words may show.
Where the platform allows, a message also carries its idempotency key in a header and
@-mentions the responsible cadre in a group (DingTalk by `atMobiles`, WeCom by
`mentioned_mobile_list`, Feishu/Lark by the cadre's Feishu id: notify/feishu.py).
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol, cast
from urllib.parse import quote

import apprise
import requests
from apprise.plugins import url_to_dict
from apprise.plugins.wecombot import NotifyWeComBot

from config.settings import NotifySettings
from lianxin.archive import content_hash
from lianxin.errors import ChannelError, PermanentChannelError
from lianxin.notify.feishu import BOTS, FEISHU_SCHEMES, Mention, answer_code

OUTBOX_SCHEME = "outbox://"

ChannelKind = Literal["group", "personal", "sms", "outbox"]

# Group bots post to a chat many people read (企业微信, 钉钉, 飞书 groups).
GROUP_SCHEMES = frozenset({"wecombot", "dingtalk", "feishu", "lark"})
# SMS gateways Apprise speaks: one person's phone, and room for a few lines only.
SMS_SCHEMES = frozenset(
    {
        "twilio",
        "sns",
        "clicksend",
        "vonage",
        "nexmo",
        "plivo",
        "sinch",
        "bulksms",
        "httpsms",
        "seven",
        "smseagle",
        "smseagles",
        "kavenegar",
        "msg91",
        "d7sms",
        "burstsms",
        "msgbird",
        "clickatell",
        "telnyx",
        "smpp",
        "smpps",
    }
)
# The header that carries the idempotency key, by scheme, where Apprise lets us add one.
KEY_HEADERS = {
    **dict.fromkeys(("json", "jsons", "form", "forms", "xml", "xmls"), "Idempotency-Key"),
    **dict.fromkeys(("mailto", "mailtos"), "X-Lianxin-Key"),
}


def scheme_of(route: str) -> str:
    """Return the lower-case scheme of a route ("" when it has none)."""
    return route.split("://", 1)[0].lower() if "://" in route else ""


def channel_kind(route: str, notify: NotifySettings) -> ChannelKind:
    """Return the kind of a route: "group", "personal", "sms" or "outbox".

    `notify.channel_kinds` wins, by the whole route as written (before secrets are expanded),
    then by scheme; else group bots are "group", SMS gateways "sms", the outbox "outbox" and
    everything else (mail, webhooks, app messages) "personal".
    """
    scheme = scheme_of(route)
    chosen = notify.channel_kinds.get(route) or notify.channel_kinds.get(scheme)
    if chosen:
        return chosen
    if route.startswith(OUTBOX_SCHEME):
        return "outbox"
    if scheme in GROUP_SCHEMES:
        return "group"
    return "sms" if scheme in SMS_SCHEMES else "personal"


def key_header_value(key: str) -> str:
    """Return an idempotency key as an ASCII header value: UTF-8 percent-encoded, reversible."""
    return quote(key, safe="/@|:+-_.~")


@dataclass(frozen=True)
class Message:
    key: str  # idempotency key, sent along so that a receiver can drop a copy
    recipient: str  # display name
    title: str
    body: str
    created_at: datetime
    kind: ChannelKind = "personal"
    mentions: tuple[str, ...] = ()  # phones to @ in a group, where the platform can
    # Whom to @ in a Feishu/Lark group, which @s by id, not phone: (Feishu id or "", name).
    named_mentions: tuple[Mention, ...] = ()


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
    """Send through one Apprise URL (mailto://, json://, wecombot://, dingtalk://, …).

    The URL is parsed once; each message gets an Apprise service of its own, built from the
    parsed URL plus that message's key header and mentions, so sends from several threads
    never share one.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.label = redact_route(url)
        self.scheme = scheme_of(url)
        parsed = url_to_dict(url)
        if not parsed or self._service(parsed, None) is None:
            raise PermanentChannelError(self.label, "Apprise does not understand this URL")
        self._parsed: dict[str, Any] = parsed

    def send(self, message: Message) -> str:
        service = self._service(copy.deepcopy(self._parsed), message)
        if service is None:
            raise PermanentChannelError(self.label, "Apprise does not understand this URL")
        # The plugin itself, not an Apprise() around it, which would start a thread pool for
        # each message: the deliverer already sends side by side.
        if not service.notify(title=message.title, body=self._text(message)):
            raise ChannelError(self.label, "the receiver did not accept the message")
        return self.label

    def _text(self, message: Message) -> str:
        parts = [message.body]
        if self.scheme == "dingtalk" and message.mentions:
            # DingTalk highlights an atMobiles member only where the text says @<phone>.
            parts.append(" ".join(f"@{phone}" for phone in message.mentions))
        parts.append(f"[{message.key}]")  # last line: the key, for receivers without headers
        return "\n\n".join(parts)

    def _service(self, args: dict[str, Any], message: Message | None) -> Any:
        # `args` are the keyword arguments of the Apprise plugin, as parsed from the URL.
        mentions = message.mentions if message else ()
        header = KEY_HEADERS.get(self.scheme)
        if message and header:
            args["headers"] = {**(args.get("headers") or {}), header: key_header_value(message.key)}
        if self.scheme == "dingtalk" and mentions:
            args["targets"] = [*(args.get("targets") or []), *mentions]
        if self.scheme == "wecombot":
            args.update(asset=apprise.AppriseAsset(), tag=set(), mentions=mentions)
            try:
                return WeComBotWithMentions(**args)
            except Exception:  # noqa: BLE001 - Apprise signals a bad URL by any exception
                return None
        if self.scheme in FEISHU_SCHEMES:
            named = message.named_mentions if message else ()
            secret = (args.get("qsd") or {}).get("secret")  # ?secret=: the bot's 签名校验 key
            args.update(asset=apprise.AppriseAsset(), tag=set(), mentions=named, secret=secret)
            try:
                return BOTS[self.scheme](**args)
            except Exception:  # noqa: BLE001 - Apprise signals a bad URL by any exception
                return None
        return apprise.Apprise.instantiate(args)


class WeComBotWithMentions(NotifyWeComBot):  # type: ignore[misc]
    """WeCom group bot (企业微信群机器人) that @-mentions members by mobile number.

    Apprise's plugin posts a text without `mentioned_mobile_list`; this one adds it, and
    also reads WeCom's `errcode`, which reports a refused message with HTTP 200.
    """

    def __init__(self, key: str, mentions: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(key, **kwargs)
        self.mentions = [phone for phone in mentions if phone]

    def send(
        self,
        body: str,
        title: str = "",
        notify_type: apprise.NotifyType = apprise.NotifyType.INFO,
        **kwargs: Any,
    ) -> bool:
        text: dict[str, Any] = {"content": body}
        if self.mentions:
            text["mentioned_mobile_list"] = self.mentions
        self.throttle()
        try:
            response = requests.post(
                self.api_url,
                data=json.dumps({"msgtype": "text", "text": text}).encode("utf-8"),
                headers={"User-Agent": self.app_id, "Content-Type": "application/json"},
                verify=self.verify_certificate,
                timeout=self.request_timeout,
                allow_redirects=self.redirects,
            )
        except requests.RequestException as exc:
            self.logger.warning("WeCom Bot could not be reached: %s", exc)
            return False
        if response.status_code != requests.codes.ok:
            self.logger.warning("WeCom Bot refused the message: HTTP %s", response.status_code)
            return False
        errcode = answer_code(response, "errcode")
        if errcode:
            self.logger.warning("WeCom Bot refused the message: errcode %s", errcode)
            return False
        return True


_SECRET = re.compile(r"\$\{(?:(secret):([a-z0-9][a-z0-9-]*)|([A-Z_][A-Z0-9_]*))\}")


def expand_secrets(
    route: str,
    environ: Mapping[str, str] | None = None,
    secret_block: Callable[[str], str] | None = None,
) -> str:
    """Return `route` with its placeholders filled, so that files never hold passwords or keys.

    `${NAME}` comes from the environment, `${secret:block-name}` from a Prefect Secret block.
    Raise PermanentChannelError naming what is missing.
    """
    env = os.environ if environ is None else environ
    load = secret_block or prefect_secret

    def value(match: re.Match[str]) -> str:
        block, name = match.group(2), match.group(3)
        if block:
            try:
                return quote(load(block), safe="")
            except Exception as exc:  # noqa: BLE001 - any failure to read it means the same
                raise PermanentChannelError(
                    redact_route(route),
                    f"the Prefect Secret block {block!r} cannot be read "
                    f"({type(exc).__name__}); create it with: prefect block create secret",
                ) from None
        if name not in env:
            raise PermanentChannelError(
                redact_route(route), f"the environment variable {name} is not set (export it)"
            )
        return quote(env[name], safe="")

    return _SECRET.sub(value, route)


def prefect_secret(name: str) -> str:
    """Return the value of the Prefect Secret block `name` from the configured Prefect API."""
    from prefect.blocks.system import Secret  # only routes that name a block need Prefect here

    block = cast(Secret, Secret.load(name))  # a block, as called from synchronous code
    return str(block.get())


def make_channel(route: str, outbox: Path) -> Channel:
    """Return the channel for `route`; raise PermanentChannelError for an unusable one."""
    if route.startswith(OUTBOX_SCHEME):
        rest = route[len(OUTBOX_SCHEME) :]
        return OutboxChannel(Path(rest) if rest else outbox)
    channel = AppriseChannel(expand_secrets(route))
    channel.label = redact_route(route)  # the template, never the secret
    return channel


def redact_route(url: str) -> str:
    """Return `url` without user:password@, a ?secret= (Feishu's signing key) or long tokens.

    What a log line, the ledger or an operator's alert may show of a route.
    """
    url = re.sub(r"//[^/@]*@", "//***@", url)
    url = re.sub(r"([?&](?:secret|sign|key|token)=)[^&#]*", r"\1***", url, flags=re.I)
    return re.sub(r"([A-Za-z0-9_\-]{16,})", lambda m: m.group(1)[:4] + "…", url)
