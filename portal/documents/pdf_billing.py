"""The PDFs of money: a quote as the customer receives it, and an invoice's statement, each in
its reader's language (pdf.py says how)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from fpdf.enums import Align

from portal.documents.fonts import FAMILY
from portal.documents.lines import line_description
from portal.documents.pdf import (
    Amount,
    Document,
    as_decimal,
    day,
    generated_date,
    in_language,
    money,
    percent,
    quantity,
)
from portal.i18n import _, _l

# An invoice's stored status -> what the statement says (the statement page's words).
INVOICE_STATUSES = {"paid": _l("Paid"), "open": _l("Open"), "void": _l("Void")}
_COLUMNS = (84, 20, 35, 35)
_ALIGN = (Align.L, Align.R, Align.R, Align.R)


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
    language: str | None = None,
) -> bytes:
    """A priced quote: its lines (product, seats, unit price, amount), totals and validity."""
    with in_language(language):
        pdf = Document(_("Quote %(number)s", number=quote_number), generated_date(generated_on))
        pdf.field(_("Customer"), account_name)
        pdf.field(_("Quote number"), quote_number)
        valid = day(valid_until)
        pdf.field(_("Valid until"), valid)
        pdf.ln(4)
        heading = (_("Product"), _("Seats"), _("Unit price"), _("Amount"))
        _table(pdf, heading, [_quote_row(line, currency) for line in quote_lines])
        pdf.ln(3)
        discount = as_decimal(discount_pct)
        pdf.field(_("Subtotal"), money(subtotal, currency))
        if discount:
            # The discount's amount is what separates the stated totals, so the page adds up.
            pdf.field(
                _("Discount (%(percent)s)", percent=percent(discount)),
                money(as_decimal(total) - as_decimal(subtotal), currency),
            )
        pdf.field(_("Total"), money(total, currency))
        pdf.ln(3)
        pdf.paragraph(_("This quote is valid until %(date)s.", date=valid), size=9)
        return pdf.render()


def _quote_row(line: Mapping[str, Any], currency: str) -> tuple[str, str, str, str]:
    seats = line.get("seats", line.get("quantity", 0))
    unit_price = as_decimal(line.get("unit_price"))
    amount = line.get("amount")
    if amount is None:
        amount = unit_price * as_decimal(seats)
    return (
        str(line.get("product", "")),
        quantity(seats),
        money(unit_price, currency),
        money(amount, currency),
    )


def _table(pdf: Document, heading: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Four columns, the first a text, the others right-aligned figures; headings in bold."""
    pdf.set_font(FAMILY, "", 10)
    with pdf.table(col_widths=_COLUMNS, text_align=_ALIGN, line_height=7) as table:
        for cells in (heading, *rows):
            row = table.row()
            for cell in cells:
                row.cell(pdf.shown(cell))


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
    language: str | None = None,
) -> bytes:
    """A billing statement: lines (description, quantity, unit price, amount), tax and total."""
    with in_language(language):
        pdf = Document(_("Statement %(number)s", number=number), generated_date(generated_on))
        pdf.field(_("Customer"), account_name)
        pdf.field(_("Invoice number"), number)
        pdf.field(_("Issued on"), day(issued_on))
        pdf.field(_("Due on"), day(due_on))
        pdf.field(_("Status"), INVOICE_STATUSES.get(status, status))
        if po_number:
            pdf.field(_("PO number"), po_number)
        pdf.ln(4)
        heading = (_("Description"), _("Quantity"), _("Unit price"), _("Amount"))
        rows = [
            (
                line_description(str(line["description"])),
                quantity(line["quantity"]),
                money(line["unit_price"], currency),
                money(line["amount"], currency),
            )
            for line in lines
        ]
        _table(pdf, heading, rows)
        pdf.ln(3)
        pdf.field(_("Subtotal"), money(subtotal, currency))
        pdf.field(_("Tax"), money(tax, currency))
        pdf.field(_("Total"), money(total, currency))
        return pdf.render()
