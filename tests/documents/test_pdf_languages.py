"""PDFs in their reader's language: statuses, amounts, dates and invoice lines' fixed words;
the pages serve them in the page's language, a produced form in its requester's."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from flask import Flask

from portal import clock
from portal.billing_requests.kinds.form_request import produce_form
from portal.db import Database
from portal.documents import lines, pdf, pdf_billing
from portal.models import Account, BillingRequest, Document, Invoice, User
from portal.notifications.catalogs import translations_for
from tests.documents.support import ALICE, CHLOE, VENDOR, account_id, headers, user_id
from tests.documents.support_text import reads
from tests.mail.support import new_request
from tests.pages.support import signed_in
from workflows.lifecycle import Actor
from workflows.messages import ChangeInput

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates

STORED_LINES = [  # as the billing centre stores them: 150.00 + 1,221.67 - 10 % = 1,234.50
    {"description": "GoToMeeting Business (monthly)", "unit_price": "150.00"},
    {"description": "GoToMeeting Business × 12 (prorated change)", "unit_price": "1221.67"},  # noqa: RUF001
    {"description": "Discount (10 %)", "unit_price": "-137.17"},
]
# The French of the line words this change brought, until the catalogue has them (the words a
# catalogue already has win: the layer below is the real catalogue).
LINE_WORDS_FR = {
    "prorated change": "modification au prorata",
    "%(product)s (monthly)": "%(product)s (mensuel)",
}


def statement(
    language: str, status: str = "paid", stored: list[dict[str, Any]] | None = None
) -> str:
    """The text of a statement of `stored` lines (by default STORED_LINES), one of each, as a
    reader of `language` sees it."""
    rows = [
        {**line, "quantity": 1, "amount": line["unit_price"]} for line in stored or STORED_LINES
    ]
    data = pdf_billing.render_invoice(
        "INV-2027-0042",
        "Globex SARL",
        date(2027, 3, 10),
        date(2027, 4, 9),
        status,
        rows,
        Decimal("1234.50"),
        Decimal("0"),
        Decimal("1234.50"),
        "EUR",
        "GLX-BC-0042",
        generated_on=date(2027, 3, 10),
        language=language,
    )
    return reads(data)


@pytest.fixture
def line_words(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The French catalogue with the line words, whether or not it has them yet."""
    catalog = Catalog(locale="fr")
    for message, french in LINE_WORDS_FR.items():
        catalog.add(message, french)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    layered = Translations(buffer)
    real = translations_for("fr")
    layered.add_fallback(real)

    def catalogue(language: str) -> Any:
        if language != "fr":
            return translations_for(language)
        # What the real catalogue translates wins over this test's words.
        return real if real.gettext("prorated change") != "prorated change" else layered

    monkeypatch.setattr(pdf, "translations_for", catalogue)
    monkeypatch.setattr(lines, "translations_for", catalogue)
    lines._written.cache_clear()
    yield
    lines._written.cache_clear()


def test_a_french_statement_reads_in_french() -> None:
    text = statement("fr")
    assert "Relevé INV-2027-0042" in text
    assert "Statut Payée" in text
    assert "Émise le 10 mars 2027" in text and "Échéance 9 avril 2027" in text
    assert "Numéro de bon de commande GLX-BC-0042" in text
    assert "Total 1 234,50 €" in text and "Taxe 0,00 €" in text
    assert "Sous-total 1 234,50 €" in text
    assert "Remise (10 %) 1 -137,17 € -137,17 €" in text
    assert "Description Quantité Prix unitaire Montant" in text
    for english in ("Paid", "Issued on", "EUR", "March"):
        assert english not in text
    assert "Statut À payer" in statement("fr", status="open")
    assert "Statut Annulée" in statement("fr", status="void")


