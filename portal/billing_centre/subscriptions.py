"""A standard account's subscriptions through their life: added (paid at once with the card
on file), cancelled (usable to the end of the period, then ended by a durable timer), the
cancellation undone, reactivated after expiry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.billing_centre.ledger import Draft, Line, draft, issue, pay_now
from portal.billing_centre.operations import (
    account_of,
    audit,
    plan_named,
    po_number_in_force,
    price_of,
)
from portal.billing_centre.payments import PaymentProcessor
from portal.billing_centre.proration import (
    MAX_SEATS,
    PERIOD_MONTHS,
    next_period_end,
    seat_price,
)
from portal.errors import Conflict, Forbidden, ValidationFailed
from portal.i18n import _l
from portal.models import Account, Invoice, Plan, Subscription, User

# How an account pays a new period: a standard account's card now, a Corporate account's
# invoice to its purchase order (net 30). Given the draft and the subscription it is for.
Bill = Callable[[Draft, int | None], Invoice]

SUBSCRIPTION_STATUS_LABELS = {
    "active": _l("Active"),
    "pending_cancellation": _l("Pending Cancellation"),
    "past_due": _l("Past due"),
    "expired": _l("Expired"),
    "cancelled": _l("Cancelled"),
}


def subscription_status_label(status: str) -> str:
    return str(SUBSCRIPTION_STATUS_LABELS.get(status, status))


def card_bill(session: orm.Session, processor: PaymentProcessor, account: Account) -> Bill:
    def bill(drafted: Draft, subscription_id: int | None) -> Invoice:
        description = drafted.lines[0].description
        return pay_now(session, processor, account, drafted, "charge", description, subscription_id)

    return bill


def invoice_bill(session: orm.Session, account: Account, product: str) -> Bill:
    def bill(drafted: Draft, subscription_id: int | None) -> Invoice:
        number = po_number_in_force(session, account, product)
        return issue(
            session, account, drafted, "charge", po_number=number, subscription_id=subscription_id
        )

    return bill


def add_subscription(
    session: orm.Session, processor: PaymentProcessor, user: User, body: dict[str, Any]
) -> Subscription:
    """A standard account's new subscription, usable once its first period is paid."""
    account = standard_account(session, user)
    return add_for(
        session, account, user.id, body, lambda plan: card_bill(session, processor, account)
    )


def addition_of(
    session: orm.Session, account: Account, body: dict[str, Any]
) -> tuple[Plan, int, str]:
    """The plan, seats and period of a new subscription, or why not (the fields at fault)."""
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
        errors["period"] = str(_l("One of: %(periods)s.", periods=", ".join(PERIOD_MONTHS)))
    if errors:
        raise ValidationFailed(str(_l("Please correct the highlighted fields.")), errors)
    assert plan is not None and isinstance(seats, int) and isinstance(period, str)
    refuse_a_second_of(session, account.id, plan)
    return plan, seats, period


def add_for(
    session: orm.Session,
    account: Account,
    actor_id: int | None,
    body: dict[str, Any],
    billing: Callable[[Plan], Bill],
) -> Subscription:
    """A new subscription of the account, its first period billed as the account pays."""
    plan, seats, period = addition_of(session, account, body)
    line = period_line(plan, seats, period)
    invoice = billing(plan)(draft(account, [line]), None)
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
    invoice.subscription_id = subscription.id
    audit(session, account, actor_id, "subscription.added", subscription, {})
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
                    "A Corporate account is billed by invoice: ask for this change on the "
                    "subscriptions page (or the API's subscription routes) and a LogMeIn "
                    "technician applies it."
                )
            )
        )
    return account


def change_period(
    session: orm.Session, user: User, subscription: Subscription, period: Any
) -> None:
    """A standard account's billing period, from its next renewal on (nothing is charged now)."""
    account = standard_account(session, user)
    if not isinstance(period, str) or period not in PERIOD_MONTHS:
        message = _l("One of: %(periods)s.", periods=", ".join(PERIOD_MONTHS))
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")), {"period": str(message)}
        )
    if subscription.status not in ("active", "past_due"):
        raise Conflict(str(_l("Only an active subscription can be changed.")))
    before = {"period": subscription.next_period or subscription.period}
    subscription.next_period = None if period == subscription.period else period
    subscription.updated_at = clock.now()
    audit(session, account, user.id, "subscription.period_changed", subscription, before)


def cancel_subscription(
    session: orm.Session, user: User, subscription: Subscription
) -> Subscription:
    """Pending cancellation: usable to the end of the period, then ended by its workflow."""
    return cancel_for(session, standard_account(session, user), user.id, subscription)


def check_cancel(subscription: Subscription) -> None:
    if subscription.status != "active":
        raise Conflict(str(_l("Only an active subscription can be cancelled.")))


def cancel_for(
    session: orm.Session, account: Account, actor_id: int | None, subscription: Subscription
) -> Subscription:
    check_cancel(subscription)
    subscription.status = "pending_cancellation"
    subscription.updated_at = clock.now()
    audit(
        session,
        account,
        actor_id,
        "subscription.cancel_requested",
        subscription,
        {"status": "active"},
    )
    return subscription


def undo_cancel(session: orm.Session, user: User, subscription: Subscription) -> Subscription:
    return undo_cancel_for(session, standard_account(session, user), user.id, subscription)


def check_undo_cancel(session: orm.Session, account: Account, subscription: Subscription) -> None:
    if subscription.status != "pending_cancellation":
        raise Conflict(str(_l("This subscription is not pending cancellation.")))
    refuse_a_second_of(session, account.id, subscription.plan, other_than=subscription.id)


def undo_cancel_for(
    session: orm.Session, account: Account, actor_id: int | None, subscription: Subscription
) -> Subscription:
    check_undo_cancel(session, account, subscription)
    subscription.status = "active"
    subscription.updated_at = clock.now()
    audit(
        session,
        account,
        actor_id,
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
    bill = card_bill(session, processor, account)
    return reactivate_for(session, account, user.id, subscription, bill)


def check_reactivate(session: orm.Session, account: Account, subscription: Subscription) -> None:
    if subscription.status not in ("expired", "cancelled"):
        raise Conflict(str(_l("Only an expired or cancelled subscription can be reactivated.")))
    refuse_a_second_of(session, account.id, subscription.plan, other_than=subscription.id)


def reactivate_for(
    session: orm.Session,
    account: Account,
    actor_id: int | None,
    subscription: Subscription,
    bill: Bill,
) -> Subscription:
    check_reactivate(session, account, subscription)
    before = {"status": subscription.status}
    line = period_line(subscription.plan, subscription.seats, subscription.period)
    bill(draft(account, [line]), subscription.id)
    subscription.status = "active"
    subscription.past_due_since = None
    subscription.period_start = clock.today()
    subscription.next_billing_date = next_period_end(clock.today(), subscription.period)
    subscription.updated_at = clock.now()
    audit(session, account, actor_id, "subscription.reactivated", subscription, before)
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
