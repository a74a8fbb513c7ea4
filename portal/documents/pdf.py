"""The PDFs the portal produces: the document they share, and LogMeIn's W-9, vendor and
regional forms (quotes and invoices: pdf_billing.py).

Pure functions of their arguments (and of today's date, unless `generated_on` says otherwise), so
the web app and the worker's activities can both call them without an application context.
They use fpdf2's core fonts, which only encode latin-1: every string goes through `latin1_safe`.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from portal import clock
from portal.config import VendorSettings

Amount = Decimal | int | float | str

# VendorSettings has no field for the federal tax classification; LogMeIn USA, Inc. is a
# corporation, and this is the only fact of the W-9 that is not configurable yet.
W9_TAX_CLASSIFICATION = "C Corporation"

# Certification of Form W-9, Part II (IRS text): what the vendor's signatory attests.
W9_CERTIFICATION = (
    "Under penalties of perjury, I certify that:",
    "1. The number shown on this form is my correct taxpayer identification number (or I am "
    "waiting for a number to be issued to me); and",
    "2. I am not subject to backup withholding because (a) I am exempt from backup withholding, "
    "or (b) I have not been notified by the Internal Revenue Service (IRS) that I am subject to "
    "backup withholding as a result of a failure to report all interest or dividends, or (c) the "
    "IRS has notified me that I am no longer subject to backup withholding; and",
    "3. I am a U.S. citizen or other U.S. person; and",
    "4. The FATCA code(s) entered on this form (if any) indicating that I am exempt from FATCA "
    "reporting is correct.",
)

# Typographic characters people paste (and French text uses) that latin-1 lacks but that have
# an obvious plain equivalent; anything else outside latin-1 is decomposed or becomes "?".
_REPLACEMENTS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": ",",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "*",
    "\u20ac": "EUR",
    "\u2122": "(TM)",
    "\u0152": "OE",
    "\u0153": "oe",
    "\u0141": "L",
    "\u0142": "l",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\t": "    ",
}


def latin1_safe(text: Any) -> str:
    """`text` as a string the core fonts can encode: no character fpdf2 would refuse."""
    out: list[str] = []
    for char in str(text).replace("\r\n", "\n").replace("\r", "\n"):
        if char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        elif char == "\n" or (ord(char) < 256 and unicodedata.category(char) != "Cc"):
            out.append(char)
        elif unicodedata.category(char) == "Cc":
            continue  # control characters would only garble the page
        else:
            # "ź" -> "z": keep the base letter of an accented character latin-1 lacks.
            base = "".join(
                part
                for part in unicodedata.normalize("NFKD", char)
                if ord(part) < 256 and not unicodedata.combining(part)
            )
            out.append(base or "?")
    return "".join(out)


def as_decimal(value: Amount | None) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def format_money(value: Amount | None, currency: str) -> str:
    """1234.5 -> "1,234.50 USD": the currency code, not a symbol, so any currency fits latin-1."""
    return f"{as_decimal(value):,.2f} {currency}"


class Document(FPDF):
    """A page layout shared by every portal PDF: title block, then a footer dated and numbered."""

    def __init__(self, title: str, generated_on: date, page_format: str = "A4") -> None:
        super().__init__(orientation="P", unit="mm", format=page_format)
        self.doc_title = latin1_safe(title)
        self.generated_on = generated_on
        self.set_title(self.doc_title)
        self.set_author("LogMeIn Corporate Billing Portal")
        self.set_creator("LogMeIn Corporate Billing Portal")
        # The creation date follows the generation date, so the same inputs give the same bytes.
        self.set_creation_date(
            datetime(generated_on.year, generated_on.month, generated_on.day, tzinfo=UTC)
        )
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(18, 18, 18)
        self.add_page()
        self.set_font("Helvetica", "B", 16)
        self.multi_cell(0, 8, self.doc_title, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", "", 9)
        self.cell(
            0,
            6,
            f"Generated on {generated_on.isoformat()}",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", "", 8)
        self.cell(
            0,
            6,
            f"{self.doc_title} - generated on {self.generated_on.isoformat()} - "
            f"page {self.page_no()}/{{nb}}",
            align=Align.C,
        )

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font("Helvetica", "B", 12)
        self.multi_cell(0, 7, latin1_safe(text), align=Align.L, new_x=XPos.LMARGIN)
        self.set_font("Helvetica", "", 10)

    def paragraph(self, text: str, size: float = 10) -> None:
        self.set_font("Helvetica", "", size)
        self.multi_cell(0, 5, latin1_safe(text), align=Align.L, new_x=XPos.LMARGIN)
        self.ln(1)

    def field(self, label: str, value: Any) -> None:
        """One labelled fact: the label in bold on its own column, the value wrapping beside it."""
        self.set_font("Helvetica", "B", 10)
        self.cell(55, 6, latin1_safe(label))
        self.set_font("Helvetica", "", 10)
        self.multi_cell(0, 6, latin1_safe(value) or "-", align=Align.L, new_x=XPos.LMARGIN)

    def render(self) -> bytes:
        return bytes(self.output())


def generated_date(generated_on: date | None) -> date:
    return generated_on or clock.now().date()


def _vendor_facts(pdf: Document, vendor: VendorSettings) -> None:
    pdf.field("Legal name", vendor.name)
    pdf.field("Taxpayer ID (EIN)", vendor.tin)
    pdf.field("Address", vendor.address)
    pdf.field("Remit to", vendor.remit_to)
    pdf.field("Contact e-mail", vendor.email)


def render_w9(
    vendor: VendorSettings, requested_for: str, *, generated_on: date | None = None
) -> bytes:
    """Form W-9 of the vendor (LogMeIn USA, Inc.): its own tax facts, for a customer's records."""
    today = generated_date(generated_on)
    pdf = Document(
        "Form W-9 - Request for Taxpayer Identification Number and Certification",
        today,
        page_format="Letter",
    )
    pdf.paragraph(
        f"This form states the taxpayer information of {vendor.name}, the vendor, as kept in "
        "its own records. It is provided to its customer for the customer's files; it does not "
        "ask the customer for any information.",
        size=9,
    )
    pdf.heading("Payee (vendor) information")
    pdf.field("1. Name", vendor.name)
    pdf.field("2. Business name", "-")
    pdf.field("3. Tax classification", W9_TAX_CLASSIFICATION)
    pdf.field("5-6. Address", vendor.address)
    pdf.field("Requester's name", requested_for)
    pdf.heading("Part I - Taxpayer Identification Number (TIN)")
    pdf.field("Employer ID number", vendor.tin)
    pdf.heading("Part II - Certification")
    for line in W9_CERTIFICATION:
        pdf.paragraph(line, size=9)
    pdf.ln(2)
    pdf.field("Signature of U.S. person", f"Authorized signatory of {vendor.name}")
    pdf.field("Date", today.isoformat())
    pdf.ln(4)
    pdf.paragraph(f"Questions about this form: {vendor.email}", size=9)
    return pdf.render()


def render_vendor_form(
    vendor: VendorSettings, account_name: str, details: str, *, generated_on: date | None = None
) -> bytes:
    """Vendor-registration form: LogMeIn's details as a supplier, for the customer's records."""
    pdf = Document(f"Vendor registration form - {vendor.name}", generated_date(generated_on))
    return _vendor_and_customer(pdf, vendor, account_name, details)


def render_regional_form(
    vendor: VendorSettings,
    account_name: str,
    region: str,
    details: str,
    *,
    generated_on: date | None = None,
) -> bytes:
    """A regional vendor form, titled for its region."""
    pdf = Document(f"Regional vendor form - {region}", generated_date(generated_on))
    pdf.field("Region", region)
    return _vendor_and_customer(pdf, vendor, account_name, details)


def _vendor_and_customer(
    pdf: Document, vendor: VendorSettings, account: str, details: str
) -> bytes:
    """What every vendor form states: LogMeIn as the supplier, then the customer's request."""
    pdf.heading("Vendor (supplier) details")
    _vendor_facts(pdf, vendor)
    pdf.heading("Customer")
    pdf.field("Account", account)
    pdf.field("Details requested", details)
    return pdf.render()
