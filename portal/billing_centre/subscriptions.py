"""A standard account's subscriptions through their life: added (paid at once with the card
on file), cancelled (usable to the end of the period, then ended by a durable timer), the
cancellation undone, reactivated after expiry."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.billing_centre.ledger import Line, draft, pay_now
from portal.billing_centre.operations import account_of, audit, plan_named, price_of
from portal.billing_centre.payments import PaymentProcessor
from portal.billing_centre.proration import (
    MAX_SEATS,
    PERIOD_MONTHS,
    next_period_end,
    seat_price,
)
from portal.errors import Conflict, Forbidden, ValidationFailed
from portal.i18n import _l
from portal.models import Account, Plan, Subscription, User


def add_subscription(
    session: orm.Session, processor: PaymentProcessor, user: User, body: dict[str, Any]
) -> Subscription:
    """A new subscription, usable once its first period is paid."""
    account = standard_account(session, user)
    plan = plan_named(session, body.get("plan"), account.currency)
    seats, period = (
        body.get("seats"),
        body.get("period", "monthly" if account.billing_frequency == "monthly" else "annual"),
    )
    errors: dict[str, str] = {}
    if plan is None:
        errors["plan"] = str(_l("Choose a plan of the price list."))
    if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= MAX_SEATS:
        errors["seats"] = str(_l("Seats must be between 1 and %(max)d.", max=MAX_SEATS))
    if not isinstance(period, str) or period not in PERIOD_MONTHS:
        errors["period"] = str(_l("Monthly or annual."))
    if errors:
        raise ValidationFailed(str(_l("Please correct the highlighted fields.")), errors)
    assert plan is not None and isinstance(seats, int)
    refuse_a_second_of(session, account.id, plan)
    line = period_line(plan, seats, period)
    pay_now(session, processor, account, draft(account, [line]), "charge", line.description)
    subscription = Subscription(
        account_id=account.id,
        plan_id=plan.id,
        plan=plan,
        seats=seats,
        period=period,
        period_start=clock.today(),
        next_billing_date=next_period_end(clock.today(), period),
        status="active",
    )
    session.add(subscription)
    session.flush()
    audit(session, account, user.id, "subscription.added", subscription, {})
    return subscription


def period_line(plan: Plan, seats: int, period: str) -> Line:
    """A period's invoice line: its seats at the seat price of the period."""
    return Line(f"{plan.name} ({period})", seats, seat_price(price_of(plan), period))


def refuse_a_second_of(
    session: orm.Session, account_id: int, plan: Plan, other_than: int | None = None
) -> None:
    """At most one usable subscription of a product per account."""
    query = (
        sa.select(Subscription.id)
        .join(Plan)
        .where(
            Subscription.account_id == account_id,
            Plan.product == plan.product,
            Subscription.status == "active",
        )
    )
    if other_than is not None:
        query = query.where(Subscription.id != other_than)
    if session.scalar(query.limit(1)) is not None:
        message = _l(
            "You have an active %(product)s subscription: change it instead, or cancel it first.",
            product=plan.product,
        )
        raise Conflict(str(message))


def standard_account(session: orm.Session, user: User) -> Account:
    account = account_of(session, user)
    if account.kind == "corporate":
        raise Forbidden(
            str(
                _l(
                    "Corporate accounts change subscriptions through LogMeIn technicians: "
                    "send a request."
                )
            )
        )
    return account


def cancel_subscription(
    session: orm.Session, user: User, subscription: Subscription
) -> Subscription:
    """Pending cancellation: usable to the end of the period, then ended by a durable timer."""
    account = standard_account(session, user)
    if subscription.status != "active":
        raise Conflict(str(_l("Only an active subscription can be cancelled.")))
    subscription.status = "pending_cancellation"
    subscription.updated_at = clock.now()
    audit(
        session,
        account,
        user.id,
        "subscription.cancel_requested",
        subscription,
        {"status": "active"},
    )
    return subscription


def undo_cancel(session: orm.Session, user: User, subscription: Subscription) -> Subscription:
    account = standard_account(session, user)
    if subscription.status != "pending_cancellation":
        raise Conflict(str(_l("This subscription is not pending cancellation.")))
    refuse_a_second_of(session, account.id, subscription.plan, other_than=subscription.id)
    subscription.status = "active"
    subscription.updated_at = clock.now()
    audit(
        session,
        account,
        user.id,
        "subscription.cancel_undone",
        subscription,
        {"status": "pending_cancellation"},
    )
    return subscription


def reactivate(
    session: orm.Session, processor: PaymentProcessor, user: User, subscription: Subscription
) -> Subscription:
    """An expired (or ended) subscription comes back for a new period, once paid."""
    account = standard_account(session, user)
    if subscription.status not in ("expired", "cancelled"):
        raise Conflict(str(_l("Only an expired or cancelled subscription can be reactivated.")))
    refuse_a_second_of(session, account.id, subscription.plan, other_than=subscription.id)
    line = period_line(subscription.plan, subscription.seats, subscription.period)
    pay_now(session, processor, account, draft(account, [line]), "charge", line.description)
    subscription.status = "active"
    subscription.period_start = clock.today()
    subscription.next_billing_date = next_period_end(clock.today(), subscription.period)
    subscription.updated_at = clock.now()
    audit(
        session, account, user.id, "subscription.reactivated", subscription, {"status": "expired"}
    )
    return subscription


def end_subscription(session: orm.Session, subscription_id: int, ends_on: str) -> bool:
    """The timer's end: only a subscription still pending cancellation for that period ends."""
    subscription = session.get(Subscription, subscription_id)
    if (
        subscription is None
        or subscription.status != "pending_cancellation"
        or subscription.next_billing_date.isoformat() != ends_on
    ):
        return False
    subscription.status = "cancelled"
    subscription.updated_at = clock.now()
    return True
