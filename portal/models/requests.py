"""Billing requests (the workflows' read model), their audit trail, documents, the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.db import Base
from portal.models.types import UtcDateTime

if TYPE_CHECKING:
    from portal.models.accounts import Account, User


class BillingRequest(Base):
    """Read model of one request's workflow: the workflow is the truth, activities keep this."""

    __tablename__ = "requests"
    __table_args__ = (
        sa.UniqueConstraint("requester_id", "idempotency_key"),
        sa.Index("ix_requests_queue", "status", "created_at"),
        # The queue's pages, oldest first: read in this order and stopped after a page, where
        # `status NOT IN (settled)` alone would sort every open request for each page.
        sa.Index("ix_requests_submission_order", "created_at", "id"),
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
    # What the change replaces (and was expected to make), read when it was submitted: the
    # pages show it as it was, whatever changed since. None: submitted before it was kept.
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    escalated: Mapped[bool] = mapped_column(default=False)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(100))
    # What was sent under the key (type and payload): the same key with another body is a 409.
    idempotency_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))
    timeline: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now, index=True)

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
