"""The sandbox clock of an account (development only; Stripe's test clocks are the model): its
business date moves forward, never back, and whatever falls due by the new date (renewals,
dunning, ends of pending cancellations, scheduled changes, quote expiries) has happened when
the move returns."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.billing_centre.timers import subscription_input
from portal.config import TimerSettings
from portal.errors import Conflict, Forbidden, ValidationFailed
from portal.gateway import (
    TemporalBridge,
    advance_request_clock,
    advance_subscription_clock,
    follow_subscription,
)
from portal.i18n import _l
from portal.models import Account, BillingRequest, Subscription
from portal.models.billing import LIVING_STATUSES
from workflows.lifecycle import FINAL_STATUSES

MAX_DAYS = 3660  # ten years at once is already a long time to watch


def today_of(account: Account) -> date:
    with clock.for_account(account.clock_shift_seconds):
        return clock.today()


def parse_date(value: object) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        message = str(_l("A date such as 2027-01-31."))
        raise ValidationFailed(message, {"date": message}) from None


def move_clock(
    session: orm.Session,
    bridge: TemporalBridge,
    timers: TimerSettings,
    account: Account,
    to: date,
    development: bool,
) -> date:
    """Move the account's business date to `to`; return it once everything due has run."""
    if not development:
        raise Forbidden(str(_l("The sandbox clock exists in development only.")))
    current = today_of(account)
    if to < current:
        message = str(_l("The sandbox clock never goes back (it is %(date)s).", date=current))
        raise Conflict(message, {"date": message})
    days = (to - current).days
    if days > MAX_DAYS:
        message = str(_l("At most %(days)d days at once.", days=MAX_DAYS))
        raise ValidationFailed(message, {"date": message})
    # Of moves made at once, the first wins; the others read a clock that moved meanwhile and
    # are refused, so a date is never added twice.
    seen = account.clock_shift_seconds
    moved = session.execute(
        sa.update(Account)
        .where(Account.id == account.id, Account.clock_shift_seconds == seen)
        .values(clock_shift_seconds=seen + days * 86400)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        message = str(_l("The sandbox clock was moved meanwhile; read its date and try again."))
        raise Conflict(message, {"date": message})
    session.commit()
    session.refresh(account)
    shift = clock.shift_of_account(account.clock_shift_seconds)
    waiting = session.scalars(
        sa.select(BillingRequest.id).where(
            BillingRequest.account_id == account.id,
            BillingRequest.status.not_in([status.value for status in FINAL_STATUSES]),
        )
    )
    for request_id in list(waiting):
        advance_request_clock(bridge, request_id, shift)
    living = session.scalars(
        sa.select(Subscription)
        .where(Subscription.account_id == account.id, Subscription.status.in_(LIVING_STATUSES))
        .order_by(Subscription.id)
    )
    for subscription in list(living):
        start = subscription_input(session, subscription, timers)
        follow_subscription(bridge, start)
        advance_subscription_clock(bridge, subscription.id, start.clock_shift_seconds)
    session.expire_all()
    return today_of(account)
