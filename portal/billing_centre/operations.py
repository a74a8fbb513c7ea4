"""The billing centre's subscriptions read and changed (seats, tier): a standard account's change
is paid at once with the card on file; a Corporate account's becomes a `subscription_change`
request a technician approves. Adding, cancelling and reactivating: subscriptions.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.billing_centre.ledger import Line, add_credit, draft, issue, pay_now, with_tax
from portal.billing_centre.payments import PaymentProcessor
from portal.billing_centre.proration import (
    MAX_SEATS,
    Holding,
    PlanPrice,
    Preview,
    Refusal,
    preview_change,
)
from portal.db import row_id
from portal.errors import Conflict, Forbidden, NotFound, ValidationFailed
from portal.i18n import _l
from portal.models import Account, AuditEntry, Plan, Subscription, User
from portal.models.billing import LIVING_STATUSES

USABLE = ("active", "pending_cancellation")
REFUSALS = {
    Refusal.DIFFERENT_PRODUCT: _l(
        "Products cannot be swapped: cancel this subscription, then add the other product."
    ),
    Refusal.LOWER_TIER: _l(
        "Moving to a lower tier is done by customer support: please contact them."
    ),
    Refusal.BAD_SEATS: _l("Seats must be between 1 and %(max)d.", max=MAX_SEATS),
    Refusal.NO_CHANGE: _l("This is what you have already."),
    Refusal.NOT_ACTIVE: _l("Only an active subscription can be changed."),
}
CARD_ERRORS = {
    "invalid_number": ("number", _l("This card number is not valid.")),
    "expired_card": ("expiry", _l("This card has expired.")),
    "invalid_cvc": ("cvc", _l("The security code has 3 or 4 digits.")),
    "card_declined": ("number", _l("Your bank declined this card; try another one.")),
}


# -- reading -------------------------------------------------------------------------------


def account_of(session: orm.Session, user: User) -> Account:
    if not user.is_billing_contact or user.account_id is None:
        raise Forbidden(str(_l("Only the account's billing contact can manage subscriptions.")))
    account = session.get(Account, user.account_id)
    assert account is not None
    return account


def next_renewal_of(session: orm.Session, account: Account) -> date | None:
    """When the account is next billed: a Corporate account's contract renewal, a standard
    account's earliest living subscription."""
    if account.kind == "corporate":
        return account.next_renewal
    found: date | None = session.scalar(
        sa.select(sa.func.min(Subscription.next_billing_date)).where(
            Subscription.account_id == account.id, Subscription.status.in_(LIVING_STATUSES)
        )
    )
    return found


def subscriptions_query(session: orm.Session, user: User) -> sa.Select[Subscription]:
    account = account_of(session, user)
    return (
        sa.select(Subscription)
        .where(Subscription.account_id == account.id)
        .options(orm.joinedload(Subscription.plan))
        .order_by(Subscription.id)
    )


def subscriptions_of(session: orm.Session, user: User) -> list[Subscription]:
    return list(session.scalars(subscriptions_query(session, user)))


def get_subscription(session: orm.Session, user: User, subscription_id: Any) -> Subscription:
    account = account_of(session, user)
    return subscription_of_account(session, account.id, subscription_id)


def subscription_of_account(
    session: orm.Session, account_id: int, subscription_id: Any
) -> Subscription:
    wanted = row_id(subscription_id)
    subscription = session.get(Subscription, wanted) if wanted is not None else None
    if subscription is None or subscription.account_id != account_id:
        raise NotFound(str(_l("No such subscription.")))
    return subscription


def price_of(plan: Plan) -> PlanPrice:
    return PlanPrice(plan.name, plan.product, plan.tier_rank, plan.unit_price)


def plan_named(session: orm.Session, name: Any, currency: str) -> Plan | None:
    """A plan of the account's price list (its currency), by name."""
    if not isinstance(name, str):
        return None
    return session.scalar(
        sa.select(Plan).where(Plan.name == name, Plan.currency == currency, Plan.active)
    )


def holding_of(subscription: Subscription) -> Holding:
    return Holding(
        price_of(subscription.plan),
        subscription.seats,
        subscription.period,
        subscription.period_start,
        subscription.next_billing_date,
    )


# -- previewing and changing ----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    plan: Plan
    seats: int


def target_of(session: orm.Session, subscription: Subscription, body: dict[str, Any]) -> Target:
    """`{seats}` and/or `{tier}` (a tier of the same product) → the plan and seats asked for."""
    seats, tier = body.get("seats", subscription.seats), body.get("tier")
    errors: dict[str, str] = {}
    if "seats" not in body and not tier:
        errors["seats"] = str(_l("Give the new number of seats or the new tier."))
    if not isinstance(seats, int) or isinstance(seats, bool):
        errors["seats"] = str(_l("A whole number of seats."))
    elif not 1 <= seats <= MAX_SEATS:
        errors["seats"] = str(REFUSALS[Refusal.BAD_SEATS])
    plan = subscription.plan
    if tier:
        found = (
            session.scalar(
                sa.select(Plan).where(
                    Plan.product == subscription.plan.product,
                    Plan.tier == tier,
                    Plan.currency == subscription.plan.currency,
                    Plan.active,
                )
            )
            if isinstance(tier, str)
            else None
        )
        if found is None:
            errors["tier"] = str(
                _l("No such tier for %(product)s.", product=subscription.plan.product)
            )
        else:
            plan = found
    if errors:
        raise ValidationFailed(str(_l("Please correct the highlighted fields.")), errors)
    return Target(plan, int(seats))


