"""Account inquiries: an invoice question or a contract-copy request, answered by a
technician (the approval's comment), with an optional PDF attachment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal.billing_requests.kinds.fields import FieldErrors
from portal.config import Settings
from portal.errors import ValidationFailed
from portal.i18n import _l
from portal.models import Document, Invoice
from portal.purchase_orders.operations import FieldChange
from workflows.messages import ChangeInput

if TYPE_CHECKING:
    from portal.models import BillingRequest

TOPICS = ("invoice_question", "contract_copy")
TOPIC_LABELS = {"invoice_question": _l("Invoice question"), "contract_copy": _l("Contract copy")}


def validate_inquiry(
    session: orm.Session, account_id: int, payload: dict[str, Any]
) -> dict[str, Any]:
    errors = FieldErrors()
    topic = errors.choice(payload, "topic", TOPICS)
    message = errors.text(payload, "message", 2000)
    invoice_id = payload.get("invoice_id")
    if invoice_id is not None or topic == "invoice_question":
        invoice = session.get(Invoice, invoice_id) if isinstance(invoice_id, int) else None
        if invoice is None or invoice.account_id != account_id:
            errors.add("invoice_id", _l("Choose one of your invoices."))
    errors.raise_if_any()
    return {"topic": topic, "invoice_id": invoice_id, "message": message}


def describe_inquiry(session: orm.Session, payload: dict[str, Any]) -> list[FieldChange]:
    rows = [FieldChange(str(_l("Topic")), "", str(TOPIC_LABELS[payload["topic"]]))]
    if payload.get("invoice_id"):
        invoice = session.get(Invoice, payload["invoice_id"])
        rows.append(FieldChange(str(_l("Invoice")), "", invoice.number if invoice else "?"))
    rows.append(FieldChange(str(_l("Message")), "", payload["message"]))
    return rows


def check_approval(
    session: orm.Session, request: BillingRequest, comment: str, _pricing: dict[str, Any] | None
) -> None:
    if not comment.strip():
        raise ValidationFailed(
            str(_l("Write the answer for the customer.")),
            {"comment": str(_l("The answer is required."))},
        )


def answer_inquiry(
    session: orm.Session, change: ChangeInput, _settings: Settings
) -> dict[str, Any]:
    result: dict[str, Any] = {"answer": change.comment}
    if change.attachment_id is not None:
        document = session.get(Document, change.attachment_id)
        if document is not None and document.account_id == change.account_id:
            document.request_id = change.request_id
            result["document_id"] = document.id
    return result


def account_invoices(session: orm.Session, account_id: int) -> list[Invoice]:
    """The account's invoices, newest first: what an invoice question may be about."""
    query = (
        sa.select(Invoice)
        .where(Invoice.account_id == account_id)
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
    )
    return list(session.scalars(query))
