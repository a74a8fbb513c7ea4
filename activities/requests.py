"""The I/O of a request's workflow: projection (with the mail it queues), preparing and
applying the approved change through its kind, what lapses after it. No Flask here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from temporalio import activity
from temporalio.exceptions import ApplicationError

from portal.billing_requests.kinds import kind_of
from portal.billing_requests.kinds.base import RequestKind
from portal.billing_requests.kinds.contact_change import expire_invitation
from portal.billing_requests.kinds.quotes import extend_quote
from portal.billing_requests.projection import project_snapshot
from portal.config import Settings
from portal.db import Database
from portal.models import BillingRequest
from portal.notifications.delivery import OutboxSender
from portal.notifications.outbox import queue_notification
from portal.observability.metrics import count_finished
from portal.webhooks.operations import emit_request_updated
from workflows.lifecycle import FINAL_STATUSES, Status
from workflows.messages import (
    APPLY_CHANGE,
    EXPIRE_INVITATION,
    EXTEND_QUOTE,
    LAPSE_CHANGE,
    PREPARE_APPROVAL,
    PROJECT_REQUEST,
    QUEUE_NOTIFICATION,
    ApprovalPlan,
    ChangeInput,
    ExpireInvitationInput,
    ExtendQuoteActivityInput,
    LapseInput,
    QueueNotificationInput,
    RequestSnapshot,
)
from workflows.readable import scrubbed
from workflows.request_process import REFUSED

# What a change's data can raise that no retry mends: the request fails with the reason, for a
# technician to see, instead of retrying until its attempts run out (or for ever).
DATA_ERRORS = (LookupError, ValueError, TypeError, ArithmeticError, sa.exc.DataError)


def _kind(request_type: str) -> RequestKind:
    kind = kind_of(request_type)
    if kind is None:
        raise ApplicationError(f"unknown request type {request_type}", type=REFUSED)
    return kind


@contextmanager
def _refusing_data_errors() -> Iterator[None]:
    try:
        yield
    except DATA_ERRORS as error:
        # UnicodeError is a ValueError; the message names what, never the data itself.
        reason = f"{type(error).__name__}: {str(error)[:300]}"
        raise ApplicationError(reason, type=REFUSED, non_retryable=True) from error


class RequestActivities:
    """Activities bound to one database and configuration; the worker registers them. Mail
    they queue is sent by `sender`, apart, so no step waits on an SMTP server."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        sender: OutboxSender,
        follow: Callable[[int], None] | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.sender = sender
        # Tells a subscription's workflow to read it again (SubscriptionFollower).
        self.follow = follow

    @activity.defn(name=PROJECT_REQUEST)
    def project_request(self, snapshot: RequestSnapshot) -> None:
        queued = 0
        # A history may hold text from before the portal refused it; shown, not failed on.
        snapshot = scrubbed(snapshot)
        with self.database.session() as session:
            written = project_snapshot(session, snapshot)
            if snapshot.notice is not None:
                queued = queue_notification(session, snapshot.notice, self.settings.base_url)
            row = session.execute(
                sa.select(BillingRequest.type, BillingRequest.account_id).where(
                    BillingRequest.id == snapshot.request_id
                )
            ).first()
            request_type = row.type if row else None
            if written and row is not None:
                # In the projection's transaction: told once, when the change is recorded.
                emit_request_updated(
                    session,
                    row.account_id,
                    snapshot.request_id,
                    row.type,
                    snapshot.status,
                    snapshot.version,
                )
        # Counted once: only the snapshot that wrote the final status counts.
        if written and snapshot.status in FINAL_STATUSES and request_type:
            count_finished(request_type, snapshot)
        if queued:
            self.sender.wake()

    @activity.defn(name=PREPARE_APPROVAL)
    def prepare_approval(self, change: ChangeInput) -> ApprovalPlan:
        with _refusing_data_errors(), self.database.session() as session:
            plan = _kind(change.request_type).prepare(session, change, self.settings)
        plan = plan or ApprovalPlan(status=Status.APPROVED, result={})
        activity.logger.info(
            "approval prepared", extra={"billing_request": change.request_id, "next": plan.status}
        )
        return plan

    @activity.defn(name=APPLY_CHANGE)
    def apply_change(self, change: ChangeInput) -> dict[str, Any]:
        kind = _kind(change.request_type)
        with _refusing_data_errors(), self.database.session() as session:
            result = kind.apply(session, change, self.settings)
        # After the commit; a failure retries the activity, which finds the change applied.
        for subscription_id in kind.subscriptions_changed(result):
            if self.follow is not None:
                self.follow(subscription_id)
        activity.logger.info(
            "change applied",
            extra={"billing_request": change.request_id, "type": change.request_type},
        )
        # Some changes tell people themselves (a contact change's invitation).
        self.sender.wake()
        return result

    @activity.defn(name=EXTEND_QUOTE)
    def extend_quote(self, extension: ExtendQuoteActivityInput) -> dict[str, Any]:
        with self.database.session() as session:
            return extend_quote(session, extension.request_id, extension.valid_until)

    @activity.defn(name=LAPSE_CHANGE)
    def lapse_change(self, lapse: LapseInput) -> str:
        """The event of what lapsed ("" when nothing did)."""
        with self.database.session() as session:
            event = _kind(lapse.request_type).lapse(session, lapse.result)
        return str(event or "")

    @activity.defn(name=EXPIRE_INVITATION)
    def expire_invitation(self, expiry: ExpireInvitationInput) -> bool:
        """For workflows started before LAPSE_CHANGE; goes with their branch."""
        with self.database.session() as session:
            return expire_invitation(session, expiry.invitation_id)

    @activity.defn(name=QUEUE_NOTIFICATION)
    def queue_notification(self, notification: QueueNotificationInput) -> int:
        """For workflows from before the patch "notice-with-projection"; goes with it."""
        with self.database.session() as session:
            queued = queue_notification(session, scrubbed(notification), self.settings.base_url)
        self.sender.wake()
        return queued

    def all(self) -> list[Any]:
        return [
            self.project_request,
            self.prepare_approval,
            self.apply_change,
            self.extend_quote,
            self.lapse_change,
            self.expire_invitation,
            self.queue_notification,
        ]
