"""The typed SQLAlchemy models, by feature; every one is importable from here."""

from portal.models.accounts import (
    Account,
    ApiToken,
    Invitation,
    LoginAttempt,
    PasswordReset,
    RecoveryCode,
    SignInLock,
    User,
    UserSession,
)
from portal.models.billing import Invoice, InvoiceLine, PaymentMethod, Subscription
from portal.models.ledger import BalanceTransaction, IdempotencyKey, NumberSequence, Payment
from portal.models.purchasing import (
    Plan,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderRevision,
    Quote,
)
from portal.models.requests import AuditEntry, BillingRequest, Document, OutboxMessage
from portal.models.types import Exact, Money, Percent, UtcDateTime
from portal.models.webhooks import WebhookDelivery, WebhookEndpoint

__all__ = [
    "Account",
    "ApiToken",
    "AuditEntry",
    "BalanceTransaction",
    "BillingRequest",
    "Document",
    "Exact",
    "IdempotencyKey",
    "Invitation",
    "Invoice",
    "InvoiceLine",
    "LoginAttempt",
    "Money",
    "NumberSequence",
    "OutboxMessage",
    "PasswordReset",
    "Payment",
    "PaymentMethod",
    "Percent",
    "Plan",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderRevision",
    "Quote",
    "RecoveryCode",
    "SignInLock",
    "Subscription",
    "User",
    "UserSession",
    "UtcDateTime",
    "WebhookDelivery",
    "WebhookEndpoint",
]
