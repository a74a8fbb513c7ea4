"""The fakes: every activity of the worker, registered under the real name, recording what it
was asked in memory; and what a user would read of the projections they received."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from temporalio import activity

from portal.billing_requests.events import EVENTS
from workflows.lifecycle import Event, Status
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
from workflows.subscription_workflow import END_SUBSCRIPTION, EndSubscriptionInput


@dataclass
class Fakes:
    """Every activity of the worker, recording what it was asked in memory."""

    plan: ApprovalPlan = field(default_factory=lambda: ApprovalPlan(Status.APPROVED, {}))
    apply_result: dict[str, Any] = field(default_factory=lambda: {"revision": 2})
    # Raised by the next calls of apply, one each, before it succeeds.
    apply_failures: list[BaseException] = field(default_factory=list)
    projections: list[RequestSnapshot] = field(default_factory=list)
    prepared: list[ChangeInput] = field(default_factory=list)
    applied: list[ChangeInput] = field(default_factory=list)
    extended: list[ExtendQuoteActivityInput] = field(default_factory=list)
    expired_invitations: list[ExpireInvitationInput] = field(default_factory=list)
    lapsed: list[LapseInput] = field(default_factory=list)
    queued: list[QueueNotificationInput] = field(default_factory=list)
    ended: list[EndSubscriptionInput] = field(default_factory=list)

    @activity.defn(name=PROJECT_REQUEST)
    async def project_request(self, snapshot: RequestSnapshot) -> None:
        self.projections.append(snapshot)

    @activity.defn(name=PREPARE_APPROVAL)
    async def prepare_approval(self, change: ChangeInput) -> ApprovalPlan:
        self.prepared.append(change)
        return self.plan

    @activity.defn(name=APPLY_CHANGE)
    async def apply_change(self, change: ChangeInput) -> dict[str, Any]:
        self.applied.append(change)
        if self.apply_failures:
            raise self.apply_failures.pop(0)
        return dict(self.apply_result)

    @activity.defn(name=EXTEND_QUOTE)
    async def extend_quote(self, extension: ExtendQuoteActivityInput) -> dict[str, Any]:
        self.extended.append(extension)
        return {**self.plan.result, "valid_until": extension.valid_until}

    @activity.defn(name=EXPIRE_INVITATION)
    async def expire_invitation(self, expiry: ExpireInvitationInput) -> bool:
        self.expired_invitations.append(expiry)
        return True

    @activity.defn(name=LAPSE_CHANGE)
    async def lapse_change(self, lapse: LapseInput) -> str:
        self.lapsed.append(lapse)
        return Event.INVITATION_EXPIRED

    @activity.defn(name=QUEUE_NOTIFICATION)
    async def queue_notification(self, notification: QueueNotificationInput) -> int:
        self.queued.append(notification)
        return 1

    @activity.defn(name=END_SUBSCRIPTION)
    async def end_subscription(self, end: EndSubscriptionInput) -> bool:
        self.ended.append(end)
        return True

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.project_request,
            self.prepare_approval,
            self.apply_change,
            self.extend_quote,
            self.expire_invitation,
            self.lapse_change,
            self.queue_notification,
            self.end_subscription,
        ]

    # What a user would read.

    def row(self) -> RequestSnapshot:
        """The request row as the real projection leaves it: the newest version wins."""
        return max(self.projections, key=lambda snapshot: snapshot.version)

    def statuses(self) -> list[str]:
        """The statuses projected, in the workflow's order (its versions: a projection may run
        beside an apply, and the real one ignores a late older snapshot)."""
        ordered = sorted(self.projections, key=lambda snapshot: snapshot.version)
        return [snapshot.status for snapshot in ordered]

    def notices(self) -> list[tuple[str, str, str]]:
        """The mails the projections carry: (event, whom it tells, note), in order; the event
        decides whom (portal/billing_requests/events.py), events that tell nobody are left out."""
        ordered = sorted(self.projections, key=lambda snapshot: snapshot.version)
        mails = []
        for snapshot in ordered:
            notice = snapshot.notice
            tells = EVENTS[Event(notice.event)].tells if notice is not None else None
            if notice is not None and tells is not None:
                mails.append((notice.event, tells, notice.note))
        return mails
