"""A statement's PDF, from the invoice as stored, in its reader's language."""

from __future__ import annotations

from portal.documents.pdf_billing import render_invoice
from portal.models import Invoice


def invoice_pdf(invoice: Invoice, language: str | None = None) -> bytes:
    """`language`: the reader's (a page: the page's); None keeps the language of the moment."""
    return render_invoice(
        invoice.number,
        invoice.account.name,
        invoice.issued_on,
        invoice.due_on,
        invoice.status,
        [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.amount,
            }
            for line in invoice.lines
        ],
        invoice.subtotal,
        invoice.tax,
        invoice.total,
        invoice.currency,
        invoice.purchase_order.current.po_number if invoice.purchase_order else None,
        language=language,
    )
