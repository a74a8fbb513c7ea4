"""What the ledger state machine needs beside its rules: what a customer expects to pay, worked
out apart from the portal's code (exact fractions, rounded half-up to the cent once, as
docs/design.md §7 and the rules in proration.py's docstring say), a snapshot of everything an
account's billing holds, and the invariants of §7, read from the database."""

from __future__ import annotations

import math
import uuid
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.accounts.operations import create_account, create_user
from portal.billing_centre.ledger import credit_of
from portal.billing_centre.proration import next_period_end
from portal.models import (
    Account,
    BalanceTransaction,
    Invoice,
    Payment,
    PaymentMethod,
    Plan,
    Subscription,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# The sandbox's countries: VAT and currency (design §7), written here, not read from the code.
TAX = {"US": Decimal(0), "FR": Decimal("0.20"), "GB": Decimal("0.20"), "DE": Decimal("0.19")}
CURRENCY = {"US": "USD", "FR": "EUR", "GB": "GBP", "DE": "EUR"}
MONTHS = {"monthly": 1, "annual": 12}


def half_up(amount: Fraction | Decimal | int) -> Decimal:
    """An exact non-negative amount rounded half-up to the cent."""
    exact = Fraction(amount)
    assert exact >= 0, exact
    return Decimal(math.floor(exact * 100 + Fraction(1, 2))).scaleb(-2)


def with_tax(net: Decimal, rate: Decimal) -> Decimal:
    return net + half_up(net * rate)


@dataclass(frozen=True)
class PlanRow:
    id: int
    name: str
    product: str
    tier: str
    rank: int
    yearly: Decimal  # per seat per year, in the account's currency

    @classmethod
    def of(cls, plan: Plan) -> PlanRow:
        return cls(plan.id, plan.name, plan.product, plan.tier, plan.tier_rank, plan.unit_price)


def seat_price(plan: PlanRow, period: str) -> Decimal:
    """One seat for one period, as an invoice line states it."""
    return half_up(Fraction(plan.yearly) * MONTHS[period] / 12)


@dataclass
class Held:
    """A subscription as its customer believes it is."""

    id: int
    plan: PlanRow
    seats: int
    period: str
    status: str
    period_start: date
    next_billing_date: date

    def row(self) -> tuple[Any, ...]:
        return (
            self.id,
            self.plan.id,
            self.seats,
            self.period,
            self.period_start,
            self.next_billing_date,
            self.status,
        )


@dataclass(frozen=True)
class Quote:
    """What a change costs before tax: due (a new period from today) or credited."""

    due: Decimal
    credited: Decimal
    next_billing_date: date


def quote_change(held: Held, plan: PlanRow, seats: int, today: date) -> Quote:
    """Prorated against the time left: a higher price is paid now, less the unused value of the
    current period, and starts a new period; a lower one credits the unused value."""
    old = seat_price(held.plan, held.period) * held.seats
    new = seat_price(plan, held.period) * seats
    total = (held.next_billing_date - held.period_start).days
    left = (held.next_billing_date - max(today, held.period_start)).days
    unused = Fraction(max(0, min(left, total)), total) if total > 0 else Fraction(0)
    if new > old:
        due = half_up(Fraction(new) - Fraction(old) * unused)
        return Quote(due, ZERO, next_period_end(today, held.period))
    return Quote(ZERO, half_up(Fraction(old - new) * unused), held.next_billing_date)


# -- what the database holds ------------------------------------------------------------------


class InvoiceRow(NamedTuple):
    id: int
    number: str
    kind: str
    status: str
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    credit_applied: Decimal
    amount_paid: Decimal
    currency: str
    lines: tuple[tuple[int, Decimal, Decimal], ...]  # quantity, unit price, amount


class PaymentRow(NamedTuple):
    id: int
    invoice_id: int | None
    kind: str
    amount: Decimal
    currency: str
    status: str
    decline_code: str


class CreditRow(NamedTuple):
    id: int
    amount: Decimal
    currency: str
    kind: str
    invoice_id: int | None


@dataclass(frozen=True)
class Snapshot:
    subscriptions: tuple[tuple[Any, ...], ...]
    invoices: tuple[InvoiceRow, ...]
    payments: tuple[PaymentRow, ...]
    credits: tuple[CreditRow, ...]
    card: tuple[str, str, str] | None  # kind, last4, processor token

    def without_payments(self) -> Snapshot:
        return replace(self, payments=())


def _of_account(session: orm.Session, model: Any, account_id: int) -> list[Any]:
    query = sa.select(model).where(model.account_id == account_id).order_by(model.id)
    return list(session.scalars(query))


def snapshot(session: orm.Session, account_id: int) -> Snapshot:
    subscriptions = _of_account(session, Subscription, account_id)
    invoices = session.scalars(
        sa.select(Invoice)
        .where(Invoice.account_id == account_id)
        .order_by(Invoice.id)
        .options(orm.selectinload(Invoice.lines))
    )
    card = session.scalar(sa.select(PaymentMethod).where(PaymentMethod.account_id == account_id))
    return Snapshot(
        tuple(
            (s.id, s.plan_id, s.seats, s.period, s.period_start, s.next_billing_date, s.status)
            for s in subscriptions
        ),
        tuple(
            InvoiceRow(
                *(i.id, i.number, i.kind, i.status, i.subtotal, i.tax, i.total),
                *(i.credit_applied, i.amount_paid, i.currency),
                tuple((line.quantity, line.unit_price, line.amount) for line in i.lines),
            )
            for i in invoices
        ),
        tuple(
            PaymentRow(p.id, p.invoice_id, p.kind, p.amount, p.currency, p.status, p.decline_code)
            for p in _of_account(session, Payment, account_id)
        ),
        tuple(
            CreditRow(m.id, m.amount, m.currency, m.kind, m.invoice_id)
            for m in _of_account(session, BalanceTransaction, account_id)
        ),
        None if card is None else (card.kind, card.last4, card.processor_token),
    )


# -- the invariants of design §7 ---------------------------------------------------------------

# Money columns, read raw: a whole number of cents each (at most two decimal places, exactly).
RAW_MONEY = {
    "invoices": ("subtotal", "tax", "total", "credit_applied", "amount_paid"),
    "payments": ("amount",),
    "balance_transactions": ("amount",),
}


def assert_ledger_holds(session: orm.Session, account_id: int) -> None:
    account = session.get(Account, account_id)
    assert account is not None
    rate, currency = TAX[account.country], CURRENCY[account.country]
    assert account.currency == currency, (account.country, account.currency)
    assert account.billing_lease_token is None, "a write kept the account's lease"
    held = snapshot(session, account_id)
    paid_by_cards = Decimal(0)
    for invoice in held.invoices:
        where = invoice.number
        for quantity, unit_price, amount in invoice.lines:
            assert amount == half_up(unit_price * quantity), (where, invoice.lines)
        assert invoice.subtotal == sum((line[2] for line in invoice.lines), ZERO), invoice
        assert invoice.tax == half_up(rate * invoice.subtotal), (where, rate, invoice)
        assert invoice.total == invoice.subtotal + invoice.tax, invoice
        assert invoice.currency == currency, invoice
        if invoice.status == "paid":
            assert invoice.credit_applied + invoice.amount_paid == invoice.total, invoice
        charged = [
            p for p in held.payments if p.invoice_id == invoice.id and p.status == "succeeded"
        ]
        signed = sum((p.amount if p.kind == "charge" else -p.amount for p in charged), ZERO)
        assert signed == invoice.amount_paid, (where, charged)
        applied = [m for m in held.credits if m.invoice_id == invoice.id]
        assert -sum((m.amount for m in applied), ZERO) == invoice.credit_applied, (where, applied)
        paid_by_cards += invoice.amount_paid
    succeeded = [p for p in held.payments if p.status == "succeeded"]
    charges = sum((p.amount for p in succeeded if p.kind == "charge"), ZERO)
    refunds = sum((p.amount for p in succeeded if p.kind == "refund"), ZERO)
    assert charges - refunds == paid_by_cards, (held.payments, held.invoices)
    for payment in held.payments:
        assert payment.currency == currency and payment.amount > 0, payment
        assert payment.status in ("succeeded", "declined"), payment
        if payment.status == "declined":
            assert payment.decline_code, payment
    credit = credit_of(session, account_id)
    assert credit == sum((m.amount for m in held.credits), ZERO), (credit, held.credits)
    running = ZERO
    for move in held.credits:
        assert move.currency == currency, move
        running += move.amount
        assert running >= 0, ("the credit went negative", held.credits)
    assert credit >= 0
    plans = {plan.id: plan for plan in session.scalars(sa.select(Plan))}
    active = Counter(plans[row[1]].product for row in held.subscriptions if row[6] == "active")
    assert all(count == 1 for count in active.values()), held.subscriptions
    assert all(plans[row[1]].currency == currency for row in held.subscriptions)
    values = [
        amount
        for invoice in held.invoices
        for amount in (*invoice[4:9], *(v for line in invoice.lines for v in line[1:]))
    ]
    values += [p.amount for p in held.payments] + [m.amount for m in held.credits]
    assert all(value == value.quantize(CENT) for value in values), values
    _assert_whole_cents(session, account_id)


def _assert_whole_cents(session: orm.Session, account_id: int) -> None:
    for name, columns in RAW_MONEY.items():
        table = sa.table(name, sa.column("account_id"), *(sa.column(c) for c in columns))
        query = sa.select(*(table.c[c] for c in columns)).where(table.c.account_id == account_id)
        for row in session.execute(query):
            assert all(type(value) is int for value in row), (name, row)
    lines = sa.table(
        "invoice_lines", sa.column("invoice_id"), sa.column("unit_price"), sa.column("amount")
    )
    invoices = sa.table("invoices", sa.column("id"), sa.column("account_id"))
    query = (
        sa.select(lines.c.unit_price, lines.c.amount)
        .join_from(lines, invoices, lines.c.invoice_id == invoices.c.id)
        .where(invoices.c.account_id == account_id)
    )
    for row in session.execute(query):
        assert all(type(value) is int for value in row), ("invoice_lines", row)


# -- setting up -------------------------------------------------------------------------------


def open_account(session: orm.Session, country: str) -> tuple[int, int]:
    """A fresh standard account (a unique name) and its billing contact: their ids."""
    tag = uuid.uuid4().hex[:12]
    account = create_account(session, f"Ledger {tag}", country, kind="standard")
    contact = create_user(
        session,
        f"contact-{tag}@ledger.example",
        "Lee Dger",
        "billing_contact",
        "a-password-1",
        account.id,
    )
    return account.id, contact.id


def price_list(session: orm.Session, currency: str) -> list[PlanRow]:
    query = sa.select(Plan).where(Plan.currency == currency, Plan.active).order_by(Plan.id)
    return [PlanRow.of(plan) for plan in session.scalars(query)]


def card_body(number: str) -> dict[str, Any]:
    return {"number": number, "exp_month": 12, "exp_year": clock.today().year + 2, "cvc": "123"}


def move_clock(days: int) -> None:
    clock.set_shift(timedelta(seconds=clock.shift_seconds(), days=days))


def set_today(day: date) -> None:
    move_clock((day - clock.today()).days)
