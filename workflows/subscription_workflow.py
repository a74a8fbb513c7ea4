"""A cancelled subscription stays usable to the end of its period; this durable timer ends it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

END_SUBSCRIPTION = "end_subscription"


def end_workflow_id(subscription_id: int, ends_on: str) -> str:
    """One timer per subscription and period: cancelling again in the same period reuses it."""
    return f"subscription-end-{subscription_id}-{ends_on}"


@dataclass(frozen=True)
class EndSubscriptionInput:
    subscription_id: int
    ends_on: str  # ISO date: the end of the paid period
    clock_shift_seconds: int = 0  # business time minus workflow.now() (portal.clock)


@workflow.defn
class SubscriptionEndWorkflow:
    @workflow.run
    async def run(self, input: EndSubscriptionInput) -> bool:
        ends_at = datetime.fromisoformat(f"{input.ends_on}T00:00:00+00:00")
        now = workflow.now() + timedelta(seconds=input.clock_shift_seconds)
        await workflow.sleep(max(ends_at - now, timedelta(seconds=1)))
        # The activity ends it only if it is still pending cancellation (not undone meanwhile).
        ended: bool = await workflow.execute_activity(
            END_SUBSCRIPTION,
            input,
            result_type=bool,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
        return ended
