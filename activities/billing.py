"""The billing centre's durable steps, as a subscription's workflow asks them: read the
subscription, renew it, remind and expire after a declined renewal, end it (the legacy timer).
Each runs at the account's business time (its sandbox clock, portal.clock.for_account)."""

from __future__ import annotations

from collections.abc import Callable

from temporalio import activity

from portal import clock
from portal.billing_centre import renewals
from portal.billing_centre.payments import PaymentProcessor, SandboxProcessor
from portal.billing_centre.subscriptions import end_subscription
from portal.db import Database
from portal.notifications.delivery import OutboxSender
from workflows.subscription_workflow import (
    DESCRIBE_SUBSCRIPTION,
    END_SUBSCRIPTION,
    EXPIRE_SUBSCRIPTION,
    REMIND_PAST_DUE,
    RENEW_SUBSCRIPTION,
    EndSubscriptionInput,
    SubscriptionDateInput,
    SubscriptionState,
)


class SubscriptionActivities:
    def __init__(
        self,
        database: Database,
        sender: OutboxSender | None = None,
        processor: PaymentProcessor | None = None,
    ) -> None:
        self.database = database
        self.sender = sender
        self.processor = processor or SandboxProcessor()

    def _at_account_time(
        self, subscription_id: int, step: Callable[..., SubscriptionState], *args: object
    ) -> SubscriptionState:
        with self.database.session() as session:
            shift = renewals.account_clock(session, subscription_id)
        # A session of its own: each step commits under the account's lease itself.
        with clock.for_account(shift), self.database.sessionmaker() as session:
            state = step(session, subscription_id, *args)
        if self.sender is not None:
            self.sender.wake()
        return state

    @activity.defn(name=DESCRIBE_SUBSCRIPTION)
    def describe_subscription(self, subscription_id: int) -> SubscriptionState:
        with self.database.session() as session:
            return renewals.describe(session, subscription_id)

    @activity.defn(name=RENEW_SUBSCRIPTION)
    def renew_subscription(self, due: SubscriptionDateInput) -> SubscriptionState:
        return self._at_account_time(
            due.subscription_id,
            lambda session, subscription_id: renewals.renew(
                session, self.processor, subscription_id, due.on
            ),
        )

    @activity.defn(name=REMIND_PAST_DUE)
    def remind_past_due(self, due: SubscriptionDateInput) -> SubscriptionState:
        return self._at_account_time(due.subscription_id, renewals.remind, due.on, due.day)

    @activity.defn(name=EXPIRE_SUBSCRIPTION)
    def expire_subscription(self, due: SubscriptionDateInput) -> SubscriptionState:
        return self._at_account_time(due.subscription_id, renewals.expire, due.on, due.day)

    @activity.defn(name=END_SUBSCRIPTION)
    def end_subscription(self, end: EndSubscriptionInput) -> bool:
        """For the timers of SubscriptionEndWorkflow still running; goes with it."""
        with self.database.session() as session:
            return end_subscription(session, end.subscription_id, end.ends_on)

    def all(self) -> list[Callable[..., object]]:
        return [
            self.describe_subscription,
            self.renew_subscription,
            self.remind_past_due,
            self.expire_subscription,
            self.end_subscription,
        ]
