"""On a real Prefect server (`prefect server start`, its late-runs service looping every second):
the automations Lianxin applies fire on a failed run and on a late run of a Lianxin deployment,
and the alert reaches a webhook on 127.0.0.1 saying which flow, deployment and state. Applying
twice leaves one automation of each; the `prefect automation` commands of docs/operations.md
list, inspect and delete them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect import flow, tags
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from typer.testing import CliRunner

from config.settings import WatchdogSettings, reset_settings
from flows.automations import FAILED, LATE, WEBHOOK_BLOCK, apply_automations, remove_automations
from flows.deployments import build_deployments
from lianxin.cli.app import app
from lianxin.cli.orchestrate import automation_lines
from lianxin.cli.prefect_server import local_prefect_server
from lianxin.errors import ConfigError
from sinks import WebhookSink, webhook_sink

pytestmark = pytest.mark.e2e

HOOK_KEY = "k3y-of-the-operators-hook"


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A server that marks a run Late 1 s after its scheduled time, checking every second."""
    home = tmp_path_factory.mktemp("prefect-automations")
    with pytest.MonkeyPatch.context() as env:
        env.delenv("PREFECT_API_URL", raising=False)  # never an operator's server
        env.setenv("PREFECT_SERVER_SERVICES_LATE_RUNS_AFTER_SECONDS", "1")
        env.setenv("PREFECT_SERVER_SERVICES_LATE_RUNS_LOOP_SECONDS", "1")
        with local_prefect_server(home) as api:
            yield api, home


@pytest.fixture(scope="module")
def alerts(prefect_api: tuple[str, Path]) -> Iterator[WebhookSink]:
    """The operator's webhook on loopback, with the automations applied to send to it."""
    with webhook_sink() as sink, pytest.MonkeyPatch.context() as env:
        env.setenv("OPERATOR_HOOK_KEY", HOOK_KEY)
        watch = WatchdogSettings(prefect_webhook=sink.base + "/hook?key=${OPERATOR_HOOK_KEY}")
        apply_automations(watch)
        yield sink


def _prefect(*args: str) -> str:
    """Run one `prefect` command against the test's server, as the operator would."""
    done = subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        env={**os.environ, "COLUMNS": "250"},
    )
    return done.stdout.decode("utf-8")


def _inspect(name: str) -> list[dict[str, Any]]:
    # The console wraps the text it prints: newlines inside the JSON strings are not escaped.
    return list(json.loads(_prefect("automation", "inspect", name, "--json"), strict=False))


def _alert_for(sink: WebhookSink, needle: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for body in list(sink.received):
            if needle in body.get("subject", ""):
                return body
        time.sleep(0.3)
    raise AssertionError(f"no alert with {needle!r} within {timeout:.0f} s: {sink.received}")


@flow(name="followups")
def _failing_followups() -> None:
    raise RuntimeError("the store refused the day: disk full")


def test_applying_twice_updates_the_two_automations_and_never_duplicates_them(
    alerts: WebhookSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPERATOR_HOOK_KEY", HOOK_KEY)
    watch = WatchdogSettings(prefect_webhook=alerts.base + "/hook?key=${OPERATOR_HOOK_KEY}")
    again = apply_automations(watch)
    assert [(a.name, a.action) for a in again] == [(LATE, "updated"), (FAILED, "updated")]

    # The command an operator with workers (prefect.yaml, no `lianxin serve`) runs.
    monkeypatch.setenv("LIANXIN_WATCHDOG__PREFECT_WEBHOOK", watch.prefect_webhook or "")
    reset_settings()
    by_hand = CliRunner().invoke(app, ["automations", "apply"])
    reset_settings()
    assert by_hand.exit_code == 0, by_hand.output
    assert f"updated {LATE!r}" in by_hand.output and f"updated {FAILED!r}" in by_hand.output

    listed = _prefect("automation", "ls")
    assert listed.count(LATE) == 1 and listed.count(FAILED) == 1
    [inspected] = _inspect(LATE)
    assert inspected["trigger"]["expect"] == ["prefect.flow-run.Late"]
    assert inspected["trigger"]["match_related"]["prefect.resource.id"] == "prefect.tag.lianxin"
    # The key stays a secret of the block: the stored URL holds its placeholder only.
    block = _prefect("block", "inspect", f"custom-webhook/{WEBHOOK_BLOCK}")
    assert "{{OPERATOR_HOOK_KEY}}" in block and HOOK_KEY not in block


def test_a_failed_run_of_lianxin_alerts_the_operator_with_its_flow_and_state(
    alerts: WebhookSink,
) -> None:
    with tags("lianxin"), pytest.raises(RuntimeError):
        _failing_followups()
    alert = _alert_for(alerts, "followups/")
    assert alert["subject"] == "连心 Lianxin: followups/(no deployment) is Failed"
    assert "the store refused the day: disk full" in alert["body"]
    assert "key=" + HOOK_KEY in alerts.paths[alerts.received.index(alert)]


def test_a_run_of_a_lianxin_deployment_left_without_a_worker_alerts_as_late(
    alerts: WebhookSink,
) -> None:
    morning = next(d for d in build_deployments() if d.name == "morning")
    morning.schedules = []  # registered, never served: no runner will pick the run up
    morning.apply()
    run = run_deployment("daily/morning", parameters={"as_of": "2026-12-08"}, timeout=0)
    assert isinstance(run, FlowRun), "run outside an event loop"
    alert = _alert_for(alerts, "daily/morning")
    assert alert["subject"] == "连心 Lianxin: daily/morning is Late"
    assert run.name in alert["body"]
    assert f"({run.id}) of daily/morning entered state Late" in alert["body"]


def test_an_unknown_block_is_a_configuration_error_naming_the_setting(
    prefect_api: tuple[str, Path],
) -> None:
    with pytest.raises(ConfigError, match="watchdog.prefect_block"):
        apply_automations(WatchdogSettings(prefect_block="slack-webhook/nobody-made-this"))


def test_without_a_destination_serve_says_late_runs_alert_no_one(
    prefect_api: tuple[str, Path],
) -> None:
    watch = WatchdogSettings()
    assert apply_automations(watch) == []
    assert "alert no one" in automation_lines([], watch)[0]


def test_the_automations_are_paused_resumed_and_deleted_by_hand_with_prefect_automation(
    alerts: WebhookSink,
) -> None:
    [inspected] = _inspect(FAILED)
    _prefect("automation", "pause", "--id", inspected["id"])
    assert _inspect(FAILED)[0]["enabled"] is False
    _prefect("automation", "resume", "--id", inspected["id"])
    assert _inspect(FAILED)[0]["enabled"] is True
    _prefect("automation", "delete", "--id", inspected["id"])
    assert FAILED not in _prefect("automation", "ls")
    assert remove_automations() == [LATE]
    assert LATE not in _prefect("automation", "ls")
