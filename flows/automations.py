"""The Prefect automations that alert the operator on late and failed runs of Lianxin.

| automation           | fires on (a flow run tagged `lianxin`)   | sends                          |
|----------------------|------------------------------------------|--------------------------------|
| lianxin: late run    | prefect.flow-run.Late                    | the notification block of      |
| lianxin: failed run  | prefect.flow-run.Failed/Crashed/TimedOut | watchdog.prefect_block/webhook |

Every deployment of Lianxin carries the tag `lianxin` (flows/deployments.py, prefect.yaml), so
the automations need no deployment ids and cover runs served by `lianxin serve` and by workers
alike. `Late` is the server's own state for a scheduled run not started in time (its
late-runs service; PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS, 15 s by default): no worker,
`lianxin serve` stopped, a pool paused. Applying twice updates the automations in place, by name.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from prefect.automations import EventTrigger, Posture, SendNotification
from prefect.blocks.notifications import CustomWebhookNotificationBlock
from prefect.client.orchestration import get_client
from prefect.events.schemas.automations import AutomationCore
from prefect.events.schemas.events import ResourceSpecification

from config.settings import WatchdogSettings
from lianxin.errors import ConfigError

TAG = "lianxin"  # on every deployment of Lianxin
WEBHOOK_BLOCK = "lianxin-operator"  # the Custom Webhook block made from watchdog.prefect_webhook
LATE = "lianxin: late run"
FAILED = "lianxin: failed run"
_ENV = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")

# Jinja, rendered by the server for each event: which flow and deployment, which state, when.
_WHICH = (
    "{{ flow.name }}/{% if deployment %}{{ deployment.name }}{% else %}(no deployment){% endif %}"
)
SUBJECT = "连心 Lianxin: " + _WHICH + " is {{ event.resource['prefect.state-name'] }}"
BODY = (
    "Flow run {{ flow_run.name }} ({{ flow_run.id }}) of " + _WHICH + " entered state "
    "{{ event.resource['prefect.state-name'] }} at {{ event.occurred }} "
    "(expected to start {{ flow_run.expected_start_time }}).\n"
    "{% if flow_run.state.message %}{{ flow_run.state.message }}\n{% endif %}"
    "{% set url = flow_run|ui_url %}{% if url %}{{ url }}{% endif %}"  # None without a UI
)


@dataclass(frozen=True)
class Applied:
    """One automation as `apply_automations` left it."""

    name: str
    id: UUID
    action: str  # created, updated

    def line(self) -> str:
        """Return the automation in one line, as `lianxin serve` prints it."""
        return f"{self.action} {self.name!r} ({self.id})"


def automations(block_id: UUID) -> list[AutomationCore]:
    """Return the two automations, each sending through notification block `block_id`."""
    tagged = ResourceSpecification(
        {"prefect.resource.role": "tag", "prefect.resource.id": f"prefect.tag.{TAG}"}
    )

    def on(events: set[str]) -> EventTrigger:
        return EventTrigger(
            expect=events,
            match={"prefect.resource.id": "prefect.flow-run.*"},
            match_related=tagged,
            posture=Posture.Reactive,
            threshold=1,
            within=timedelta(0),
        )

    notify = SendNotification(block_document_id=block_id, subject=SUBJECT, body=BODY)
    return [
        AutomationCore(
            name=LATE,
            description="A scheduled run of Lianxin did not start in time (no worker, lianxin "
            "serve stopped, a paused pool).",
            trigger=on({"prefect.flow-run.Late"}),
            actions=[notify],
        ),
        AutomationCore(
            name=FAILED,
            description="A run of Lianxin failed, crashed or timed out.",
            trigger=on(
                {"prefect.flow-run.Failed", "prefect.flow-run.Crashed", "prefect.flow-run.TimedOut"}
            ),
            actions=[notify],
        ),
    ]


def notification_block(watch: WatchdogSettings) -> UUID | None:
    """Return the id of the block alerts go through, saving the webhook's block; None if unset.

    Raise ConfigError when the named block does not exist or a `${NAME}` is not exported.
    """
    if watch.prefect_block:
        slug, name = watch.prefect_block.split("/", 1)
        with get_client(sync_client=True) as client:
            try:
                return client.read_block_document_by_name(name, slug).id
            except Exception:  # ObjectNotFound, or a type slug the server does not know
                raise ConfigError(
                    "watchdog.prefect_block",
                    f"no block {watch.prefect_block!r} on the Prefect server",
                    "create it in the Prefect UI (Blocks) or name one from `prefect block ls`",
                ) from None
    if watch.prefect_webhook:
        url, secrets = _templated(watch.prefect_webhook)
        block = CustomWebhookNotificationBlock(
            name=WEBHOOK_BLOCK,
            url=url,
            json_data={"subject": "{{subject}}", "body": "{{body}}"},
            headers=None,
            cookies=None,
            secrets=secrets,  # type: ignore[arg-type]  # pydantic turns the dict into SecretDict
        )
        saved = block.save(WEBHOOK_BLOCK, overwrite=True)
        assert isinstance(saved, UUID), "saved outside an event loop"
        return saved
    return None


def _templated(url: str) -> tuple[str, dict[str, str]]:
    # ${NAME} becomes the block's {{NAME}}, its value a secret of the block: the URL the server
    # stores and shows never holds the key.
    missing = [n for n in _ENV.findall(url) if n not in os.environ]
    if missing:
        raise ConfigError(
            "watchdog.prefect_webhook",
            f"the environment variable {missing[0]} is not set",
            f"export {missing[0]} before `lianxin serve` or `lianxin automations apply`",
        )
    names = dict.fromkeys(_ENV.findall(url))
    return _ENV.sub(r"{{\1}}", url), {n: os.environ[n] for n in names}


def apply_automations(watch: WatchdogSettings) -> list[Applied]:
    """Create or update the automations by name; return them ([] when no destination is set).

    A second automation of the same name (made by hand) is deleted, so there is one of each.
    """
    if not watch.prefect_automations:
        return []
    block_id = notification_block(watch)
    if block_id is None:
        return []
    applied = []
    with get_client(sync_client=True) as client:
        for automation in automations(block_id):
            existing = client.read_automations_by_name(automation.name)
            if not existing:
                applied.append(
                    Applied(automation.name, client.create_automation(automation), "created")
                )
                continue
            keep, *extra = sorted(existing, key=lambda a: str(a.id))
            client.update_automation(keep.id, automation)
            for duplicate in extra:
                client.delete_automation(duplicate.id)
            applied.append(Applied(automation.name, keep.id, "updated"))
    return applied


def remove_automations() -> list[str]:
    """Delete Lianxin's automations (by name); return the names deleted."""
    gone = []
    with get_client(sync_client=True) as client:
        for name in (LATE, FAILED):
            for automation in client.read_automations_by_name(name):
                client.delete_automation(automation.id)
                gone.append(name)
    return gone
