"""The worker: request workflows, the subscription timer, their activities, and the outbox
sender that mails what the activities queue."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import PollerBehaviorAutoscaling, PollerBehaviorSimpleMaximum, Worker

from activities.billing import SubscriptionActivities
from activities.requests import RequestActivities
from portal import clock
from portal.config import Settings
from portal.db import Database
from portal.notifications.delivery import OutboxSender
from workflows.request_workflow import RequestWorkflow
from workflows.subscription_workflow import SubscriptionEndWorkflow


class PortalWorker(Worker):
    """A Temporal worker whose outbox sender runs exactly as long as it does."""

    def __init__(self, client: Client, sender: OutboxSender, **options: Any) -> None:
        super().__init__(client, **options)
        self.sender = sender

    async def run(self) -> None:
        self.sender.start()
        try:
            await super().run()
        finally:
            self.sender.stop()


def build_worker(
    client: Client,
    database: Database,
    task_queue: str,
    settings: Settings | None = None,
    max_concurrent_activities: int = 20,
    max_concurrent_workflow_tasks: int = 50,
    autoscale: bool = False,
) -> PortalWorker:
    settings = settings or Settings.from_env()
    clock.set_shift(settings.clock_shift)
    sender = OutboxSender(database, settings.smtp)
    requests = RequestActivities(database, settings, sender)
    subscriptions = SubscriptionActivities(database)
    pollers = PollerBehaviorAutoscaling() if autoscale else PollerBehaviorSimpleMaximum(5)
    return PortalWorker(
        client,
        sender,
        task_queue=task_queue,
        workflows=[RequestWorkflow, SubscriptionEndWorkflow],
        activities=[*requests.all(), subscriptions.end_subscription],
        activity_executor=ThreadPoolExecutor(max_concurrent_activities),
        max_concurrent_activities=max_concurrent_activities,
        max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
        workflow_task_poller_behavior=pollers,
        activity_task_poller_behavior=pollers,
        # On SIGTERM, running activities get this long to finish before they are cancelled.
        graceful_shutdown_timeout=timedelta(seconds=20),
    )
