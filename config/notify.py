"""The [notify] settings: where reminders go, in which words, what they may show, at what pace."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from config.checks import Section, checked_rate, refuse

# What notify.channels.expand_secrets fills in a route: ${NAME} from the environment,
# ${secret:block-name} from a Prefect Secret block. Any other ${…} would be sent as written.
PLACEHOLDER = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
SECRET_BLOCK = re.compile(r"\$\{secret:([a-z0-9][a-z0-9-]*)\}")
ANY_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
ROLE_KEY = re.compile(r"^(?:(?:village|town):.+|county)$")


def _route(route: str) -> str:
    for name in dict.fromkeys(ANY_PLACEHOLDER.findall(route)):
        written = f"${{{name}}}"
        if not (PLACEHOLDER.fullmatch(written) or SECRET_BLOCK.fullmatch(written)):
            refuse(
                f"{written} is neither ${{UPPER_CASE_NAME}} (environment) nor "
                "${secret:block-name} (Prefect Secret block), so it would be sent as written: "
                f"write ${{{name.upper()}}} and export {name.upper()}, or name a Secret block"
            )
    return route


def _role(role: str) -> str:
    if not ROLE_KEY.match(role):
        refuse(
            "is not a role escalations go to, so its routes are never used: "
            'write "village:<村名>", "town:<镇名>" or "county"'
        )
    return role


def _scheme(scheme: str) -> str:
    if "://" in scheme or scheme != scheme.lower():
        refuse(
            "pacing goes by URL scheme, and this is not one: "
            'write the lower-case scheme alone, e.g. wecombot = "20/minute"'
        )
    return scheme


# A Feishu/Lark member id as a bot's <at user_id="…"> takes it: open_id (ou_…), user_id, or
# "all"; nothing that could close the quotes of the mention.
FEISHU_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _feishu_id(user_id: str) -> str:
    if not FEISHU_ID.match(user_id):
        refuse(
            "is not a Feishu id a bot can @: write the member's open_id (ou_…) or user_id, "
            "letters, digits, _ and - only"
        )
    return user_id


# A route as written (an Apprise URL or outbox://, with ${NAME} or ${secret:name} in it).
Route = Annotated[str, AfterValidator(_route)]


class NotifySettings(Section):
    """Reminders: where they go, in which words, what they may show, at what pace."""

    outbox_dir: Path = Field(
        default=Path("var/outbox"), description="Where outbox:// writes one file per message."
    )
    default_routes: list[Route] = Field(
        default_factory=lambda: ["outbox://"],
        description='Routes for a cadre with no route of their own; "outbox://" writes a file '
        "per message.",
    )
    routes: dict[str, list[Route]] = Field(
        default_factory=dict,
        description='Extra routes by cadre name ("王芳") or by village or town name ("青山村"): '
        "Apprise URLs; ${NAME} comes from the environment, ${secret:name} from a Prefect Secret "
        "block.",
    )
    roles: dict[Annotated[str, AfterValidator(_role)], list[Route]] = Field(
        default_factory=dict,
        description='Routes by role, for escalations: "village:青山村", "town:石桥镇" or "county".',
    )
    language: str = Field(default="zh", description="The messages' language: zh or en.")
    # README "Templates, channel kinds and mentions" tells how both are used.
    templates_dir: Path | None = Field(
        default=None,
        description="A folder of your own templates, looked up before the shipped "
        "config/templates/.",
    )
    channel_kinds: dict[str, Literal["group", "personal", "sms", "outbox"]] = Field(
        default_factory=dict,
        description='A route\'s kind by scheme ("json") or by the whole route as written, '
        "overriding the built-in guess; the kind picks the template and what it may show.",
    )
    personal_full_phone: bool = Field(
        default=False,
        description="A personal message (mail, SMS) to the responsible cadre may show workers' "
        "phones in full; a group never does.",
    )
    reread_after_hours: int = Field(
        default=24,
        ge=0,
        le=24 * 30,
        description="A personal check-in digest whose link is still unread (未读) this many "
        "hours after it was sent gets one repeat on the same route; 0: never repeated.",
    )
    group_mentions: bool = Field(
        default=True,
        description="@ the responsible cadre in a group: by phone in DingTalk and WeCom, by "
        "their Feishu id (feishu_ids) in Feishu and Lark.",
    )
    feishu_ids: dict[str, Annotated[str, AfterValidator(_feishu_id)]] = Field(
        default_factory=dict,
        description='Cadres\' Feishu/Lark ids (open_id "ou_…" or user_id), by cadre name '
        '("李建国") or key ("石桥镇|李建国"), for a real @ in Feishu/Lark groups, which cannot @ '
        "by phone; a cadre without one is named as @姓名 in plain text, which notifies no one.",
    )
    max_listed: int = Field(
        default=30, ge=1, description='Workers listed in one digest, then "and N more".'
    )
    quiet_start: time = Field(
        default=time(22, 0),
        description="Quiet hours begin (rules.timezone): nothing is sent but the outbox, and the "
        "next run after them catches up.",
    )
    quiet_end: time = Field(default=time(7, 0), description="Quiet hours end (rules.timezone).")
    daily_cap: int = Field(
        default=20,
        ge=1,
        description="Messages per recipient per day, across every worker sharing the store; "
        "the rest wait.",
    )
    claim_lease_s: float = Field(
        default=120.0,
        ge=1.0,
        description="Seconds a delivery's claim on a message holds without a sign of life; "
        "another worker then sends it (with the same key). A live delivery renews its claims "
        "four times a lease.",
    )
    retries: int = Field(
        default=2, ge=0, le=10, description="More tries of a failed send within a run."
    )
    retry_backoff_s: float = Field(
        default=2.0, ge=0, description="Seconds before the first retry, doubled after each."
    )
    concurrency: int = Field(
        default=8,
        ge=1,
        le=64,
        description="Sends in flight at once, across different routes (each keeps its own pace).",
    )
    pacing: dict[Annotated[str, AfterValidator(_scheme)], str] = Field(
        default_factory=lambda: {
            "wecombot": "20/minute",
            "dingtalk": "20/minute",
            "feishu": "20/minute",
            "lark": "20/minute",
        },
        description='Pace per route by URL scheme, as "N/second|minute|hour" (the limits '
        "notation); group bots accept about 20 messages a minute; a scheme not listed is not "
        "paced.",
    )

    @field_validator("pacing")
    @classmethod
    def _pacing_parses(cls, value: dict[str, str]) -> dict[str, str]:
        for scheme, rate in value.items():
            checked_rate(rate, f"notify.pacing.{scheme}", "20/minute")
        return value
