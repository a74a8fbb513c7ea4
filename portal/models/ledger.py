"""The ledger beside the invoices: credit as append-only balance transactions, every call to
the payment processor, idempotency keys of billing writes, and the number sequences."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.db import Base
from portal.models.types import Money, UtcDateTime

if TYPE_CHECKING:
    from portal.models.billing import Invoice


class BalanceTransaction(Base):
    """A change of an account's credit: positive adds (a prorated reduction), negative spends
    it (applied to an invoice). The credit is their sum; rows are never updated."""

    __tablename__ = "balance_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3))
    kind: Mapped[str] = mapped_column(sa.String(30))  # "proration_credit", "applied_to_invoice"
    invoice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoices.id"))
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)


class Payment(Base):
    """One call to the payment processor, whatever it answered."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoices.id"))
    kind: Mapped[str] = mapped_column(sa.String(10), default="charge")  # "charge", "refund"
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(10))  # "succeeded", "declined"
    decline_code: Mapped[str] = mapped_column(sa.String(40), default="")
    reference: Mapped[str] = mapped_column(sa.String(60), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

    invoice: Mapped[Invoice | None] = orm.relationship()


class IdempotencyKey(Base):
    """A billing write's key: the same key and body answer the first answer again."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(100))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    # None while the write runs; then its answer, kept.
    status: Mapped[int | None]
    body: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)


class NumberSequence(Base):
    """A counter that hands out numbers no two writers can share (invoice numbers)."""

    __tablename__ = "number_sequences"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)
