"""The worker process: runs request workflows and their activities."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from activities.request_activities import RequestActivities
from activities.subscription_activities import SubscriptionActivities
from portal.config import Settings
from portal.db import Database
from workflows.request_workflow import RequestWorkflow
from workflows.subscription_workflow import SubscriptionEndWorkflow


def build_worker(
    client: Client,
    database: Database,
    task_queue: str,
    settings: Settings | None = None,
    max_concurrent_activities: int = 20,
) -> Worker:
    activities = RequestActivities(database, settings or Settings.from_env())
    subscriptions = SubscriptionActivities(database)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[RequestWorkflow, SubscriptionEndWorkflow],
        activities=[*activities.all(), subscriptions.end_subscription],
        activity_executor=ThreadPoolExecutor(max_concurrent_activities),
        max_concurrent_activities=max_concurrent_activities,
    )
