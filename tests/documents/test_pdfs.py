"""The PDFs themselves: the W-9, the vendor and regional forms, a quote, text beyond Latin-1."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal import clock
from portal.documents import pdf, pdf_billing
from tests.documents.support import VENDOR
from tests.pdfs import pdf_text

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


def test_w9_states_the_vendors_own_configured_facts() -> None:
    data = pdf.render_w9(VENDOR, "Acme Corporation", generated_on=date(2026, 3, 2))
    text = pdf_text(data)
    assert "Form W-9" in text
    for fact in (VENDOR.name, VENDOR.tin, VENDOR.address, "C Corporation", "Acme Corporation"):
        assert fact in text
    assert "Under penalties of perjury" in text
    assert "Generated on 2026-03-02" in text


def test_vendor_form_has_vendor_details_and_the_customers() -> None:
    data = pdf.render_vendor_form(VENDOR, "Globex SARL", "Fiche fournisseur pour la compta")
    text = pdf_text(data)
    assert "Vendor registration form" in text
    for fact in (VENDOR.name, VENDOR.tin, VENDOR.address, VENDOR.email, "Lockbox 1234"):
        assert fact in text
    assert "Globex SARL" in text
    assert "Fiche fournisseur pour la compta" in text
    assert f"Generated on {clock.today().isoformat()}" in text


def test_regional_form_is_titled_for_its_region() -> None:
    data = pdf.render_regional_form(VENDOR, "Globex SARL", "EMEA (France)", "Formulaire DGFiP")
    text = pdf_text(data)
    assert "Regional vendor form - EMEA (France)" in text
    assert VENDOR.name in text and VENDOR.tin in text
    assert "Formulaire DGFiP" in text


def test_quote_has_lines_totals_and_validity() -> None:
    lines = [
        {"product": "GoToMeeting Business", "seats": 10, "unit_price": "192.00", "amount": "1920"},
        {"product": "GoToWebinar Pro", "seats": 2, "unit_price": Decimal("1188.00")},
    ]
    data = pdf_billing.render_quote(
        lines,
        "USD",
        Decimal("4296.00"),
        Decimal("10"),
        Decimal("3866.40"),
        date(2026, 5, 1),
        "Acme Corporation",
        "Q-42",
    )
    text = pdf_text(data)
    assert "Quote Q-42" in text and "Acme Corporation" in text
    for shown in ("GoToMeeting Business", "192.00 USD", "1,920.00 USD", "2,376.00 USD"):
        assert shown in text
    assert "4,296.00 USD" in text and "-429.60 USD" in text and "3,866.40 USD" in text
    assert "2026-05-01" in text


def test_text_beyond_latin1_is_made_printable_not_refused() -> None:
    typographic = "Chlo\u00e9 \u201cZ\u00fcrich\u201d \u2013 10 \u20ac \U0001f642"
    assert pdf.latin1_safe(typographic) == 'Chlo\u00e9 "Z\u00fcrich" - 10 EUR ?'
    data = pdf.render_regional_form(
        VENDOR, "Łódź Sp. z o.o.", "Polska \u2014 \u0141\u00f3d\u017a", "Faktura 🙂"
    )
    text = pdf_text(data)
    assert "Lódz Sp. z o.o." in text
    assert "Regional vendor form - Polska - Lódz" in text