def preview(
    session: orm.Session,
    subscription: Subscription,
    body: dict[str, Any],
    today: date | None = None,
) -> Preview:
    """What the change costs before tax (the invoice adds it): see `as_paid` for the customer."""
    target = target_of(session, subscription, body)
    if subscription.status != "active":
        return Preview(
            Decimal("0.00"), Decimal("0.00"), subscription.next_billing_date, Refusal.NOT_ACTIVE
        )
    return preview_change(
        holding_of(subscription), price_of(target.plan), target.seats, today or clock.today()
    )


def as_paid(account: Account, result: Preview) -> Preview:
    """The preview as the customer pays or gets it back: tax included."""
    return Preview(
        with_tax(account, result.amount_due),
        with_tax(account, result.amount_credited),
        result.new_billing_date,
        result.error,
    )


def refusal_text(code: str) -> str:
    return str(REFUSALS.get(code, _l("This change is not possible.")))


def change_now(
    session: orm.Session,
    processor: PaymentProcessor,
    user: User,
    subscription: Subscription,
    body: dict[str, Any],
) -> Subscription:
    """A standard account's change: paid with the card on file, effective at once."""
    account = account_of(session, user)
    target = target_of(session, subscription, body)
    result = preview(session, subscription, body)
    if result.error:
        raise Conflict(refusal_text(result.error), {"change": refusal_text(result.error)})
    if result.amount_due > 0:
        line = _change_line(target, result.amount_due)
        pay_now(
            session,
            processor,
            account,
            draft(account, [line]),
            "charge",
            line.description,
            subscription_id=subscription.id,
        )
    _apply(session, account, subscription, target, result, actor_id=user.id)
    return subscription


def _change_line(target: Target, net_due: Decimal) -> Line:
    described = f"{target.plan.name} × {target.seats} ({_l('prorated change')})"  # noqa: RUF001
    return Line(described, 1, net_due)


def apply_approved_change(
    session: orm.Session,
    account: Account,
    subscription: Subscription,
    body: dict[str, Any],
    actor_id: int | None,
) -> dict[str, Any]:
    """A Corporate account's approved change: billed on an open invoice, effective at once."""
    target = target_of(session, subscription, body)
    result = preview(session, subscription, body)
    if result.error:
        raise Conflict(refusal_text(result.error))
    invoice_id = None
    if result.amount_due > 0:
        invoice_id = issue(
            session,
            account,
            draft(account, [_change_line(target, result.amount_due)]),
            "charge",
            po_number=po_number_in_force(session, account, subscription.plan.name),
            subscription_id=subscription.id,
        ).id
    _apply(session, account, subscription, target, result, actor_id=actor_id)
    return {
        "subscription_id": subscription.id,
        "amount_due": str(result.amount_due),
        "amount_credited": str(result.amount_credited),
        "new_billing_date": result.new_billing_date.isoformat(),
        "invoice_id": invoice_id,
    }


def _apply(
    session: orm.Session,
    account: Account,
    subscription: Subscription,
    target: Target,
    result: Preview,
    actor_id: int | None,
) -> None:
    before = {"plan": subscription.plan.name, "seats": subscription.seats}
    if result.amount_due > 0:
        subscription.period_start = clock.today()
    if result.amount_credited > 0:
        credited = with_tax(account, result.amount_credited)
        add_credit(
            session, account, credited, f"{subscription.plan.name}: {_l('credit for unused seats')}"
        )
    subscription.plan_id, subscription.plan = target.plan.id, target.plan
    subscription.seats = target.seats
    subscription.next_billing_date = result.new_billing_date
    subscription.updated_at = clock.now()
    audit(session, account, actor_id, "subscription.changed", subscription, before)


def po_number_in_force(
    session: orm.Session, account: Account, product: str | None = None
) -> str | None:
    """The number, as it reads today, of the account's newest purchase order that orders
    `product` (else of its newest purchase order)."""
    from portal.models import PurchaseOrder

    orders = list(
        session.scalars(
            sa.select(PurchaseOrder)
            .where(PurchaseOrder.account_id == account.id)
            .order_by(PurchaseOrder.id.desc())
        )
    )
    ordering = [po for po in orders if any(line.product == product for line in po.current.lines)]
    chosen = (ordering or orders)[:1]
    return chosen[0].current.po_number if chosen else None


def audit(
    session: orm.Session,
    account: Account,
    actor_id: int | None,
    action: str,
    subscription: Subscription,
    before: dict[str, Any],
) -> None:
    session.add(
        AuditEntry(
            account_id=account.id,
            actor_id=actor_id,
            action=action,
            details={
                "subscription_id": subscription.id,
                "before": before,
                "after": {
                    "plan": subscription.plan.name,
                    "seats": subscription.seats,
                    "status": subscription.status,
                },
            },
        )
    )
