"""The typed SQLAlchemy models, by feature; every one is importable from here."""

from portal.models.accounts import Account, ApiToken, Invitation, LoginAttempt, User
from portal.models.billing import Invoice, InvoiceLine, PaymentMethod, Subscription
from portal.models.purchasing import (
    Plan,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderRevision,
    Quote,
)
from portal.models.requests import AuditEntry, BillingRequest, Document, OutboxMessage
from portal.models.types import Money, UtcDateTime

__all__ = [
    "Account",
    "ApiToken",
    "AuditEntry",
    "BillingRequest",
    "Document",
    "Invitation",
    "Invoice",
    "InvoiceLine",
    "LoginAttempt",
    "Money",
    "OutboxMessage",
    "PaymentMethod",
    "Plan",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderRevision",
    "Quote",
    "Subscription",
    "User",
    "UtcDateTime",
]
