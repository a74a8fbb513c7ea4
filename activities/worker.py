"""The worker process: runs request workflows and their activities."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from activities.request_activities import RequestActivities
from portal.config import Settings
from portal.db import Database
from workflows.request_workflow import RequestWorkflow


def build_worker(
    client: Client,
    database: Database,
    task_queue: str,
    settings: Settings | None = None,
    max_concurrent_activities: int = 20,
) -> Worker:
    activities = RequestActivities(database, settings or Settings.from_env())
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[RequestWorkflow],
        activities=activities.all(),
        activity_executor=ThreadPoolExecutor(max_concurrent_activities),
        max_concurrent_activities=max_concurrent_activities,
    )
