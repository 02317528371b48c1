"""Feishu (飞书) and Lark group bots that @-mention the responsible cadre and sign what they post.

A Feishu custom bot cannot @ anyone by mobile number (DingTalk and WeCom can): it @s a member
by their Feishu id (open_id `ou_…` or user_id) written into the text as
`<at user_id="ou_…">李建国</at>`. A cadre with an id in `notify.feishu_ids` is mentioned that
way; one without is named as plain text, `@李建国`, which Feishu shows but does not notify.

A bot with signature verification (签名校验) on refuses an unsigned post: a route's `?secret=`
(best `${FEISHU_SECRET}`, from the environment) makes every post carry `timestamp` and
`sign` = base64(HMAC-SHA256 keyed by "timestamp\\nsecret", of nothing). Apprise's own plugins
neither mention nor sign; these subclasses do both, and read Feishu's `code`, which reports a
refused message with HTTP 200.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Sequence
from typing import Any

import apprise
import requests
from apprise.plugins.feishu import NotifyFeishu
from apprise.plugins.lark import NotifyLark

# (Feishu user id, or "" when the cadre has none; the name to show)
Mention = tuple[str, str]
FEISHU_SCHEMES = frozenset({"feishu", "lark"})
_MARKUP = re.compile(r'[<>&"]')


def mention_text(mentions: Sequence[Mention]) -> str:
    """Return the line that @s `mentions`: a real mention by id, else the name as text."""
    parts = []
    for user_id, name in mentions:
        shown = _MARKUP.sub("", name)
        parts.append(f'<at user_id="{user_id}">{shown}</at>' if user_id else f"@{shown}")
    return " ".join(parts)


def feishu_sign(secret: str, timestamp: int) -> str:
    """Return the `sign` of a post made at `timestamp` (seconds) for a bot keyed `secret`."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def feishu_payload(
    body: str, mentions: Sequence[Mention], secret: str | None, now: float | None = None
) -> dict[str, Any]:
    """Return the JSON a Feishu/Lark bot receives: a text, its mentions first, signed when
    `secret` is set."""
    text = f"{mention_text(mentions)}\n{body}" if mentions else body
    payload: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
    if secret:
        timestamp = int(time.time() if now is None else now)
        payload = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **payload}
    return payload


def answer_code(response: requests.Response, *names: str) -> int:
    """Return the error code a bot's JSON answer carries under the first of `names` it has
    (0: accepted); 0 for an answer that is not JSON, taking the HTTP status at its word."""
    try:
        answer = response.json()
        found = next((answer[name] for name in names if name in answer), 0)
        return int(found or 0)
    except (ValueError, AttributeError, TypeError):
        return 0


class _Mentioning:
    """What the Feishu and the Lark bot share: the mentions, the secret and the post (put
    before Apprise's plugin among the bases, whose `__init__` takes the token and the rest)."""

    def __init__(
        self,
        token: str,
        mentions: Sequence[Mention] = (),
        secret: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(token, **kwargs)  # type: ignore[call-arg]
        self.mentions = list(mentions)
        self.secret = secret or None

    def _post(self, bot: Any, url: str, body: str) -> bool:
        payload = feishu_payload(body, self.mentions, self.secret)
        bot.throttle()
        try:
            response = requests.post(
                url,
                data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                headers={"User-Agent": bot.app_id, "Content-Type": "application/json"},
                verify=bot.verify_certificate,
                timeout=bot.request_timeout,
                allow_redirects=bot.redirects,
            )
        except requests.RequestException as exc:
            bot.logger.warning("The Feishu bot could not be reached: %s", type(exc).__name__)
            return False
        if response.status_code != requests.codes.ok:
            bot.logger.warning("The Feishu bot refused the message: HTTP %s", response.status_code)
            return False
        code = answer_code(response, "code", "StatusCode")
        if code:
            # 19021: the signature did not match (a wrong secret, or a clock off by an hour).
            bot.logger.warning("The Feishu bot refused the message: code %s", code)
            return False
        return True


class FeishuBotWithMentions(_Mentioning, NotifyFeishu):  # type: ignore[misc]
    """Feishu group bot (飞书群机器人) that @s cadres by their Feishu id and signs its posts."""

    def send(
        self,
        body: str,
        title: str = "",
        notify_type: apprise.NotifyType = apprise.NotifyType.INFO,
        **kwargs: Any,
    ) -> bool:
        return self._post(self, self.notify_url.format(token=self.token), body)


class LarkBotWithMentions(_Mentioning, NotifyLark):  # type: ignore[misc]
    """Lark group bot (Feishu's international edition): the same mentions and signature."""

    def send(
        self,
        body: str,
        title: str = "",
        notify_type: apprise.NotifyType = apprise.NotifyType.INFO,
        **kwargs: Any,
    ) -> bool:
        text = f"{title}\n{body}" if title else body  # Lark's plugin keeps a title of its own
        return self._post(self, self.webhook_url, text)


BOTS: dict[str, type[_Mentioning]] = {
    "feishu": FeishuBotWithMentions,
    "lark": LarkBotWithMentions,
}
