"""Stored documents: downloaded by their account and staff only, stored once per key, with
filenames that break nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from portal.db import Database
from portal.documents import operations
from portal.models import Document
from tests.documents.support import (
    ALICE,
    BOB,
    CHLOE,
    SMALL_PDF,
    TESS,
    account_id,
    assert_pdf_download,
    headers,
)
from tests.support import login

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


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
