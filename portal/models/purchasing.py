"""What a Corporate account buys: the price list, quotes, purchase orders and their revisions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.db import Base
from portal.models.types import Money, Percent, UtcDateTime


class Plan(Base):
    """A price-list entry: a product at a tier, priced per seat per year in one currency."""

    __tablename__ = "plans"
    # One price list per currency: a plan's name once in each.
    __table_args__ = (sa.UniqueConstraint("name", "currency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    product: Mapped[str] = mapped_column(sa.String(60))
    tier: Mapped[str] = mapped_column(sa.String(40))
    tier_rank: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    active: Mapped[bool] = mapped_column(default=True)


class Quote(Base):
    """A priced quote; its request's workflow decides when it is accepted, declined or expired."""

    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("requests.id"), unique=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    term_months: Mapped[int]
    discount_pct: Mapped[Decimal] = mapped_column(Percent, default=Decimal("0"))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3))
    valid_until: Mapped[date]
    po_number: Mapped[str | None] = mapped_column(sa.String(64))
    purchase_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("purchase_orders.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    # Moved by every write to the order, a new revision included (its apply locks this row
    # with an UPDATE): what `?updated_since=` lists.
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, default=clock.now, onupdate=clock.now, index=True
    )

    revisions: Mapped[list[PurchaseOrderRevision]] = orm.relationship(
        back_populates="purchase_order", order_by="PurchaseOrderRevision.number"
    )

    @property
    def current(self) -> PurchaseOrderRevision:
        return self.revisions[-1]


class PurchaseOrderRevision(Base):
    """An immutable version of a purchase order; an approved edit adds one, never rewrites one."""

    __tablename__ = "purchase_order_revisions"
    __table_args__ = (sa.UniqueConstraint("purchase_order_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_orders.id"))
    number: Mapped[int]
    po_number: Mapped[str] = mapped_column(sa.String(64))
    bill_to: Mapped[str] = mapped_column(sa.Text)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    # The request whose approval produced this revision: unique, so it is applied once.
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("requests.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

    purchase_order: Mapped[PurchaseOrder] = orm.relationship(back_populates="revisions")
    lines: Mapped[list[PurchaseOrderLine]] = orm.relationship(
        back_populates="revision",
        order_by="PurchaseOrderLine.line_no",
        cascade="all, delete-orphan",
    )

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0"))


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("purchase_order_revisions.id"), index=True
    )
    line_no: Mapped[int]
    product: Mapped[str] = mapped_column(sa.String(200))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Money)

    revision: Mapped[PurchaseOrderRevision] = orm.relationship(back_populates="lines")

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity
