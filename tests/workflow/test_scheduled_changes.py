"""Scheduled changes: applied at their date, never when cancelled before it."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.billing_requests.events import Audience
from tests.workflow.harness import ALICE, DAY, FREQUENCY, TESS, Harness, Scene
from workflows.lifecycle import RequestType, Status
from workflows.messages import ApprovalPlan, ApproveInput, CancelInput
from workflows.request_workflow import RequestWorkflow


def scheduled_plan(effective: datetime) -> ApprovalPlan:
    day = effective.date().isoformat()
    return ApprovalPlan(
        Status.SCHEDULED,
        {"effective_on": day, "frequency": "monthly"},
        due_at=f"{day}T00:00:00+00:00",
    )


def test_a_frequency_change_is_applied_at_its_date(harness: Harness) -> None:
    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(
            RequestType.FREQUENCY_CHANGE, FREQUENCY, prepares_approval=True
        )
        # At 00:00 of day 10: between 9 and 10 days from now.
        scene.fakes.plan = scheduled_plan(await scene.now(handle) + timedelta(days=10))
        scheduled = await handle.execute_update(
            RequestWorkflow.approve, ApproveInput(TESS, "At the renewal")
        )
        assert scheduled.status == Status.SCHEDULED
        await scene.skip(handle, 8 * DAY)
        assert (await handle.query(RequestWorkflow.snapshot)).status == Status.SCHEDULED
        assert scene.fakes.applied == [], "not before its date"
        await scene.skip(handle, 3 * DAY)
        assert (await handle.result()).status == Status.COMPLETED

    fakes = harness.play(scenario)
    assert fakes.statuses() == [Status.IN_REVIEW, Status.SCHEDULED, Status.COMPLETED]
    assert fakes.notices() == [
        ("scheduled", Audience.REQUESTER, "At the renewal"),
        ("completed", Audience.REQUESTER, "At the renewal"),
    ]
    [change] = fakes.applied
    assert (change.approved_by, change.comment, change.payload) == (
        TESS,
        "At the renewal",
        FREQUENCY,
    )
    assert fakes.row().result == {"revision": 2}


def test_a_scheduled_change_cancelled_is_never_applied(harness: Harness) -> None:
    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(
            RequestType.FREQUENCY_CHANGE, FREQUENCY, prepares_approval=True
        )
        scene.fakes.plan = scheduled_plan(await scene.now(handle) + timedelta(days=10))
        await handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS))
        cancelled = await handle.execute_update(
            RequestWorkflow.cancel, CancelInput(ALICE, "Staying annual")
        )
        assert cancelled.status == Status.CANCELLED
        result = await handle.result()
        assert result.status == Status.CANCELLED
        assert [(e.event, e.actor_name, e.note) for e in result.timeline][-1] == (
            "cancelled",
            "Alice",
            "Staying annual",
        )

    fakes = harness.play(scenario)
    assert fakes.statuses() == [Status.IN_REVIEW, Status.SCHEDULED, Status.CANCELLED]
    assert fakes.applied == []
