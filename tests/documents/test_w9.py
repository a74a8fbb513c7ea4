"""The W-9 rule: US Corporate billing contacts download it (API and page); the others are told
why, or refused."""

from __future__ import annotations

import dataclasses

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.accounts.operations import create_account, create_user
from portal.db import Database
from portal.demo import DEMO_PASSWORD
from tests.documents.support import (
    ALICE,
    BOB,
    CHLOE,
    FORM_REQUEST_URL,
    TESS,
    VENDOR,
    assert_pdf_download,
    headers,
)
from tests.pdfs import pdf_text
from tests.support import login

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


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
