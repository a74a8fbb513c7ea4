"""Billing history: an account's invoices, payments and credit, as its contact reads them (issuing
and paying them: ledger.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.db import row_id
from portal.errors import Forbidden, NotFound, ValidationFailed
from portal.i18n import _l
from portal.models import Invoice, Payment, User

INVOICE_STATUSES = ("paid", "open", "void")


def _billing_account_id(user: User) -> int:
    if not user.is_billing_contact or user.account_id is None:
        raise Forbidden(str(_l("Only the account's billing contact can see its billing history.")))
    return user.account_id


def invoices_of(
    session: orm.Session, user: User, year: Any = None, status: Any = None, limit: int = 200
) -> list[Invoice]:
    """The statement page's list (the API pages through `invoices_query`)."""
    query = invoices_query(_billing_account_id(user), year, status)
    return list(session.scalars(query.limit(limit)))


def invoices_query(account_id: int, year: Any = None, status: Any = None) -> sa.Select[Invoice]:
    """The invoices of an account, newest first, of one year and status when given."""
    query = sa.select(Invoice).where(Invoice.account_id == account_id)
    if year is not None:
        if not (isinstance(year, str) and year.isdigit() and 1 <= int(year[:5]) <= 9998):
            message = str(_l("A year such as 2027."))
            raise ValidationFailed(message, {"year": message})
        start = date(int(year), 1, 1)
        query = query.where(
            Invoice.issued_on >= start, Invoice.issued_on < date(start.year + 1, 1, 1)
        )
    if status in INVOICE_STATUSES:
        query = query.where(Invoice.status == status)
    # Lists show an invoice's totals, never its lines (only a statement does).
    return query.order_by(Invoice.issued_on.desc(), Invoice.id.desc())


def get_invoice(session: orm.Session, user: User, invoice_id: Any) -> Invoice:
    account_id = None if user.is_staff else _billing_account_id(user)
    wanted = row_id(invoice_id)
    invoice = session.get(Invoice, wanted) if wanted is not None else None
    if invoice is None or (account_id is not None and invoice.account_id != account_id):
        raise NotFound(str(_l("No such invoice.")))
    return invoice


def invoice_years(session: orm.Session, user: User) -> list[int]:
    issued = session.scalars(
        sa.select(Invoice.issued_on).where(Invoice.account_id == _billing_account_id(user))
    )
    return sorted({day.year for day in issued}, reverse=True)


def payments_query(user: User) -> sa.Select[Payment]:
    """Every call to the payment processor for the account, newest first, with the invoice it
    paid (none for a decline)."""
    return (
        sa.select(Payment)
        .where(Payment.account_id == _billing_account_id(user))
        .options(orm.joinedload(Payment.invoice))
        .order_by(Payment.created_at.desc(), Payment.id.desc())
    )


def payments_of(session: orm.Session, user: User) -> list[Payment]:
    return list(session.scalars(payments_query(user)))
