"""The deployments: flows/deployments.py (served by `lianxin serve`) and prefect.yaml (for
`prefect deploy --all`) declare the same names, times, time zone, flows and parameters."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from config.settings import RulesSettings, ScheduleSettings, SchedulesSettings, Settings
from flows.deployments import build_deployments

PREFECT_YAML = Path(__file__).resolve().parent.parent / "prefect.yaml"


def _declared() -> dict[str, dict[str, Any]]:
    spec = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    out = {}
    for item in spec["deployments"]:
        flow = _load(item["entrypoint"])
        out[f"{flow.name}/{item['name']}"] = {**item, "flow": flow}
    return out


def _load(entrypoint: str) -> Any:
    """Import `flows/daily.py:daily` the way a worker does from the repository's root."""
    path, attribute = entrypoint.split(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return getattr(module, attribute)


def _served() -> dict[str, Any]:
    return {f"{d.flow_name}/{d.name}": d for d in build_deployments(SchedulesSettings())}


def test_lianxin_serves_the_four_deployments_on_the_shanghai_clock() -> None:
    served = _served()
    assert {name: d.schedules[0].schedule.cron for name, d in served.items()} == {
        "ingest/hourly": "0 * * * *",
        "daily/morning": "30 8 * * *",
        "daily/month-open": "0 8 1 * *",
        "watchdog/quarter-hour": "*/15 * * * *",
    }
    for deployment in served.values():
        assert [s.schedule.timezone for s in deployment.schedules] == ["Asia/Shanghai"]
        assert all(s.active for s in deployment.schedules)
        assert deployment.description and "lianxin" in deployment.tags
    assert served["daily/morning"].parameters == {"as_of": None, "sources": None, "dry_run": False}


def test_prefect_yaml_declares_what_lianxin_serves() -> None:
    declared, served = _declared(), _served()
    assert declared.keys() == served.keys()
    for name, item in declared.items():
        deployment = served[name]
        assert item["flow"].name == deployment.flow_name
        # The yaml's file path and the served module path name the same flow object.
        module, attribute = deployment.entrypoint.rsplit(".", 1)
        assert item["flow"] is getattr(importlib.import_module(module), attribute), name
        assert [(s["cron"], s["timezone"], s["active"]) for s in item["schedules"]] == [
            (s.schedule.cron, s.schedule.timezone, s.active) for s in deployment.schedules
        ], name
        assert item["parameters"] == deployment.parameters, name
        assert item["tags"] == deployment.tags, name
        assert " ".join(item["description"].split()) == " ".join(
            (deployment.description or "").split()
        ), name
        assert item["work_pool"]["name"] == "lianxin"


def test_prefect_yaml_runs_from_the_checkout_the_worker_names() -> None:
    spec = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    (step,) = spec["pull"]
    assert step["prefect.deployments.steps.set_working_directory"]["directory"]
    shipped = RulesSettings().timezone  # prefect.yaml cannot read the settings: the default
    assert all(s["timezone"] == shipped for d in spec["deployments"] for s in d["schedules"])


def test_the_shipped_defaults_match_the_settings_model() -> None:
    assert Settings().schedules == SchedulesSettings()


def test_a_schedule_turned_off_leaves_its_deployment_to_manual_runs() -> None:
    plan = SchedulesSettings(
        watchdog_quarter_hour=ScheduleSettings(cron="0 * * * *", enabled=False)
    )
    served = {f"{d.flow_name}/{d.name}": d for d in build_deployments(plan)}
    assert [s.active for s in served["watchdog/quarter-hour"].schedules] == [False]
    assert served["watchdog/quarter-hour"].schedules[0].schedule.cron == "0 * * * *"
    assert all(s.active for s in served["daily/morning"].schedules)


def test_a_cron_line_without_five_fields_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="five fields"):
        ScheduleSettings(cron="30 8 * *")
