"""The PDFs the portal produces: the document they share, and LogMeIn's W-9, vendor and
regional forms (quotes and invoices: pdf_billing.py).

Pure functions of their arguments (and of today's date, unless `generated_on` says otherwise), so
the web app and the worker's activities can both call them without an application context.
Each is written in its reader's `language` (their texts, statuses, amounts and dates); None
keeps the language of the moment (the page's, in a request). Set in Unicode fonts (fonts.py),
so names and amounts print as they are written ("Łukasz", "東京", "1 234,50 €").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_decimal, format_percent
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from portal import clock
from portal.config import VendorSettings
from portal.documents.fonts import FAMILY, add_fonts, printable
from portal.i18n import _, active_locale, format_day, format_iso_day, format_money, translated
from portal.notifications.catalogs import language_of, translations_for

Amount = Decimal | int | float | str

# VendorSettings has no field for the federal tax classification; LogMeIn USA, Inc. is a
# corporation, and this is the only fact of the W-9 that is not configurable yet.
W9_TAX_CLASSIFICATION = "C Corporation"

# Certification of Form W-9, Part II (IRS text): what the vendor's signatory attests. It stays
# in English in every language: it is the IRS's wording, which a translation would not be.
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


@contextmanager
def in_language(language: str | None) -> Iterator[None]:
    """Everything rendered inside is in `language` ("fr", "fr-FR"…; unknown: English), as mails
    are in their recipient's (portal.notifications); None keeps the language of the moment."""
    if language is None:
        yield
        return
    chosen = language_of(language)
    with translated(translations_for(chosen), chosen):
        yield


def as_decimal(value: Amount | None) -> Decimal:
    try:
        return Decimal(str(value)) if value is not None else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def money(value: Amount | None, currency: str) -> str:
    """An amount as the reader writes it: "$1,920.00", "1 920,00 €"."""
    return format_money(as_decimal(value), currency)


def quantity(value: Any) -> str:
    """A count (seats, a quantity) as the reader writes it: "1,200", "1 200"."""
    try:
        return str(format_decimal(Decimal(str(value)), locale=active_locale()))
    except (InvalidOperation, ValueError):
        return str(value)


def percent(value: Decimal) -> str:
    """A percentage (12.5 for 12.5 %) as the reader writes it: "12.5%", "12,5 %"."""
    # Unquantized: the locale's pattern (its "%" spacing) without rounding 12.5 to 13.
    share = value / 100
    return str(format_percent(share, locale=active_locale(), decimal_quantization=False))


def day(value: date | str | None) -> str:
    """A date (or a stored ISO date) as the reader writes it: "May 1, 2026", "1 mai 2026"."""
    return format_day(value) if isinstance(value, date) else format_iso_day(value)


LABEL_WIDTH = 55  # mm: the column of a field's labels


class Document(FPDF):
    """A page layout shared by every portal PDF: title block, then a footer dated and numbered."""

    def __init__(self, title: str, generated_on: date, page_format: str = "A4") -> None:
        super().__init__(orientation="P", unit="mm", format=page_format)
        add_fonts(self)
        self.doc_title = self.shown(title)
        self.generated_on = generated_on
        self.set_title(self.doc_title)
        self.set_author("LogMeIn Corporate Billing Portal")
        self.set_creator("LogMeIn Corporate Billing Portal")
        self.set_lang(active_locale())  # what screen readers read the text as
        # The creation date follows the generation date, so the same inputs give the same bytes.
        self.set_creation_date(
            datetime(generated_on.year, generated_on.month, generated_on.day, tzinfo=UTC)
        )
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(18, 18, 18)
        self.add_page()
        self.set_font(FAMILY, "B", 16)
        self.multi_cell(0, 8, self.doc_title, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FAMILY, "", 9)
        generated = _("Generated on %(date)s", date=format_day(generated_on))
        self.cell(0, 6, self.shown(generated), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(4)

    def shown(self, text: Any) -> str:
        """`text` as this document's fonts print it (fonts.printable)."""
        return printable(self, text)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FAMILY, "", 8)
        # fpdf2 replaces "{nb}" with the page count once every page is known.
        footer = _(
            "%(title)s - generated on %(date)s - page %(page)s of %(pages)s",
            title=self.doc_title,
            date=format_day(self.generated_on),
            page=self.page_no(),
            pages="{nb}",
        )
        self.cell(0, 6, self.shown(footer), align=Align.C)

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FAMILY, "B", 12)
        self.multi_cell(0, 7, self.shown(text), align=Align.L, new_x=XPos.LMARGIN)
        self.set_font(FAMILY, "", 10)

    def paragraph(self, text: str, size: float = 10) -> None:
        self.set_font(FAMILY, "", size)
        self.multi_cell(0, 5, self.shown(text), align=Align.L, new_x=XPos.LMARGIN)
        self.ln(1)

    def field(self, label: str, value: Any) -> None:
        """One labelled fact: the label in bold on its own column, the value wrapping beside it."""
        shown_label = self.shown(label)
        # Labels run longer in French: a long one is set smaller to keep to its column.
        size = 10.0
        self.set_font(FAMILY, "B", size)
        while size > 7 and self.get_string_width(shown_label) > LABEL_WIDTH - 2:
            size -= 0.5
            self.set_font(FAMILY, "B", size)
        self.cell(LABEL_WIDTH, 6, shown_label)
        self.set_font(FAMILY, "", 10)
        self.multi_cell(0, 6, self.shown(value) or "-", align=Align.L, new_x=XPos.LMARGIN)

    def render(self) -> bytes:
        return bytes(self.output())


