"""Every recorded history (tests/replay/*.json) replays against the current workflow code: a
change that would break a request already running fails here. No server, no database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from activities.worker import workflow_runner
from workflows.lifecycle import RequestType
from workflows.request_process import RequestProcess
from workflows.request_workflow import RequestWorkflow
from workflows.subscription_workflow import SubscriptionEndWorkflow, SubscriptionWorkflow
from workflows.webhook_workflow import WebhookDeliveryWorkflow

HERE = Path(__file__).resolve().parent
HISTORIES = sorted(HERE.glob("*.json"))
WORKFLOWS = [
    RequestWorkflow,
    SubscriptionWorkflow,
    SubscriptionEndWorkflow,
    WebhookDeliveryWorkflow,
]


def load(path: Path) -> WorkflowHistory:
    parsed = json.loads(path.read_text(encoding="utf-8"))
    started = parsed["events"][0]["workflowExecutionStartedEventAttributes"]
    return WorkflowHistory.from_json(started.get("workflowId") or path.stem, parsed)


def started_with(path: Path) -> tuple[str, dict[str, Any]]:
    """The workflow type a history ran and its input (JSON, as the default converter wrote it)."""
    started = load(path).events[0].workflow_execution_started_event_attributes
    payloads = started.input.payloads
    data = json.loads(payloads[0].data) if payloads else {}
    return started.workflow_type.name, data if isinstance(data, dict) else {}


def replay(path: Path, workflows: list[type], **options: Any) -> dict[str, Exception]:
    """The replay failures of one history, by run id (none: it replays)."""

    async def histories() -> AsyncIterator[WorkflowHistory]:
        yield load(path)

    async def run() -> dict[str, Exception]:
        # The worker's sandbox unless a test names another.
        options.setdefault("workflow_runner", workflow_runner())
        results = await Replayer(workflows=workflows, **options).replay_workflows(
            histories(), raise_on_replay_failure=False
        )
        return dict(results.replay_failures)

    return asyncio.run(run())


@pytest.mark.parametrize("path", HISTORIES, ids=[path.stem for path in HISTORIES])
def test_history_replays_against_the_current_code(path: Path) -> None:
    failures = replay(path, WORKFLOWS)
    assert not failures, f"tests/replay/{path.name} no longer replays: {failures}"


def test_every_request_type_and_workflow_has_a_recorded_history() -> None:
    assert HISTORIES, "no history in tests/replay: run `make record-histories`"
    types, request_types = set(), set()
    for path in HISTORIES:
        workflow_type, started = started_with(path)
        types.add(workflow_type)
        if workflow_type == "RequestWorkflow":
            request_types.add(started.get("request_type"))
    missing = {str(kind) for kind in RequestType} - request_types
    assert not missing, f"record a history of each request type (tests/replay/README.md): {missing}"
    defined = {getattr(cls, "__temporal_workflow_definition").name for cls in WORKFLOWS}
    assert defined <= types, f"no history of the workflows {defined - types}"


# -- the replay test can fail ----------------------------------------------------------------


async def _publish_after_a_pause(self: Any, *args: Any, **kwargs: Any) -> Any:
    """The change a careless edit would make: one more timer before each projection."""
    await workflow.sleep(timedelta(seconds=1))
    return await RequestProcess._publish(self, *args, **kwargs)


def altered_request_workflow() -> type:
    """A copy of RequestWorkflow (not a subclass; on the same bases), registered under the same
    name, that starts a timer where the recorded one scheduled its first activity."""
    members = {
        name: value
        for name, value in vars(RequestWorkflow).items()
        if name not in ("__dict__", "__weakref__") and not name.startswith("__temporal")
    }
    members["_publish"] = _publish_after_a_pause
    copy = type("RequestWorkflow", RequestWorkflow.__bases__, members)
    return workflow.defn(name="RequestWorkflow")(copy)


def test_an_altered_workflow_fails_the_replay() -> None:
    path = HERE / "po_edit_approved_completed.json"
    assert path in HISTORIES
    assert not replay(path, WORKFLOWS), "the unaltered workflow replays"
    # The copy lives in no importable module: run it outside the sandbox.
    failures = replay(
        path, [altered_request_workflow()], workflow_runner=UnsandboxedWorkflowRunner()
    )
    [failure] = failures.values()
    assert isinstance(failure, workflow.NondeterminismError), failure
