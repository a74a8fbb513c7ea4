"""The ledger (docs/design.md §7): what an account pays, in its currency, exactly.

Invariants every billing write keeps: an invoice's total is the sum of its lines plus tax; what
a card is charged is the invoice's total less the credit applied to it; succeeded charges less
refunds are the invoices' amounts paid; the credit is the sum of its balance transactions and
never negative. Amounts are Decimals rounded half-up to the cent at every step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql, sqlite

from portal import clock
from portal.billing_centre.payments import PaymentProcessor
from portal.errors import PortalError
from portal.i18n import _l
from portal.models import (
    Account,
    BalanceTransaction,
    Invoice,
    InvoiceLine,
    Money,
    NumberSequence,
    Payment,
    PaymentMethod,
)
from portal.webhooks.operations import emit

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
EURO_COUNTRIES = frozenset(
    {"AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV"}
    | {"MT", "NL", "PT", "SI", "SK"}
)
# Sales tax or VAT charged on an invoice, by the account's country (US: none in this sandbox).
TAX_RATES = {
    "FR": Decimal("0.20"),
    "DE": Decimal("0.19"),
    "GB": Decimal("0.20"),
    "ES": Decimal("0.21"),
    "IT": Decimal("0.22"),
    "NL": Decimal("0.21"),
}
DECLINES = {
    "card_declined": _l("Your card was declined. Nothing was changed; try another card."),
    "insufficient_funds": _l("Your card was declined for insufficient funds. Nothing was changed."),
    "no_card": _l("There is no card on file. Add one on the payment-method page first."),
}


class PaymentDeclined(PortalError):
    """The processor refused: the call is recorded, nothing else changed."""

    status = 402
    code = "payment_declined"


def currency_for(country: str) -> str:
    if country in EURO_COUNTRIES:
        return "EUR"
    return "GBP" if country == "GB" else "USD"


def tax_rate(country: str) -> Decimal:
    return TAX_RATES.get(country, Decimal(0))


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_UP)


def with_tax(account: Account, net: Decimal) -> Decimal:
    """A net amount as the customer pays it (or gets it back): tax included."""
    return cents(net) + cents(cents(net) * tax_rate(account.country))


# -- credit -----------------------------------------------------------------------------------


def credit_of(session: orm.Session, account_id: int) -> Decimal:
    total = sa.type_coerce(sa.func.sum(BalanceTransaction.amount), Money)
    credit = session.scalar(sa.select(total).where(BalanceTransaction.account_id == account_id))
    return credit if credit is not None else ZERO


def credit_moves_of(session: orm.Session, account_id: int) -> list[BalanceTransaction]:
    query = (
        sa.select(BalanceTransaction)
        .where(BalanceTransaction.account_id == account_id)
        .order_by(BalanceTransaction.created_at.desc(), BalanceTransaction.id.desc())
    )
    return list(session.scalars(query))


def add_credit(session: orm.Session, account: Account, amount: Decimal, description: str) -> None:
    session.add(
        BalanceTransaction(
            account_id=account.id,
            amount=cents(amount),
            currency=account.currency,
            kind="proration_credit",
            description=description,
        )
    )


# -- invoices ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return cents(self.unit_price * self.quantity)


@dataclass(frozen=True)
class Draft:
    """An invoice before it is issued: its lines and what they add up to, tax included."""

    lines: list[Line]
    subtotal: Decimal
    tax: Decimal

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax


def draft(account: Account, lines: list[Line]) -> Draft:
    subtotal = sum((line.amount for line in lines), ZERO)
    return Draft(lines, subtotal, cents(subtotal * tax_rate(account.country)))


def next_number(session: orm.Session, name: str) -> int:
    """The next number of a sequence; the UPDATE locks it, so no two writers share one."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(NumberSequence).values(name=name, value=0).on_conflict_do_nothing()
    )
    session.execute(
        sa.update(NumberSequence)
        .where(NumberSequence.name == name)
        .values(value=NumberSequence.value + 1)
    )
    value = session.scalar(sa.select(NumberSequence.value).where(NumberSequence.name == name))
    assert value is not None
    return int(value)


