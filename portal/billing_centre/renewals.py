"""What happens to a subscription at the end of each period, as its workflow asks it
(workflows/subscription_workflow.py): the renewal (a standard account's card is charged, a
Corporate account's PO is invoiced, net 30), the dunning of a declined renewal, the end of a
pending cancellation. Each step runs under the account's billing lease and does its work once:
asked again for the same date (a retried activity), it answers what it did. When a step is due
is the workflow's to say (its timers, at the account's business time); a step does what is due
on the date it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import orm
from temporalio.exceptions import ApplicationError

from portal import clock
from portal.billing_centre.ledger import PaymentDeclined, draft, issue, pay_now, pay_open
from portal.billing_centre.operations import po_number_in_force
from portal.billing_centre.payments import PaymentProcessor
from portal.billing_centre.proration import next_period_end
from portal.billing_centre.subscriptions import period_line
from portal.billing_centre.writes import under_lease
from portal.billing_requests.kinds.frequency_change import scheduled_frequency
from portal.models import Account, Invoice, Subscription
from portal.notifications.billing import BillingMail, queue_billing_mail
from workflows.subscription_workflow import SubscriptionState


def state_of(subscription: Subscription) -> SubscriptionState:
    account = subscription.account
    return SubscriptionState(
        subscription.status,
        subscription.next_billing_date.isoformat(),
        subscription.past_due_since.isoformat() if subscription.past_due_since else None,
        clock.shift_of_account(account.clock_shift_seconds if account else 0),
    )


def _load(session: orm.Session, subscription_id: int) -> Subscription:
    subscription = session.get(Subscription, subscription_id)
    if subscription is None:
        # Nothing to retry: the workflow of a subscription that is gone ends.
        raise ApplicationError("no such subscription", type="Gone", non_retryable=True)
    return subscription


def describe(session: orm.Session, subscription_id: int) -> SubscriptionState:
    return state_of(_load(session, subscription_id))


def account_clock(session: orm.Session, subscription_id: int) -> int:
    """The sandbox clock of the subscription's account (portal.clock.for_account)."""
    return _load(session, subscription_id).account.clock_shift_seconds


def _leased(
    session: orm.Session, subscription_id: int, step: Callable[[], SubscriptionState]
) -> SubscriptionState:
    """`step` under the lease of the subscription's account (it reads the rows again)."""
    return under_lease(session, _load(session, subscription_id).account_id, step)


def renew(
    session: orm.Session, processor: PaymentProcessor, subscription_id: int, due_on: str
) -> SubscriptionState:
    return _leased(
        session, subscription_id, lambda: _renew(session, processor, subscription_id, due_on)
    )


def _renew(
    session: orm.Session, processor: PaymentProcessor, subscription_id: int, due_on: str
) -> SubscriptionState:
    subscription = _load(session, subscription_id)
    due = date.fromisoformat(due_on)
    if subscription.next_billing_date != due:
        return state_of(subscription)  # renewed already (a retried activity), or moved
    if subscription.status == "pending_cancellation":
        subscription.status = "cancelled"
        subscription.updated_at = clock.now()
        return state_of(subscription)
    if subscription.status != "active":
        return state_of(subscription)
    account = subscription.account
    period = (
        subscription.next_period
        or scheduled_frequency(session, account.id, due)
        or subscription.period
    )
    drafted = draft(account, [period_line(subscription.plan, subscription.seats, period)])
    if account.kind == "corporate":
        invoice = issue(
            session,
            account,
            drafted,
            "renewal",
            issued_on=due,
            po_number=po_number_in_force(session, account, subscription.plan.name),
            subscription_id=subscription.id,
        )
    else:
        try:
            invoice = pay_now(
                session,
                processor,
                account,
                drafted,
                "renewal",
                f"{subscription.plan.name}, {due.isoformat()}",
                subscription_id=subscription.id,
                issued_on=due,
                idempotency_key=f"renewal-{subscription.id}-{due.isoformat()}",
            )
        except PaymentDeclined:
            # The decline is recorded; the renewal waits, open, for a card that pays it.
            invoice = issue(
                session, account, drafted, "renewal", issued_on=due, subscription_id=subscription.id
            )
            subscription.status, subscription.past_due_since = "past_due", due
            subscription.updated_at = clock.now()
            queue_billing_mail(session, account, BillingMail.PAYMENT_FAILED, invoice, day=0)
            return state_of(subscription)
    _next_period(session, account, subscription, due, period)
    queue_billing_mail(session, account, BillingMail.INVOICE, invoice)
    return state_of(subscription)


