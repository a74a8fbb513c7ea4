"""The I/O of a request's workflow: projection, applying the approved change, notifications."""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from portal.billing_requests.operations import project_snapshot
from portal.billing_requests.types import kind_of
from portal.db import Database
from portal.notifications import queue_notification
from workflows.messages import (
    APPLY_CHANGE,
    PROJECT_REQUEST,
    QUEUE_NOTIFICATION,
    ApplyChangeInput,
    QueueNotificationInput,
    RequestSnapshot,
)


class RequestActivities:
    """Activities bound to one database; the worker registers the bound methods."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @activity.defn(name=PROJECT_REQUEST)
    def project_request(self, snapshot: RequestSnapshot) -> None:
        with self.database.session() as session:
            project_snapshot(session, snapshot)

    @activity.defn(name=APPLY_CHANGE)
    def apply_change(self, change: ApplyChangeInput) -> dict[str, Any]:
        kind = kind_of(change.request_type)
        if kind is None:
            raise ApplicationError(
                f"unknown request type {change.request_type}", type="ChangeRefused"
            )
        with self.database.session() as session:
            return kind.apply(
                session, change.request_id, change.approved_by.user_id, change.payload
            )

    @activity.defn(name=QUEUE_NOTIFICATION)
    def queue_notification(self, notification: QueueNotificationInput) -> int:
        with self.database.session() as session:
            return queue_notification(session, notification)

    def all(self) -> list[Any]:
        return [self.project_request, self.apply_change, self.queue_notification]
