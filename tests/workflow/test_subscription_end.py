"""The end of a cancelled subscription, at the end of its period."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.workflow.harness import DAY, HOUR, Harness, Scene
from workflows.subscription_workflow import (
    EndSubscriptionInput,
    SubscriptionEndWorkflow,
    end_workflow_id,
)


def test_a_cancelled_subscription_ends_at_the_end_of_its_period(harness: Harness) -> None:
    # 00:00 UTC of the fifth day from today: between 4 and 5 days away.
    ends_on = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    end = EndSubscriptionInput(subscription_id=7, ends_on=ends_on, clock_shift_seconds=0)

    async def scenario(scene: Scene) -> None:
        handle = await scene.env.client.start_workflow(
            SubscriptionEndWorkflow.run,
            end,
            id=f"{end_workflow_id(end.subscription_id, ends_on)}-{uuid.uuid4().hex[:8]}",
            task_queue=scene.task_queue,
        )
        await scene.skip(handle, 4 * DAY - HOUR)
        assert scene.fakes.ended == [], "not before the end of the period"
        await scene.skip(handle, 2 * DAY)
        assert await handle.result() is True

    fakes = harness.play(scenario)
    assert fakes.ended == [end]