def _next_period(
    session: orm.Session, account: Account, subscription: Subscription, start: date, period: str
) -> None:
    subscription.period, subscription.next_period = period, None
    subscription.period_start = start
    subscription.next_billing_date = next_period_end(start, period)
    subscription.status, subscription.past_due_since = "active", None
    subscription.updated_at = clock.now()
    if account.kind == "corporate":
        account.next_renewal = subscription.next_billing_date


def remind(session: orm.Session, subscription_id: int, on: str, day: int) -> SubscriptionState:
    """A reminder `day` days after a declined renewal, if it is still unpaid."""
    return _leased(session, subscription_id, lambda: _remind(session, subscription_id, on, day))


def _remind(session: orm.Session, subscription_id: int, on: str, day: int) -> SubscriptionState:
    subscription = _load(session, subscription_id)
    if _dunning_day(subscription, on, day):
        account = subscription.account
        invoice = open_renewal(session, subscription)
        queue_billing_mail(session, account, BillingMail.REMINDER, invoice, day=day)
    return state_of(subscription)


def _dunning_day(subscription: Subscription, on: str, day: int) -> bool:
    """Still past due since the renewal the workflow counts `day` days from."""
    since = subscription.past_due_since
    return (
        subscription.status == "past_due"
        and since is not None
        and date.fromisoformat(on) == since + timedelta(days=day)
    )


def expire(session: orm.Session, subscription_id: int, on: str, day: int) -> SubscriptionState:
    """The grace period is over: an unpaid subscription expires, its open renewal is void."""
    return _leased(session, subscription_id, lambda: _expire(session, subscription_id, on, day))


def _expire(session: orm.Session, subscription_id: int, on: str, day: int) -> SubscriptionState:
    subscription = _load(session, subscription_id)
    if _dunning_day(subscription, on, day):
        account = subscription.account
        invoice = open_renewal(session, subscription)
        if invoice is not None:
            invoice.status = "void"
        subscription.status, subscription.past_due_since = "expired", None
        subscription.updated_at = clock.now()
        queue_billing_mail(session, account, BillingMail.EXPIRED, invoice)
    return state_of(subscription)


def open_renewal(session: orm.Session, subscription: Subscription) -> Invoice | None:
    return session.scalar(
        sa.select(Invoice)
        .where(
            Invoice.subscription_id == subscription.id,
            Invoice.kind == "renewal",
            Invoice.status == "open",
        )
        .order_by(Invoice.id.desc())
        .limit(1)
    )


def settle_past_due(
    session: orm.Session, processor: PaymentProcessor, account: Account
) -> list[Subscription]:
    """A new card: every past-due renewal of the account is charged at once; those paid are
    active again for the period they renewed. A decline leaves them past due."""
    settled = []
    past_due = session.scalars(
        sa.select(Subscription).where(
            Subscription.account_id == account.id, Subscription.status == "past_due"
        )
    )
    for subscription in list(past_due):
        invoice = open_renewal(session, subscription)
        if invoice is None or subscription.past_due_since is None:
            continue
        pay_open(session, processor, account, invoice)
        period = subscription.next_period or subscription.period
        _next_period(session, account, subscription, subscription.past_due_since, period)
        queue_billing_mail(session, account, BillingMail.INVOICE, invoice)
        settled.append(subscription)
    return settled
