"""A change whose apply fails (refused, or out of attempts) waits for a technician's retry."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError

from portal.billing_requests.events import Audience
from tests.workflow.fakes import Fakes
from tests.workflow.harness import (
    ALICE,
    DAY,
    PO_EDIT,
    TESS,
    THEO,
    Harness,
    Scene,
    eventually,
    refusal,
)
from workflows.lifecycle import FORBIDDEN, RequestType, Status
from workflows.messages import ApproveInput, RequestTimers, RetryInput
from workflows.request_workflow import RequestWorkflow


@pytest.mark.parametrize(
    ("failures", "attempts", "cause"),
    [
        pytest.param(
            [ApplicationError("The PO is closed", type="ChangeRefused", non_retryable=True)],
            5,
            "The PO is closed",
            id="refused",
        ),
        pytest.param(
            [RuntimeError("database is locked"), RuntimeError("database is locked")],
            2,
            "database is locked",
            id="out-of-attempts",
        ),
    ],
)
def test_a_failed_change_is_retried_by_a_technician(
    harness: Harness, failures: list[BaseException], attempts: int, cause: str
) -> None:
    timers = RequestTimers(
        review_sla_seconds=400 * DAY,
        escalation_sla_seconds=800 * DAY,
        info_timeout_seconds=14 * DAY,
        apply_max_attempts=attempts,
    )
    tries = len(failures)

    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(RequestType.PO_EDIT, PO_EDIT, timers=timers)
        await handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS, "OK"))
        await eventually(lambda: scene.fakes.row().status == Status.FAILED, "the failure")
        assert len(scene.fakes.applied) == tries
        snapshot = await handle.query(RequestWorkflow.snapshot)
        assert (snapshot.status, snapshot.timeline[-1].event, snapshot.timeline[-1].note) == (
            Status.FAILED,
            "failed",
            cause,
        )
        assert await refusal(handle.execute_update(RequestWorkflow.retry, RetryInput(ALICE))) == (
            FORBIDDEN,
            "staff_only",
        )
        retried = await handle.execute_update(RequestWorkflow.retry, RetryInput(THEO))
        assert retried.status == Status.APPROVED
        result = await handle.result()
        assert result.status == Status.COMPLETED
        assert [e.event for e in result.timeline][-4:] == [
            "approved",
            "failed",
            "retried",
            "completed",
        ]

    fakes = harness.play(scenario, Fakes(apply_failures=list(failures)))
    assert fakes.statuses() == [
        Status.IN_REVIEW,
        Status.APPROVED,
        Status.FAILED,
        Status.APPROVED,
        Status.COMPLETED,
    ]
    assert fakes.notices() == [
        ("failed", Audience.ASSIGNEE, cause),
        ("completed", Audience.REQUESTER, "OK"),
    ]
    # The retry applies the same approval again: the approver stays the one who decided.
    assert len(fakes.applied) == tries + 1
    assert {(change.approved_by, change.comment) for change in fakes.applied} == {(TESS, "OK")}