def test_an_english_statement_stays_english() -> None:
    text = statement("en")
    assert "Statement INV-2027-0042" in text and "Status Paid" in text
    assert "Issued on March 10, 2027" in text and "Due on April 9, 2027" in text
    assert "Total €1,234.50" in text
    assert "Discount (10%) 1 -€137.17 -€137.17" in text
    assert "GoToMeeting Business × 12 (prorated change)" in text  # noqa: RUF001
    assert "GoToMeeting Business (monthly)" in text
    assert "Payée" not in text and "mars" not in text


def test_line_words_are_translated_when_shown(line_words: None) -> None:
    french = statement("fr")
    assert "GoToMeeting Business × 12 (modification au prorata)" in french  # noqa: RUF001
    assert "GoToMeeting Business (mensuel)" in french
    # Any other description (a product's, a PO line's) is shown as stored.
    assert lines.line_description("Support (premium) × 2") == "Support (premium) × 2"  # noqa: RUF001
    # A line stored in French (made on a French page), or with the "x" of old latin-1 PDFs.
    stored = [dict(line) for line in STORED_LINES]
    stored[1]["description"] = "GoToMeeting Business x 12 (modification au prorata)"
    english = statement("en", stored=stored)
    assert "GoToMeeting Business × 12 (prorated change)" in english  # noqa: RUF001
    assert "modification" not in english


def test_the_pages_serve_a_statement_in_the_page_language(
    app: Flask, database: Database, demo: None
) -> None:
    with database.session() as session:
        globex = session.scalar(
            sa.select(Invoice).where(Invoice.account_id == account_id(database, "Globex SARL"))
        )
        assert globex is not None and globex.status == "paid"
        globex_id, issued_on = globex.id, globex.issued_on
    with pdf.in_language("fr"):
        french_day = pdf.day(issued_on)
    chloe = signed_in(app, CHLOE)  # her profile says French
    response = chloe.get(f"/billing/invoices/{globex_id}.pdf")
    assert response.status_code == 200
    text = reads(response.data)
    assert "Statut Payée" in text and f"Émise le {french_day}" in text
    assert "€" in text and "EUR" not in text
    # The API answers in the language the client asks for.
    english = app.test_client()
    api = english.get(f"/api/v1/invoices/{globex_id}/pdf", headers=headers(english, CHLOE))
    assert api.status_code == 200 and "Status Paid" in reads(api.data)


def test_the_w9_translates_the_portal_words_not_the_irs_text(
    app: Flask, database: Database, demo: None
) -> None:
    with database.session() as session:
        alice = session.get(User, user_id(database, ALICE))
        assert alice is not None
        alice.language = "fr"
    response = signed_in(app, ALICE).get("/forms/w9.pdf")
    assert response.status_code == 200
    text = reads(response.data)
    with pdf.in_language("fr"):
        today = pdf.day(clock.today())
    with pdf.in_language("en"):
        english_today = pdf.day(clock.today())
    assert f"Date {today}" in text and english_today not in text
    assert "Under penalties of perjury, I certify that:" in text
    assert "Acme Corporation" in text


def test_a_produced_form_is_in_its_requesters_language(
    app: Flask, database: Database, demo: None
) -> None:
    request_id = new_request(
        database, CHLOE, "form_request", form="vendor_form", details="Pour la compta"
    )
    settings = dataclasses.replace(app.extensions["portal_settings"], vendor=VENDOR)
    with database.session() as session:
        account = session.scalar(sa.select(Account).where(Account.name == "Globex SARL"))
        assert account is not None
        actor = Actor(user_id(database, "tess@logmein.example"), "technician", None, "Tess")
        payload = session.get_one(BillingRequest, request_id).payload
        change = ChangeInput(request_id, "form_request", account.id, dict(payload), actor)
        result = produce_form(session, change, settings)
        document = session.get(Document, result["document_id"])
        assert document is not None
        text = reads(document.content)
    assert "Raison sociale LogMeIn USA, Inc." in text
    assert "Identifiant fiscal (EIN) 12-3456789" in text
    assert "Compte Globex SARL" in text and "Pour la compta" in text
