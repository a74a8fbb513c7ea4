"""One webhook delivery: posted until the receiver answers 2xx, retried with backoff for three
days, then given up (recorded as failed). The activities do the HTTP and the bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

DELIVER_WEBHOOK = "deliver_webhook"
GIVE_UP_WEBHOOK = "give_up_webhook"
# How long a receiver may stay down before its deliveries are given up.
RETRY_FOR = timedelta(days=3)


@dataclass(frozen=True)
class DeliverWebhookInput:
    delivery_id: int
    # The wait before the first retry; each next one doubles, up to an hour.
    first_retry_seconds: int = 10


def workflow_id_of_delivery(delivery_key: str) -> str:
    # By the delivery's unique key, not its row id: ids can come again (a restored database).
    return f"webhook-delivery-{delivery_key}"


@workflow.defn
class WebhookDeliveryWorkflow:
    @workflow.run
    async def run(self, input: DeliverWebhookInput) -> str:
        try:
            await workflow.execute_activity(
                DELIVER_WEBHOOK,
                input.delivery_id,
                start_to_close_timeout=timedelta(seconds=30),
                schedule_to_close_timeout=RETRY_FOR,
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=input.first_retry_seconds),
                    backoff_coefficient=2.0,
                    maximum_interval=timedelta(hours=1),
                ),
            )
            return "delivered"
        except ActivityError:
            await workflow.execute_activity(
                GIVE_UP_WEBHOOK,
                input.delivery_id,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
            )
            return "failed"
