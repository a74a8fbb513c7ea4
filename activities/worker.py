"""The worker: request workflows, the subscription timer, their activities, and the outbox
sender that mails what the activities queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.worker import PollerBehaviorAutoscaling, PollerBehaviorSimpleMaximum, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.billing import SubscriptionActivities
from activities.requests import RequestActivities
from activities.webhooks import WebhookActivities
from portal import clock
from portal.billing_centre.payments import PaymentProcessor
from portal.billing_centre.timers import subscription_input
from portal.config import Settings
from portal.db import Database
from portal.gateway import keep_subscription
from portal.models import Subscription, WebhookDelivery
from portal.models.billing import LIVING_STATUSES
from portal.notifications.delivery import OutboxSender
from workflows.request_workflow import RequestWorkflow
from workflows.subscription_workflow import (
    SubscriptionEndWorkflow,
    SubscriptionInput,
    SubscriptionWorkflow,
)
from workflows.webhook_workflow import (
    DeliverWebhookInput,
    WebhookDeliveryWorkflow,
    workflow_id_of_delivery,
)

log = logging.getLogger(__name__)
WEBHOOK_POLL_SECONDS = 0.5


class PortalWorker(Worker):
    """A Temporal worker whose outbox sender runs exactly as long as it does, and which sees, as
    it starts, that every living subscription has its workflow (one whose start was missed, a
    Temporal outage during a change, is started: nothing is renewed twice, the workflow checks
    the date)."""

    def __init__(
        self,
        client: Client,
        sender: OutboxSender,
        database: Database,
        settings: Settings,
        follower: SubscriptionFollower,
        **options: Any,
    ) -> None:
        super().__init__(client, **options)
        self.sender = sender
        self.database = database
        self.settings = settings
        self.follower = follower

    async def run(self) -> None:
        self.follower.loop = asyncio.get_running_loop()
        self.sender.start()
        sweep = asyncio.create_task(self._follow_every_subscription())
        webhooks = asyncio.create_task(self._dispatch_webhooks())
        try:
            await super().run()
        finally:
            sweep.cancel()
            webhooks.cancel()
            self.sender.stop()

    async def _dispatch_webhooks(self) -> None:
        """Start a delivery workflow for each queued webhook delivery (the outbox of webhooks):
        a start that was made already is found by its workflow id, so none is delivered twice."""
        while True:
            try:
                for delivery_id, key in await asyncio.to_thread(self._undispatched_deliveries):
                    with contextlib.suppress(WorkflowAlreadyStartedError):
                        await self.client.start_workflow(
                            WebhookDeliveryWorkflow.run,
                            DeliverWebhookInput(delivery_id, self.settings.timers.webhook_retry),
                            id=workflow_id_of_delivery(key),
                            task_queue=self.task_queue,
                            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                        )
                    await asyncio.to_thread(self._mark_dispatched, delivery_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook dispatch failed; trying again")
            await asyncio.sleep(WEBHOOK_POLL_SECONDS)

    def _undispatched_deliveries(self) -> list[tuple[int, str]]:
        with self.database.session() as session:
            rows = session.execute(
                sa.select(WebhookDelivery.id, WebhookDelivery.delivery_key)
                .where(WebhookDelivery.dispatched_at.is_(None))
                .order_by(WebhookDelivery.id)
                .limit(100)
            )
            return [(row.id, row.delivery_key) for row in rows]

    def _mark_dispatched(self, delivery_id: int) -> None:
        with self.database.session() as session:
            session.execute(
                sa.update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id)
                .values(dispatched_at=clock.now())
            )

    async def _follow_every_subscription(self) -> None:
        try:
            starts = await asyncio.to_thread(self._living_subscriptions)
            for start in starts:
                await keep_subscription(self.client, self.task_queue, start)
        except Exception:
            log.exception("could not follow every subscription; the next start tries again")

    def _living_subscriptions(self) -> list[SubscriptionInput]:
        with self.database.session() as session:
            living = session.scalars(
                sa.select(Subscription).where(Subscription.status.in_(LIVING_STATUSES))
            )
            return [subscription_input(session, item, self.settings.timers) for item in living]


class SubscriptionFollower:
    """Lets an activity thread start or refresh a subscription's workflow through the worker's
    own client, on the worker's event loop."""

    def __init__(self, client: Client, database: Database, settings: Settings, queue: str) -> None:
        self.client, self.database, self.settings, self.queue = client, database, settings, queue
        self.loop: asyncio.AbstractEventLoop | None = None

    def __call__(self, subscription_id: int) -> None:
        assert self.loop is not None, "the worker runs"
        with self.database.session() as session:
            subscription = session.get(Subscription, subscription_id)
            if subscription is None:
                return
            start = subscription_input(session, subscription, self.settings.timers)
        followed = keep_subscription(self.client, self.queue, start)
        asyncio.run_coroutine_threadsafe(followed, self.loop).result(30)


def workflow_runner() -> SandboxedWorkflowRunner:
    """The sandbox, with our own `workflows` package passed through: each new workflow would
    otherwise import and compile its module afresh (a fifth of the worker's CPU per request,
    issue 16's profile). The package holds only deterministic code and immutable module
    values; the sandbox's runtime restrictions (no clock, no I/O) still apply to it."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows")
    )


def build_worker(
    client: Client,
    database: Database,
    task_queue: str,
    settings: Settings | None = None,
    max_concurrent_activities: int = 20,
    max_concurrent_workflow_tasks: int = 50,
    autoscale: bool = False,
    processor: PaymentProcessor | None = None,
) -> PortalWorker:
    settings = settings or Settings.from_env()
    clock.set_shift(settings.clock_shift)
    sender = OutboxSender(database, settings.smtp)
    follower = SubscriptionFollower(client, database, settings, task_queue)
    requests = RequestActivities(database, settings, sender, follower)
    subscriptions = SubscriptionActivities(database, sender, processor)
    pollers = PollerBehaviorAutoscaling() if autoscale else PollerBehaviorSimpleMaximum(5)
    return PortalWorker(
        client,
        sender,
        database,
        settings,
        follower,
        task_queue=task_queue,
        workflows=[
            RequestWorkflow,
            SubscriptionWorkflow,
            SubscriptionEndWorkflow,
            WebhookDeliveryWorkflow,
        ],
        activities=[
            *requests.all(),
            *subscriptions.all(),
            *WebhookActivities(database, settings.development).all(),
        ],
        workflow_runner=workflow_runner(),
        activity_executor=ThreadPoolExecutor(max_concurrent_activities),
        max_concurrent_activities=max_concurrent_activities,
        max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
        workflow_task_poller_behavior=pollers,
        activity_task_poller_behavior=pollers,
        # On SIGTERM, running activities get this long to finish before they are cancelled.
        graceful_shutdown_timeout=timedelta(seconds=20),
    )
