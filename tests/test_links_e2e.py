"""The remind flow on a real Prefect server puts a link in each personal digest, and the token
shows in none of the run's artifacts, logs or task parameters: only in the cadre's message."""

from __future__ import annotations

from pathlib import Path

from links_site import AS_OF, build_link_site
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.logging.handlers import APILogHandler

from config.settings import Settings
from lianxin.store.engine import engine_for


def test_the_remind_flow_keeps_tokens_out_of_artifacts_logs_and_parameters(
    prefect_server: None, settings: Settings, tmp_path: Path
) -> None:
    from flows.remind import remind

    site = build_link_site(engine_for(settings.database_url), tmp_path)
    state = remind(as_of=AS_OF, return_state=True)
    assert state.is_completed() and state.result()["sent"] == 2
    token = site.token_of("李建国")
    link_id = token.partition(".")[0]
    run_id = state.state_details.flow_run_id
    APILogHandler().flush()  # the run's logs reach the server in batches: send them now
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
        logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
        tasks = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))
        )
    assert artifacts and logs and tasks
    seen = [str(a.data) + str(a.description) for a in artifacts]
    seen += [log.message for log in logs]
    seen += [str(task.task_inputs) + task.name for task in tasks]
    assert any("Reminders" in text for text in seen)
    assert not [text for text in seen if token in text or link_id in text]
