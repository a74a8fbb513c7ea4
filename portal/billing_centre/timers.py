"""Starting the durable timer that ends a cancelled subscription, both-or-neither with the row."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import orm
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from portal import clock
from portal.errors import ServiceUnavailable
from portal.gateway import TemporalBridge, TemporalUnavailable
from portal.i18n import _l
from portal.models import Subscription
from workflows.subscription_workflow import (
    EndSubscriptionInput,
    SubscriptionEndWorkflow,
    end_workflow_id,
)


def schedule_end(session: orm.Session, bridge: TemporalBridge, subscription: Subscription) -> None:
    """Commit the pending cancellation only once its timer runs; else roll back and say so."""
    end = EndSubscriptionInput(
        subscription.id, subscription.next_billing_date.isoformat(), clock.shift_seconds()
    )

    async def start(client: Client) -> None:
        await client.start_workflow(
            SubscriptionEndWorkflow.run,
            end,
            id=end_workflow_id(subscription.id, end.ends_on),
            task_queue=bridge.settings.task_queue,
            # A timer already waiting (cancelled, undone, cancelled again) serves again: it
            # checks the status when it fires.
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            rpc_timeout=timedelta(seconds=5),
        )

    try:
        bridge.run(start)
    except (TemporalUnavailable, RPCError) as error:
        session.rollback()
        raise ServiceUnavailable(
            str(_l("The billing service is not answering. Nothing was changed; try again soon."))
        ) from error
    session.commit()
