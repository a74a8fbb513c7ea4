"""The billing centre: subscriptions, the card on file, invoices and their lines."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.db import Base
from portal.models.types import Money, UtcDateTime

if TYPE_CHECKING:
    from portal.models.accounts import Account
    from portal.models.purchasing import Plan, PurchaseOrder


# The statuses of a subscription that still renews (its workflow is alive); the others ended.
LIVING_STATUSES = ("active", "pending_cancellation", "past_due")


class Subscription(Base):
    """A plan held by an account: usable while active or pending cancellation."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id"))
    seats: Mapped[int]
    # "monthly", "quarterly", "semiannual" or "annual" (proration.PERIOD_MONTHS)
    period: Mapped[str] = mapped_column(sa.String(10))
    period_start: Mapped[date]
    next_billing_date: Mapped[date]
    # The period the next renewal starts (a frequency change waits for it), then `period`.
    next_period: Mapped[str | None] = mapped_column(sa.String(10))
    # active, pending_cancellation, past_due, expired, cancelled
    status: Mapped[str] = mapped_column(sa.String(30), default="active")
    # The renewal whose payment failed, while past due: dunning counts from it.
    past_due_since: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

    plan: Mapped[Plan] = orm.relationship()
    account: Mapped[Account] = orm.relationship()


class PaymentMethod(Base):
    """What a processor's token gives back about a card; never the card number itself."""

    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="card")  # "card" or "invoice"
    brand: Mapped[str] = mapped_column(sa.String(30), default="")
    last4: Mapped[str] = mapped_column(sa.String(4), default="")
    exp_month: Mapped[int | None]
    exp_year: Mapped[int | None]
    processor_token: Mapped[str] = mapped_column(sa.String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    issued_on: Mapped[date]
    due_on: Mapped[date]
    # total = subtotal (the lines) + tax; total = credit_applied + what cards paid, once paid.
    subtotal: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    credit_applied: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    amount_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    status: Mapped[str] = mapped_column(sa.String(20), default="open")  # open, paid, void
    kind: Mapped[str] = mapped_column(sa.String(20), default="renewal")  # charge, renewal
    purchase_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("purchase_orders.id"))
    # The PO number in force when it was issued (a later revision does not change it).
    po_number: Mapped[str | None] = mapped_column(sa.String(64))
    # The subscription a renewal or a charge is for.
    subscription_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subscriptions.id"))
    # Every write moves it (payments, voids): what `?updated_since=` lists.
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=clock.now, onupdate=clock.now, index=True
    )

    lines: Mapped[list[InvoiceLine]] = orm.relationship(
        back_populates="invoice", order_by="InvoiceLine.id", cascade="all, delete-orphan"
    )
    purchase_order: Mapped[PurchaseOrder | None] = orm.relationship()
    account: Mapped[Account] = orm.relationship()


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id"), index=True)
    description: Mapped[str] = mapped_column(sa.String(300))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)

    invoice: Mapped[Invoice] = orm.relationship(back_populates="lines")