def issue(
    session: orm.Session,
    account: Account,
    drafted: Draft,
    kind: str,
    issued_on: date | None = None,
    purchase_order_id: int | None = None,
    po_number: str | None = None,
    net_days: int = 30,
    subscription_id: int | None = None,
) -> Invoice:
    """An open invoice of the draft, numbered from one sequence for every account."""
    issued_on = issued_on or clock.today()
    number = next_number(session, "invoice")
    invoice = Invoice(
        account_id=account.id,
        number=f"INV-{issued_on.year}-{number:06d}",
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=net_days),
        subtotal=drafted.subtotal,
        tax=drafted.tax,
        total=drafted.total,
        currency=account.currency,
        status="open",
        kind=kind,
        purchase_order_id=purchase_order_id,
        po_number=po_number,
        subscription_id=subscription_id,
        lines=[
            InvoiceLine(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=line.amount,
            )
            for line in drafted.lines
        ],
    )
    session.add(invoice)
    session.flush()
    told = {"id": invoice.id, "number": invoice.number, "kind": kind}
    emit(session, account.id, "invoice.created", told | _amount(invoice.total, account.currency))
    return invoice


def _amount(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currency": currency}


# -- paying -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settlement:
    """How an amount is paid: credit first, then what the card was charged."""

    credit: Decimal
    charged: Decimal
    reference: str = ""


def _collect(
    session: orm.Session,
    processor: PaymentProcessor,
    account: Account,
    total: Decimal,
    description: str,
    invoice_id: int | None = None,
    idempotency_key: str | None = None,
) -> Settlement:
    """Charge the card what the credit does not cover; a decline is recorded and raised."""
    credit = min(credit_of(session, account.id), total)
    to_charge = total - credit
    if to_charge <= 0:
        return Settlement(credit, ZERO)
    method = session.scalar(sa.select(PaymentMethod).where(PaymentMethod.account_id == account.id))
    if method is None or method.kind != "card":
        raise PaymentDeclined(str(DECLINES["no_card"]))
    # Once per step and card: the same step with a new card is a new attempt.
    key = f"{idempotency_key}:{method.processor_token}" if idempotency_key else None
    charge = processor.charge(method.processor_token, to_charge, account.currency, description, key)
    if not charge.approved:
        session.add(
            Payment(
                account_id=account.id,
                invoice_id=invoice_id,
                amount=to_charge,
                currency=account.currency,
                status="declined",
                decline_code=charge.decline_code,
            )
        )
        failed = {"invoice_id": invoice_id, "decline_code": charge.decline_code}
        emit(session, account.id, "payment.failed", failed | _amount(to_charge, account.currency))
        raise PaymentDeclined(str(DECLINES.get(charge.decline_code, DECLINES["card_declined"])))
    return Settlement(credit, to_charge, charge.reference)


def _record(session: orm.Session, account: Account, invoice: Invoice, paid: Settlement) -> None:
    if paid.credit > 0:
        session.add(
            BalanceTransaction(
                account_id=account.id,
                amount=-paid.credit,
                currency=account.currency,
                kind="applied_to_invoice",
                invoice_id=invoice.id,
                description=invoice.number,
            )
        )
    if paid.charged > 0:
        session.add(
            Payment(
                account_id=account.id,
                invoice_id=invoice.id,
                amount=paid.charged,
                currency=account.currency,
                status="succeeded",
                reference=paid.reference,
            )
        )
        succeeded = {"invoice_id": invoice.id} | _amount(paid.charged, account.currency)
        emit(session, account.id, "payment.succeeded", succeeded)
    invoice.credit_applied, invoice.amount_paid = paid.credit, paid.charged
    invoice.status = "paid"


def pay_now(
    session: orm.Session,
    processor: PaymentProcessor,
    account: Account,
    drafted: Draft,
    kind: str,
    description: str,
    subscription_id: int | None = None,
    issued_on: date | None = None,
    idempotency_key: str | None = None,
) -> Invoice:
    """Issue the draft and settle it at once: the account's credit first, then the card on
    file. A decline records the processor's answer and raises PaymentDeclined before anything
    else is written (the caller keeps that record and drops the rest). `idempotency_key` goes
    to the processor: a step retried after its charge but before its commit is charged once."""
    paid = _collect(
        session, processor, account, drafted.total, description, idempotency_key=idempotency_key
    )
    invoice = issue(
        session, account, drafted, kind, issued_on=issued_on, subscription_id=subscription_id
    )
    _record(session, account, invoice, paid)
    return invoice


def pay_open(
    session: orm.Session, processor: PaymentProcessor, account: Account, invoice: Invoice
) -> None:
    """Settle an open invoice now (a past-due renewal once the card is fixed); a decline is
    recorded against it and raised, and it stays open."""
    paid = _collect(session, processor, account, invoice.total, invoice.number, invoice.id)
    _record(session, account, invoice, paid)
