"""Starting the durable timer that ends a cancelled subscription, both-or-neither with the row."""

from __future__ import annotations

from sqlalchemy import orm
from temporalio.service import RPCError

from portal import clock
from portal.errors import ServiceUnavailable
from portal.gateway import TemporalBridge, TemporalUnavailable, start_subscription_end
from portal.i18n import _l
from portal.models import Subscription
from workflows.subscription_workflow import EndSubscriptionInput


def schedule_end(session: orm.Session, bridge: TemporalBridge, subscription: Subscription) -> None:
    """Commit the pending cancellation only once its timer runs; else roll back and say so."""
    end = EndSubscriptionInput(
        subscription.id, subscription.next_billing_date.isoformat(), clock.shift_seconds()
    )
    try:
        start_subscription_end(bridge, end)
    except (TemporalUnavailable, RPCError) as error:
        session.rollback()
        raise ServiceUnavailable(
            str(_l("The billing service is not answering. Nothing was changed; try again soon."))
        ) from error
    session.commit()
