"""The I/O of a request's workflow: projection, preparing and applying the approved change,
notifications."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from temporalio import activity
from temporalio.exceptions import ApplicationError

from portal.billing_requests.kinds import contact_change, quote
from portal.billing_requests.operations import project_snapshot
from portal.billing_requests.types import RequestKind, kind_of
from portal.config import Settings
from portal.db import Database
from portal.models import BillingRequest
from portal.notifications.compose import queue_notification
from portal.notifications.delivery import deliver_outbox
from portal.observability.metrics import count_finished
from workflows.lifecycle import FINAL_STATUSES
from workflows.messages import (
    APPLY_CHANGE,
    EXPIRE_INVITATION,
    EXTEND_QUOTE,
    PREPARE_APPROVAL,
    PROJECT_REQUEST,
    QUEUE_NOTIFICATION,
    ApprovalPlan,
    ChangeInput,
    ExpireInvitationInput,
    ExtendQuoteActivityInput,
    QueueNotificationInput,
    RequestSnapshot,
)


def _kind(request_type: str) -> RequestKind:
    kind = kind_of(request_type)
    if kind is None:
        raise ApplicationError(f"unknown request type {request_type}", type="ChangeRefused")
    return kind


class RequestActivities:
    """Activities bound to one database and configuration; the worker registers them."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings

    @activity.defn(name=PROJECT_REQUEST)
    def project_request(self, snapshot: RequestSnapshot) -> None:
        with self.database.session() as session:
            written = project_snapshot(session, snapshot)
            if snapshot.notice is not None:
                queue_notification(session, snapshot.notice, self.settings.base_url)
            request_type = session.scalar(
                sa.select(BillingRequest.type).where(BillingRequest.id == snapshot.request_id)
            )
        # Counted once: only the snapshot that wrote the final status counts.
        if written and snapshot.status in FINAL_STATUSES and request_type:
            count_finished(request_type, snapshot)
        if snapshot.notice is not None:
            self._deliver(snapshot.request_id)

    @activity.defn(name=PREPARE_APPROVAL)
    def prepare_approval(self, change: ChangeInput) -> ApprovalPlan:
        with self.database.session() as session:
            plan = _kind(change.request_type).prepare(session, change, self.settings)
        activity.logger.info(
            "approval prepared", extra={"billing_request": change.request_id, "next": plan.status}
        )
        return plan

    @activity.defn(name=APPLY_CHANGE)
    def apply_change(self, change: ChangeInput) -> dict[str, Any]:
        with self.database.session() as session:
            result = _kind(change.request_type).apply(session, change, self.settings)
        activity.logger.info(
            "change applied",
            extra={"billing_request": change.request_id, "type": change.request_type},
        )
        # Some changes tell people themselves (a contact change's invitation).
        self._deliver(change.request_id)
        return result

    @activity.defn(name=EXTEND_QUOTE)
    def extend_quote(self, extension: ExtendQuoteActivityInput) -> dict[str, Any]:
        with self.database.session() as session:
            return quote.extend_quote(session, extension.request_id, extension.valid_until)

    @activity.defn(name=EXPIRE_INVITATION)
    def expire_invitation(self, expiry: ExpireInvitationInput) -> bool:
        with self.database.session() as session:
            return contact_change.expire_invitation(session, expiry.invitation_id)

    @activity.defn(name=QUEUE_NOTIFICATION)
    def queue_notification(self, notification: QueueNotificationInput) -> int:
        with self.database.session() as session:
            queued = queue_notification(session, notification, self.settings.base_url)
        self._deliver(notification.request_id)
        return queued

    def _deliver(self, request_id: int) -> None:
        """Send what is queued now; what fails stays in the outbox for the worker's sweep."""
        deliver_outbox(self.database, self.settings.smtp, request_id=request_id)

    def all(self) -> list[Any]:
        return [
            self.project_request,
            self.prepare_approval,
            self.apply_change,
            self.extend_quote,
            self.expire_invitation,
            self.queue_notification,
        ]
