"""The vendor facts the document tests configure, a small real PDF, and checking a download."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.config import VendorSettings
from portal.db import Database
from portal.documents import pdf
from portal.models import Account, User
from tests.support import api_token

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
