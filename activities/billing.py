"""The billing centre's durable step: ending a cancelled subscription when its period is over."""

from __future__ import annotations

from temporalio import activity

from portal.billing_centre.subscriptions import end_subscription
from portal.db import Database
from workflows.subscription_workflow import END_SUBSCRIPTION, EndSubscriptionInput


class SubscriptionActivities:
    def __init__(self, database: Database) -> None:
        self.database = database

    @activity.defn(name=END_SUBSCRIPTION)
    def end_subscription(self, end: EndSubscriptionInput) -> bool:
        with self.database.session() as session:
            return end_subscription(session, end.subscription_id, end.ends_on)
