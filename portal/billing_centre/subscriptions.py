"""A standard account's subscriptions through their life: added (paid at once with the card
on file), cancelled (usable to the end of the period, then ended by a durable timer), the
cancellation undone, reactivated after expiry."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.billing_centre.invoices import Line, issue_invoice
from portal.billing_centre.operations import (
    account_of,
    audit,
    collect,
    price_of,
)
from portal.billing_centre.payments import PaymentProcessor
from portal.billing_centre.proration import (
    MAX_SEATS,
    PERIOD_MONTHS,
    first_charge,
)
from portal.errors import Conflict, Forbidden, ValidationFailed
from portal.i18n import _l
from portal.models import Account, Plan, Subscription, User


def add_subscription(
    session: orm.Session, processor: PaymentProcessor, user: User, body: dict[str, Any]
) -> Subscription:
    """A new subscription, usable once its first period is paid."""
    account = standard_account(session, user)
    name = body.get("plan")
    plan = (
        session.scalar(sa.select(Plan).where(Plan.name == name, Plan.active))
        if isinstance(name, str)
        else None
    )
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
    held = session.scalar(
        sa.select(Subscription.id)
        .join(Plan)
        .where(
            Subscription.account_id == account.id,
            Plan.product == plan.product,
            Subscription.status == "active",
        )
    )
    if held is not None:
        message = _l(
            "You have an active %(product)s subscription: change it instead, or cancel it first.",
            product=plan.product,
        )
        raise Conflict(str(message))
    amount, next_billing = first_charge(price_of(plan), seats, period, clock.today())
    collect(session, processor, account, amount, f"{plan.name} x {seats}")
    subscription = Subscription(
        account_id=account.id,
        plan_id=plan.id,
        plan=plan,
        seats=seats,
        period=period,
        period_start=clock.today(),
        next_billing_date=next_billing,
        status="active",
    )
    session.add(subscription)
    session.flush()
    issue_invoice(
        session, account, [Line(f"{plan.name} ({period})", seats, amount / seats)], "paid", "charge"
    )
    audit(session, account, user.id, "subscription.added", subscription, {})
    return subscription


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
    amount, next_billing = first_charge(
        price_of(subscription.plan), subscription.seats, subscription.period, clock.today()
    )
    collect(session, processor, account, amount, f"{subscription.plan.name} x {subscription.seats}")
    subscription.status = "active"
    subscription.period_start, subscription.next_billing_date = clock.today(), next_billing
    issue_invoice(
        session,
        account,
        [
            Line(
                f"{subscription.plan.name} ({subscription.period})",
                subscription.seats,
                amount / subscription.seats,
            )
        ],
        "paid",
        "charge",
    )
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
