"""The PDFs themselves: the W-9, the vendor and regional forms, a quote, text beyond Latin-1."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal import clock
from portal.documents import pdf, pdf_billing
from tests.documents.support import VENDOR
from tests.documents.support_text import reads

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


def english_day(day: date) -> str:
    with pdf.in_language("en"):
        return pdf.day(day)


def test_w9_states_the_vendors_own_configured_facts() -> None:
    text = reads(pdf.render_w9(VENDOR, "Acme Corporation", generated_on=date(2026, 3, 2)))
    assert "Form W-9" in text
    for fact in (VENDOR.name, VENDOR.tin, VENDOR.address, "C Corporation", "Acme Corporation"):
        assert fact in text
    assert "Under penalties of perjury" in text
    assert "Generated on March 2, 2026" in text
    assert "page 1 of 1" in text


def test_vendor_form_has_vendor_details_and_the_customers() -> None:
    data = pdf.render_vendor_form(VENDOR, "Globex SARL", "Fiche fournisseur pour la compta")
    text = reads(data)
    assert f"Vendor registration form - {VENDOR.name}" in text
    for fact in (VENDOR.name, VENDOR.tin, VENDOR.address, VENDOR.email, "Lockbox 1234"):
        assert fact in text
    assert "Globex SARL" in text
    assert "Fiche fournisseur pour la compta" in text
    assert f"Generated on {english_day(clock.today())}" in text


def test_regional_form_is_titled_for_its_region() -> None:
    data = pdf.render_regional_form(VENDOR, "Globex SARL", "EMEA (France)", "Formulaire DGFiP")
    text = reads(data)
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
        language="en",
    )
    text = reads(data)
    assert "Quote Q-42" in text and "Acme Corporation" in text
    for shown in ("GoToMeeting Business", "$192.00", "$1,920.00", "$2,376.00"):
        assert shown in text
    assert "Subtotal $4,296.00" in text and "Discount (10%) -$429.60" in text
    assert "Total $3,866.40" in text
    assert "valid until May 1, 2026" in text


def test_names_beyond_latin1_print_as_written() -> None:
    data = pdf.render_regional_form(
        VENDOR,
        "Łukasz Żółć",
        "Polska \u2014 \u0141\u00f3d\u017a",
        "Faktura \u201cQ3\u201d \u2013 10 \u20ac, \u00c6sir \u0152uvre, "
        "\u0391\u03b8\u03ae\u03bd\u03b1 \u041c\u0438\u0440",
    )
    text = reads(data)
    assert "Łukasz Żółć" in text
    assert "Regional vendor form - Polska \u2014 Łódź" in text
    # Typographic quotes and dashes, the euro, "Œ", Greek and Cyrillic, as typed.
    assert "Faktura \u201cQ3\u201d \u2013 10 €, Æsir Œuvre, Αθήνα Мир" in text


def test_cjk_names_print_through_the_fallback_font() -> None:
    data = pdf_billing.render_invoice(
        "INV-7",
        "東京商事株式会社",
        date(2027, 3, 10),
        date(2027, 4, 9),
        "open",
        [{"description": "GoToMeeting 会議室", "quantity": 1, "unit_price": 5, "amount": 5}],
        5,
        0,
        5,
        "JPY",
        language="en",
    )
    text = reads(data)
    assert "東京商事株式会社" in text and "GoToMeeting 会議室" in text


def test_what_no_font_has_shows_as_a_mark_and_controls_are_dropped() -> None:
    text = reads(pdf.render_vendor_form(VENDOR, "Acme\x07 Corp\x1b 🙂", "line\r\nbreak"))
    assert "Acme Corp ?" in text
    assert "\x07" not in text and "\x1b" not in text
    assert "line break" in text
