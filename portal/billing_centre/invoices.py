"""Billing history: issuing invoices with their lines and tax, and reading them by account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.errors import Forbidden, NotFound
from portal.i18n import _l
from portal.models import Account, Invoice, InvoiceLine, User

CENT = Decimal("0.01")
# Sales tax or VAT by the account's country; the demo's countries only.
TAX_RATES = {"FR": Decimal("0.20"), "DE": Decimal("0.19"), "GB": Decimal("0.20")}
INVOICE_STATUSES = ("paid", "open")


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_price: Decimal


def issue_invoice(
    session: orm.Session,
    account: Account,
    lines: list[Line],
    status: str,
    kind: str,
    issued_on: date | None = None,
    purchase_order_id: int | None = None,
) -> Invoice:
    issued_on = issued_on or clock.today()
    amounts = [(line.unit_price * line.quantity).quantize(CENT, ROUND_HALF_UP) for line in lines]
    subtotal = sum(amounts, Decimal(0))
    tax = (subtotal * TAX_RATES.get(account.country, Decimal(0))).quantize(CENT, ROUND_HALF_UP)
    count = (
        session.scalar(sa.select(sa.func.count(Invoice.id)).where(Invoice.account_id == account.id))
        or 0
    )
    invoice = Invoice(
        account_id=account.id,
        number=f"INV-{account.id:04d}-{issued_on:%Y%m%d}-{count + 1:04d}",
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=30),
        subtotal=subtotal,
        tax=tax,
        amount=subtotal + tax,
        currency=account.currency,
        status=status,
        kind=kind,
        purchase_order_id=purchase_order_id,
        lines=[
            InvoiceLine(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=amount,
            )
            for line, amount in zip(lines, amounts, strict=True)
        ],
    )
    session.add(invoice)
    session.flush()
    return invoice


def _billing_account_id(user: User) -> int:
    if not user.is_billing_contact or user.account_id is None:
        raise Forbidden(str(_l("Only the account's billing contact can see its billing history.")))
    return user.account_id


def invoices_of(
    session: orm.Session, user: User, year: Any = None, status: Any = None, limit: int = 200
) -> list[Invoice]:
    query = sa.select(Invoice).where(Invoice.account_id == _billing_account_id(user))
    if isinstance(year, str) and year.isdigit():
        start = date(int(year), 1, 1)
        query = query.where(
            Invoice.issued_on >= start, Invoice.issued_on < date(start.year + 1, 1, 1)
        )
    if status in INVOICE_STATUSES:
        query = query.where(Invoice.status == status)
    query = query.options(orm.selectinload(Invoice.lines)).order_by(
        Invoice.issued_on.desc(), Invoice.id.desc()
    )
    return list(session.scalars(query.limit(limit)))


def get_invoice(session: orm.Session, user: User, invoice_id: Any) -> Invoice:
    account_id = None if user.is_staff else _billing_account_id(user)
    try:
        invoice = session.get(Invoice, int(invoice_id))
    except (TypeError, ValueError, OverflowError):
        invoice = None
    if invoice is None or (account_id is not None and invoice.account_id != account_id):
        raise NotFound(str(_l("No such invoice.")))
    return invoice


def invoice_years(session: orm.Session, user: User) -> list[int]:
    issued = session.scalars(
        sa.select(Invoice.issued_on).where(Invoice.account_id == _billing_account_id(user))
    )
    return sorted({day.year for day in issued}, reverse=True)
