"""The database: accounts and people, purchase orders, invoices, and the requests' read model."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.db import Base
from workflows.lifecycle import STAFF_ROLES, Role


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


Money = sa.Numeric(12, 2)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    country: Mapped[str] = mapped_column(sa.String(2))
    kind: Mapped[str] = mapped_column(sa.String(20), default="corporate")
    billing_frequency: Mapped[str] = mapped_column(sa.String(20), default="annual")
    next_renewal: Mapped[date | None]
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    # Credits from prorated reductions, used before the card is charged.
    credit_balance: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")
    billing_contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", use_alter=True, ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

    billing_contact: Mapped[User | None] = orm.relationship(foreign_keys=[billing_contact_id])
    users: Mapped[list[User]] = orm.relationship(
        back_populates="account", foreign_keys="User.account_id"
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    language: Mapped[str] = mapped_column(sa.String(5), default="en")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

    account: Mapped[Account | None] = orm.relationship(
        back_populates="users", foreign_keys=[account_id]
    )

    # Flask-Login's protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_billing_contact(self) -> bool:
        return self.role == Role.BILLING_CONTACT


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)

    user: Mapped[User] = orm.relationship()


class PurchaseOrder(Base):
    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

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


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    issued_on: Mapped[date]
    due_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Money)  # the total, tax included
    subtotal: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")
    tax: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    kind: Mapped[str] = mapped_column(sa.String(20), default="renewal", server_default="renewal")
    purchase_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("purchase_orders.id"))

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


class BillingRequest(Base):
    """Read model of one request's workflow: the workflow is the truth, activities keep this."""

    __tablename__ = "requests"
    __table_args__ = (
        sa.UniqueConstraint("requester_id", "idempotency_key"),
        sa.Index("ix_requests_queue", "status", "created_at"),
        sa.Index("ix_requests_account_created", "account_id", "created_at"),
        # Ids are never reused on SQLite either: a workflow id names one request forever.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(sa.String(30), index=True)
    status: Mapped[str] = mapped_column(sa.String(30), default="submitted")
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    escalated: Mapped[bool] = mapped_column(default=False)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(100))
    timeline: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

    account: Mapped[Account] = orm.relationship()
    requester: Mapped[User] = orm.relationship(foreign_keys=[requester_id])
    assignee: Mapped[User | None] = orm.relationship(foreign_keys=[assignee_id])


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("requests.id"))
    action: Mapped[str] = mapped_column(sa.String(60))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class OutboxMessage(Base):
    """A notification waiting to be sent; delivery (SMTP) reads from here."""

    __tablename__ = "outbox"
    __table_args__ = (sa.UniqueConstraint("dedup_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    recipient_email: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # Activity retries must not queue a mail twice.
    dedup_key: Mapped[str] = mapped_column(sa.String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Plan(Base):
    """A price-list entry: a product at a tier, priced per seat per year."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
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
    discount_pct: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal("0"))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3))
    valid_until: Mapped[date]
    po_number: Mapped[str | None] = mapped_column(sa.String(64))
    purchase_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("purchase_orders.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)


class Document(Base):
    """A file the portal produced or received (form PDFs, quote PDFs, answers' attachments)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("requests.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100), default="application/pdf")
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # A retried activity must not store the same document twice.
    dedup_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)


class Invitation(Base):
    """A one-time link for a new billing contact to choose a password."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("requests.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = orm.relationship()


class Subscription(Base):
    """A plan held by an account: usable while active or pending cancellation."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id"))
    seats: Mapped[int]
    period: Mapped[str] = mapped_column(sa.String(10))  # "monthly" or "annual"
    period_start: Mapped[date]
    next_billing_date: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(30), default="active")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

    plan: Mapped[Plan] = orm.relationship()


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


class LoginAttempt(Base):
    """A failed sign-in, counted by the sign-in throttle (portal/throttle.py) for a while.

    The e-mail is kept only as a keyed digest: people type passwords into the e-mail field."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_email_at", "email_digest", "at"),
        sa.Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email_digest: Mapped[str] = mapped_column(sa.String(64))
    address: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now, index=True)