def generated_date(generated_on: date | None) -> date:
    return generated_on or clock.now().date()


def _vendor_facts(pdf: Document, vendor: VendorSettings) -> None:
    pdf.field(_("Legal name"), vendor.name)
    pdf.field(_("Taxpayer ID (EIN)"), vendor.tin)
    pdf.field(_("Address"), vendor.address)
    pdf.field(_("Remit to"), vendor.remit_to)
    pdf.field(_("Contact e-mail"), vendor.email)


def render_w9(
    vendor: VendorSettings,
    requested_for: str,
    *,
    generated_on: date | None = None,
    language: str | None = None,
) -> bytes:
    """Form W-9 of the vendor (LogMeIn USA, Inc.): its own tax facts, for a customer's records.

    The form's own wording (its title, numbered lines, parts and certification) is the IRS's
    and stays in English; the portal's explanations around it are in the reader's language."""
    with in_language(language):
        today = generated_date(generated_on)
        pdf = Document(
            "Form W-9 - Request for Taxpayer Identification Number and Certification",
            today,
            page_format="Letter",
        )
        pdf.paragraph(
            _(
                "This form states the taxpayer information of %(vendor)s, the vendor, as kept "
                "in its own records. It is provided to its customer for the customer's files; "
                "it does not ask the customer for any information. The form itself is the "
                "IRS's, in English.",
                vendor=vendor.name,
            ),
            size=9,
        )
        pdf.heading(_("Payee (vendor) information"))
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
        pdf.field("Date", format_day(today))
        pdf.ln(4)
        pdf.paragraph(_("Questions about this form: %(email)s", email=vendor.email), size=9)
        return pdf.render()


def render_vendor_form(
    vendor: VendorSettings,
    account_name: str,
    details: str,
    *,
    generated_on: date | None = None,
    language: str | None = None,
) -> bytes:
    """Vendor-registration form: LogMeIn's details as a supplier, for the customer's records."""
    with in_language(language):
        title = _("Vendor registration form - %(vendor)s", vendor=vendor.name)
        pdf = Document(title, generated_date(generated_on))
        return _vendor_and_customer(pdf, vendor, account_name, details)


def render_regional_form(
    vendor: VendorSettings,
    account_name: str,
    region: str,
    details: str,
    *,
    generated_on: date | None = None,
    language: str | None = None,
) -> bytes:
    """A regional vendor form, titled for its region."""
    with in_language(language):
        title = _("Regional vendor form - %(region)s", region=region)
        pdf = Document(title, generated_date(generated_on))
        pdf.field(_("Region"), region)
        return _vendor_and_customer(pdf, vendor, account_name, details)


def _vendor_and_customer(
    pdf: Document, vendor: VendorSettings, account: str, details: str
) -> bytes:
    """What every vendor form states: LogMeIn as the supplier, then the customer's request."""
    pdf.heading(_("Vendor (supplier) details"))
    _vendor_facts(pdf, vendor)
    pdf.heading(_("Customer"))
    pdf.field(_("Account"), account)
    pdf.field(_("Details requested"), details)
    return pdf.render()
