"""Documents and the W-9: the PDFs themselves, who may download what (pages and API), what an
upload must be, and storing a document once. No worker: nothing here starts a workflow."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal import clock
from portal.accounts.operations import create_account, create_user
from portal.config import VendorSettings
from portal.db import Database
from portal.demo import DEMO_PASSWORD
from portal.documents import operations, pdf, pdf_billing
from portal.errors import ValidationFailed
from portal.models import Account, Document, User
from tests.conftest import api_token, login
from tests.pdfs import pdf_text

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates

ALICE = "alice@acme.example"
BOB = "bob@acme.example"
CHLOE = "chloe@globex.example"
TESS = "tess@logmein.example"
FORM_REQUEST_URL = "/requests/new/form_request"
VENDOR = VendorSettings(
    name="LogMeIn USA, Inc.",
    tin="12-3456789",
    address="333 Summer Street, Boston, MA 02210, USA",
    remit_to="LogMeIn USA, Inc., Lockbox 1234, Boston, MA 02210",
    email="vendor-forms@logmein.example",
)
SMALL_PDF = pdf.render_vendor_form(VENDOR, "Acme Corporation", "for the upload tests")


def headers(client: FlaskClient, email: str) -> dict[str, str]:
    """Bearer headers, English replies: a few assertions read the error's wording."""
    return {**api_token(client, email), "Accept-Language": "en"}


def assert_pdf_download(response: TestResponse, filename_part: str) -> bytes:
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment"), disposition
    assert filename_part in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    data: bytes = response.data
    assert data.startswith(b"%PDF-")
    return data


def user_id(database: Database, email: str) -> int:
    with database.session() as session:
        found = session.scalar(sa.select(User.id).where(User.email == email))
        assert found is not None
        return found


def account_id(database: Database, name: str) -> int:
    with database.session() as session:
        found = session.scalar(sa.select(Account.id).where(Account.name == name))
        assert found is not None
        return found


@pytest.fixture
def vendor_app(app: Flask) -> Flask:
    """The app with the vendor facts of this file, so a PDF is seen to carry configured facts."""
    app.extensions["portal_settings"] = dataclasses.replace(
        app.extensions["portal_settings"], vendor=VENDOR
    )
    return app


@pytest.fixture
def vclient(vendor_app: Flask) -> FlaskClient:
    return vendor_app.test_client()


# -- the PDFs ----------------------------------------------------------------------------------


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


# -- the W-9 rule ------------------------------------------------------------------------------


def test_us_corporate_contact_downloads_the_w9_through_the_api(
    vclient: FlaskClient, demo: None
) -> None:
    response = vclient.get("/api/v1/forms/w9", headers=headers(vclient, ALICE))
    text = pdf_text(assert_pdf_download(response, "W-9"))
    assert VENDOR.name in text and VENDOR.tin in text
    assert "Acme Corporation" in text


def test_us_corporate_contact_downloads_the_w9_from_its_page(
    vclient: FlaskClient, demo: None
) -> None:
    login(vclient, ALICE)
    page = vclient.get("/forms/w9")
    assert page.status_code == 200
    assert 'href="/forms/w9.pdf"' in page.text
    assert 'href="/forms/w9"' in page.text  # the navigation's "W-9" link
    assert VENDOR.tin in page.text
    text = pdf_text(assert_pdf_download(vclient.get("/forms/w9.pdf"), "W-9"))
    assert VENDOR.tin in text


def test_contact_outside_the_us_is_told_why_and_pointed_to_a_form_request(
    client: FlaskClient, demo: None
) -> None:
    response = client.get("/api/v1/forms/w9", headers=headers(client, CHLOE))
    assert response.status_code == 403
    error = response.json["error"]
    assert "only by US accounts" in error and "Globex SARL" in error
    assert "form request" in error

    login(client, CHLOE)
    page = client.get("/forms/w9")
    assert page.status_code == 200
    assert "/forms/w9.pdf" not in page.text
    assert f'href="{FORM_REQUEST_URL}"' in page.text
    refused = client.get("/forms/w9.pdf")
    assert refused.status_code == 403
    assert refused.mimetype == "text/html" and not refused.data.startswith(b"%PDF")


def test_us_standard_account_contact_cannot_download_the_w9(
    client: FlaskClient, database: Database
) -> None:
    with database.session() as session:
        account = create_account(session, "Initech LLC", "US", kind="standard")
        create_user(
            session, "peter@initech.example", "Peter", "billing_contact", DEMO_PASSWORD, account.id
        )
    response = client.get("/api/v1/forms/w9", headers=headers(client, "peter@initech.example"))
    assert response.status_code == 403
    assert "only by Corporate accounts" in response.json["error"]


def test_member_and_technician_cannot_download_the_w9(client: FlaskClient, demo: None) -> None:
    bob = client.get("/api/v1/forms/w9", headers=headers(client, BOB))
    assert bob.status_code == 403
    assert "billing contact" in bob.json["error"]
    tess = client.get("/api/v1/forms/w9", headers=headers(client, TESS))
    assert tess.status_code == 403

    login(client, BOB)
    assert client.get("/forms/w9.pdf").status_code == 403
    page = client.get("/forms/w9")
    assert "/forms/w9.pdf" not in page.text
    # Members submit no request: the page tells them to ask their contact, with no link.
    assert FORM_REQUEST_URL not in page.text


