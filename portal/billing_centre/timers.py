"""A subscription's workflow (its renewals, its dunning, the end of a cancellation) kept
informed of what the billing centre changes: both-or-neither with the row where the workflow
must exist for the change to hold (a cancellation ends only through it), best effort after
the commit otherwise (the worker's sweep at its start catches up)."""

from __future__ import annotations

from sqlalchemy import orm
from temporalio.service import RPCError

from portal import clock
from portal.config import TimerSettings
from portal.errors import ServiceUnavailable
from portal.gateway import TemporalBridge, TemporalUnavailable, follow_subscription
from portal.gateway import tell_subscription as _tell
from portal.i18n import _l
from portal.models import Account, Subscription
from workflows.subscription_workflow import SubscriptionInput

UNAVAILABLE = _l("The billing service is not answering. Nothing was changed; try again soon.")


def subscription_input(
    session: orm.Session, subscription: Subscription, timers: TimerSettings
) -> SubscriptionInput:
    account = session.get(Account, subscription.account_id)
    sandbox = account.clock_shift_seconds if account else 0
    return SubscriptionInput(
        subscription.id,
        clock_shift_seconds=clock.shift_of_account(sandbox),
        grace_days=timers.grace_days,
    )


def follow_before_commit(
    session: orm.Session, bridge: TemporalBridge, subscription: Subscription, timers: TimerSettings
) -> None:
    """The change holds only once the workflow knows: commit then, else roll back and say so."""
    try:
        follow_subscription(bridge, subscription_input(session, subscription, timers))
    except (TemporalUnavailable, RPCError) as error:
        session.rollback()
        raise ServiceUnavailable(str(UNAVAILABLE)) from error
    session.commit()


def tell_subscription(
    session: orm.Session, bridge: TemporalBridge, subscription_id: int, timers: TimerSettings
) -> None:
    subscription = session.get(Subscription, subscription_id)
    if subscription is not None:
        _tell(bridge, subscription_input(session, subscription, timers))
