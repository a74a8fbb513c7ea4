"""The PDFs of money: a quote as the customer receives it, and an invoice's statement."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fpdf.enums import Align

from portal.documents.pdf import (
    Amount,
    Document,
    as_decimal,
    format_money,
    generated_date,
    latin1_safe,
)


def render_quote(
    quote_lines: list[dict[str, Any]],
    currency: str,
    subtotal: Amount,
    discount_pct: Amount,
    total: Amount,
    valid_until: date | str,
    account_name: str,
    quote_number: str,
    *,
    generated_on: date | None = None,
) -> bytes:
    """A priced quote: its lines (product, seats, unit price, amount), totals and validity."""
    pdf = Document(f"Quote {quote_number}", generated_date(generated_on))
    pdf.field("Customer", account_name)
    pdf.field("Quote number", quote_number)
    valid = valid_until.isoformat() if isinstance(valid_until, date) else str(valid_until)
    pdf.field("Valid until", valid)
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 10)
    with pdf.table(
        col_widths=(84, 20, 35, 35),
        text_align=(Align.L, Align.R, Align.R, Align.R),
        line_height=7,
    ) as table:
        heading = table.row()
        for title in ("Product", "Seats", "Unit price", "Amount"):
            heading.cell(title)
        for line in quote_lines:
            row = table.row()
            for cell in _quote_row(line, currency):
                row.cell(cell)
    pdf.ln(3)
    discount = as_decimal(discount_pct)
    pdf.field("Subtotal", format_money(subtotal, currency))
    if discount:
        # The discount's amount is what separates the stated totals, so the page adds up.
        pdf.field(
            f"Discount ({discount.normalize():f}%)",
            "-" + format_money(as_decimal(subtotal) - as_decimal(total), currency),
        )
    pdf.field("Total", format_money(total, currency))
    pdf.ln(3)
    pdf.paragraph(f"This quote is valid until {valid}.", size=9)
    return pdf.render()


def _quote_row(line: Mapping[str, Any], currency: str) -> tuple[str, str, str, str]:
    seats = line.get("seats", line.get("quantity", 0))
    unit_price = as_decimal(line.get("unit_price"))
    amount = line.get("amount")
    if amount is None:
        amount = unit_price * as_decimal(seats)
    return (
        latin1_safe(line.get("product", "")),
        latin1_safe(seats),
        format_money(unit_price, currency),
        format_money(amount, currency),
    )


def render_invoice(
    number: str,
    account_name: str,
    issued_on: date,
    due_on: date,
    status: str,
    lines: list[dict[str, Any]],
    subtotal: Amount,
    tax: Amount,
    total: Amount,
    currency: str,
    po_number: str | None = None,
    *,
    generated_on: date | None = None,
) -> bytes:
    """A billing statement: lines (description, quantity, unit price, amount), tax and total."""
    pdf = Document(f"Statement {number}", generated_date(generated_on))
    pdf.field("Customer", account_name)
    pdf.field("Invoice number", number)
    pdf.field("Issued on", issued_on.isoformat())
    pdf.field("Due on", due_on.isoformat())
    pdf.field("Status", status)
    if po_number:
        pdf.field("PO number", po_number)
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 10)
    with pdf.table(
        col_widths=(84, 20, 35, 35), text_align=(Align.L, Align.R, Align.R, Align.R), line_height=7
    ) as table:
        heading = table.row()
        for title in ("Description", "Quantity", "Unit price", "Amount"):
            heading.cell(title)
        for line in lines:
            row = table.row()
            row.cell(latin1_safe(line["description"]))
            row.cell(latin1_safe(line["quantity"]))
            row.cell(format_money(line["unit_price"], currency))
            row.cell(format_money(line["amount"], currency))
    pdf.ln(3)
    pdf.field("Subtotal", format_money(subtotal, currency))
    pdf.field("Tax", format_money(tax, currency))
    pdf.field("Total", format_money(total, currency))
    return pdf.render()