def test_signing_in_is_required(client: FlaskClient, demo: None) -> None:
    assert client.get("/api/v1/forms/w9").status_code == 401
    assert client.get("/api/v1/documents/1").status_code == 401
    assert client.get("/forms/w9.pdf").status_code == 302
    assert client.get("/documents/1").status_code == 302


# -- stored documents --------------------------------------------------------------------------


def stored_acme_document(database: Database) -> int:
    with database.session() as session:
        document = operations.store_document(
            session,
            account_id(database, "Acme Corporation"),
            "vendor_form",
            "vendor-form-acme.pdf",
            SMALL_PDF,
            dedup_key="test:vendor-form",
        )
        return document.id


def test_a_stored_document_is_downloadable_by_its_account_and_staff_only(
    client: FlaskClient, database: Database, demo: None
) -> None:
    document_id = stored_acme_document(database)
    url = f"/api/v1/documents/{document_id}"

    alice = client.get(url, headers=headers(client, ALICE))
    assert assert_pdf_download(alice, "vendor-form-acme.pdf") == SMALL_PDF
    tess = client.get(url, headers=headers(client, TESS))
    assert assert_pdf_download(tess, "vendor-form-acme.pdf") == SMALL_PDF

    chloe = client.get(url, headers=headers(client, CHLOE))
    assert chloe.status_code == 404 and chloe.json["error"]
    # Another account's document answers exactly like a document that does not exist.
    unknown = client.get("/api/v1/documents/999999", headers=headers(client, CHLOE))
    assert unknown.status_code == 404 and unknown.json == chloe.json
    for junk in ("x", "-1", "0", str(2**63)):
        answer = client.get(f"/api/v1/documents/{junk}", headers=headers(client, ALICE))
        assert answer.status_code == 404, junk
    assert client.get(url, headers=headers(client, BOB)).status_code == 403

    login(client, ALICE)
    assert assert_pdf_download(client.get(f"/documents/{document_id}"), "vendor-form") == SMALL_PDF
    assert client.get("/documents/999999").status_code == 404


def test_another_accounts_document_is_a_404_page(
    client: FlaskClient, database: Database, demo: None
) -> None:
    document_id = stored_acme_document(database)
    login(client, CHLOE)
    response = client.get(f"/documents/{document_id}")
    assert response.status_code == 404
    assert not response.data.startswith(b"%PDF")


def test_storing_twice_with_one_dedup_key_keeps_one_row(database: Database, demo: None) -> None:
    acme = account_id(database, "Acme Corporation")
    with database.session() as session:
        first = operations.store_document(
            session, acme, "w9", "w9.pdf", SMALL_PDF, dedup_key="request-7:form"
        )
    with database.session() as session:
        again = operations.store_document(
            session, acme, "w9", "w9.pdf", SMALL_PDF, dedup_key="request-7:form"
        )
        assert again.id == first.id
        count = session.scalar(
            sa.select(sa.func.count()).where(Document.dedup_key == "request-7:form")
        )
        assert count == 1
        # Without a key, each call is a new document.
        a = operations.store_document(session, acme, "answer", "a.pdf", SMALL_PDF)
        b = operations.store_document(session, acme, "answer", "a.pdf", SMALL_PDF)
        assert a.id != b.id


def test_stored_filenames_carry_no_path_or_header_breaking_characters(
    database: Database, demo: None
) -> None:
    acme = account_id(database, "Acme Corporation")
    with database.session() as session:
        document = operations.store_document(
            session, acme, "answer", '../../etc/"pass\r\nwd".pdf', SMALL_PDF
        )
        assert document.filename == "_pass_wd_.pdf"
        long_name = operations.store_document(session, acme, "answer", "a" * 300 + ".pdf", b"%")
        assert len(long_name.filename) == 200 and long_name.filename.endswith(".pdf")


# -- uploads -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "content_type", "data"),
    [
        ("notes.txt", "text/plain", b"just text"),
        ("invoice.pdf", "application/pdf", b"<html>not a pdf</html>"),
        ("invoice.pdf", "image/png", SMALL_PDF),
        ("big.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * (6 * 1024 * 1024)),
        ("empty.pdf", "application/pdf", b""),
    ],
    ids=["not-a-pdf", "fake-pdf", "declared-image", "six-mib", "empty"],
)
def test_check_upload_refuses_anything_but_a_small_pdf(
    filename: str, content_type: str, data: bytes
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        operations.check_upload(filename, content_type, data)
    assert set(refused.value.fields) == {"attachment"}
    assert refused.value.fields["attachment"]


def test_check_upload_accepts_a_small_real_pdf() -> None:
    operations.check_upload("Contract copy.PDF", "application/pdf", SMALL_PDF)
    operations.check_upload("scan.pdf", "application/octet-stream", SMALL_PDF)
    exactly_five = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 - 9)
    operations.check_upload("max.pdf", "application/pdf", exactly_five)
