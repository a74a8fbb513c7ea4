"""The billing centre's writes as the API and the pages both run them: each returns the answer
(`Outcome`) that `writes.run` keeps for its idempotency key, and the shapes of those answers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import orm

from portal.billing_centre import cards, renewals
from portal.billing_centre import operations as billing
from portal.billing_centre import subscriptions as lifecycle
from portal.billing_centre.ledger import credit_of
from portal.billing_centre.payments import PaymentProcessor
from portal.billing_centre.timers import follow_before_commit, tell_subscription
from portal.billing_centre.writes import Outcome
from portal.config import TimerSettings
from portal.gateway import TemporalBridge
from portal.models import Account, Invoice, Payment, PaymentMethod, Subscription, User


def subscription_json(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "product": subscription.plan.product,
        "tier": subscription.plan.tier,
        "plan": subscription.plan.name,
        "seats": subscription.seats,
        "period": subscription.period,
        "status": subscription.status,
        "next_billing_date": subscription.next_billing_date.isoformat(),
        # The period of the renewals from the next one on (a change waits for it).
        "next_period": subscription.next_period or subscription.period,
        "currency": subscription.plan.currency,
    }


def invoice_json(invoice: Invoice, lines: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": invoice.id,
        "number": invoice.number,
        "issued_on": invoice.issued_on.isoformat(),
        "due_on": invoice.due_on.isoformat(),
        "kind": invoice.kind,
        "status": invoice.status,
        "updated_at": invoice.updated_at.isoformat(),
        "subtotal": str(invoice.subtotal),
        "tax": str(invoice.tax),
        "total": str(invoice.total),
        "credit_applied": str(invoice.credit_applied),
        "amount_paid": str(invoice.amount_paid),
        "currency": invoice.currency,
        "po_number": invoice.po_number,
    }
    if lines:
        body["lines"] = [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "amount": str(line.amount),
            }
            for line in invoice.lines
        ]
    return body


def payment_json(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "kind": payment.kind,
        "amount": str(payment.amount),
        "currency": payment.currency,
        "status": payment.status,
        "invoice_number": payment.invoice.number if payment.invoice else None,
        "created_at": payment.created_at.isoformat(),
    }


def card_json(method: PaymentMethod | None) -> dict[str, Any]:
    if method is None:
        return {"kind": None}
    return {
        "kind": method.kind,
        "brand": method.brand,
        "last4": method.last4,
        "exp_month": method.exp_month,
        "exp_year": method.exp_year,
    }


def balance_json(session: orm.Session, account: Account) -> dict[str, Any]:
    return {"currency": account.currency, "credit": str(credit_of(session, account.id))}


# -- the writes -------------------------------------------------------------------------------


def change(
    session: orm.Session,
    processor: PaymentProcessor,
    user: User,
    subscription: Subscription,
    body: dict[str, Any],
) -> Outcome:
    billing.change_now(session, processor, user, subscription, body)
    return Outcome(200, subscription_json(subscription))


def change_period(
    session: orm.Session, user: User, subscription: Subscription, period: Any
) -> Outcome:
    lifecycle.change_period(session, user, subscription, period)
    return Outcome(200, subscription_json(subscription))


def add(
    session: orm.Session, processor: PaymentProcessor, user: User, body: dict[str, Any]
) -> Outcome:
    added = lifecycle.add_subscription(session, processor, user, body)
    return Outcome(201, subscription_json(added))


def cancel(
    session: orm.Session,
    bridge: TemporalBridge,
    timers: TimerSettings,
    user: User,
    subscription: Subscription,
) -> Outcome:
    """Pending cancellation: its workflow ends it at the period's end, so it must know first."""
    lifecycle.cancel_subscription(session, user, subscription)
    follow_before_commit(session, bridge, subscription, timers)
    return Outcome(200, subscription_json(subscription))


def undo_cancel(session: orm.Session, user: User, subscription: Subscription) -> Outcome:
    lifecycle.undo_cancel(session, user, subscription)
    return Outcome(200, subscription_json(subscription))


def reactivate(
    session: orm.Session, processor: PaymentProcessor, user: User, subscription: Subscription
) -> Outcome:
    lifecycle.reactivate(session, processor, user, subscription)
    return Outcome(200, subscription_json(subscription))


def save_card(
    session: orm.Session, processor: PaymentProcessor, user: User, body: dict[str, Any]
) -> Outcome:
    method = cards.save_card(
        session,
        processor,
        user,
        body.get("number"),
        body.get("exp_month"),
        body.get("exp_year"),
        body.get("cvc"),
    )
    account = billing.account_of(session, user)
    settled = renewals.settle_past_due(session, processor, account)
    # A past-due renewal it paid: its workflow stops the dunning (told after the commit).
    return Outcome(200, {**card_json(method), "settled": [item.id for item in settled]})


def tell_changed(
    session: orm.Session, bridge: TemporalBridge, timers: TimerSettings, outcome: Outcome
) -> None:
    """After the commit: the workflows of the subscriptions a write changed read them again
    (an added one starts; a paid past-due one stops its dunning)."""
    changed = [outcome.body["id"]] if "next_billing_date" in outcome.body else []
    changed += list(outcome.body.get("settled", []))
    for subscription_id in changed:
        tell_subscription(session, bridge, int(subscription_id), timers)
