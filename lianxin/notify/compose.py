"""Turn one digest and one route into the message that route receives.

This is the single place that decides the words a channel gets: the template (per stage and
channel kind), the language, how much personal data shows and whom to @-mention. `deliver`
calls it once per (digest, route).
"""

from __future__ import annotations

import re
from datetime import datetime

from config.settings import NotifySettings
from lianxin.notify.channels import ChannelKind, Message, channel_kind, scheme_of
from lianxin.notify.digests import Digest
from lianxin.notify.escalation_digests import EscalationDigest
from lianxin.notify.feishu import FEISHU_SCHEMES, Mention
from lianxin.notify.problem_digests import ProblemDigest
from lianxin.notify.render import PERSONAL_KINDS, Renderer

_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def compose(
    renderer: Renderer,
    digest: Digest | ProblemDigest | EscalationDigest,
    route: str,
    key: str,
    now: datetime,
    notify: NotifySettings,
) -> Message:
    """Return the message for `digest` on `route`, carrying its idempotency `key`."""
    kind = channel_kind(route, notify)
    title, body = renderer.render(
        digest,
        kind=kind,
        full_phone=notify.personal_full_phone and kind in PERSONAL_KINDS,
        templates_dir=notify.templates_dir,
    )
    return Message(
        key=key,
        recipient=digest.cadre_name,
        title=title,
        body=body,
        created_at=now,
        kind=kind,
        mentions=mentions_for(digest, kind, notify),
        named_mentions=named_mentions_for(digest, route, kind, notify),
    )


def mentions_for(
    digest: Digest | ProblemDigest | EscalationDigest, kind: ChannelKind, notify: NotifySettings
) -> tuple[str, ...]:
    """Return the phones to @ on a route: the responsible cadre's, in a group, when configured.

    Empty for any other kind, when `notify.group_mentions` is off, or when the cadre has no
    mainland mobile number on record.
    """
    phone = getattr(digest, "cadre_phone", None)
    if kind != "group" or not notify.group_mentions or not phone:
        return ()
    match = _MOBILE.match(re.sub(r"[\s-]", "", phone))
    return (match.group(1),) if match else ()


def named_mentions_for(
    digest: Digest | ProblemDigest | EscalationDigest,
    route: str,
    kind: ChannelKind,
    notify: NotifySettings,
) -> tuple[Mention, ...]:
    """Return whom to @ in a Feishu/Lark group: the responsible cadre of a check-in digest,
    by their Feishu id (`notify.feishu_ids`, by cadre key, then name), or by name alone.

    Empty for any other route, kind or digest, and when `notify.group_mentions` is off.
    """
    if (
        kind != "group"
        or not notify.group_mentions
        or scheme_of(route) not in FEISHU_SCHEMES
        or not isinstance(digest, Digest)
    ):
        return ()
    ids = notify.feishu_ids
    return ((ids.get(digest.cadre_key) or ids.get(digest.cadre_name) or "", digest.cadre_name),)
