"""Form requests and account inquiries through the pages: answered with a PDF that only the
account downloads."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import Account, Document, Invoice
from tests.conftest import WorkerThread
from tests.pages.request_support import (
    approve,
    claim,
    console_post,
    new_page,
    result_of,
    send_new,
    submit_new,
    task_url,
)
from tests.pages.support import field_errors, read_form, request_count, shown_status, signed_in
from tests.pdfs import pdf_text
from tests.support import login, request_status, wait_for

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


# -- forms ---------------------------------------------------------------------------------------


def test_form_request_is_approved_and_its_pdf_downloaded_by_the_account_only(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    no_region = submit_new(
        client, "form_request", form_name="regional_form", details="EU supplier form"
    )
    assert no_region.status_code == 400
    assert field_errors(no_region.text) == {"region": "This field is required."}
    assert read_form(no_region.text)["details"] == "EU supplier form"
    assert read_form(no_region.text)["form_name"] == "regional_form"
    assert request_count(database) == 0

    request_id = send_new(
        client, "form_request", form_name="vendor_form", details="For our SAP vendor master"
    )
    tess = signed_in(app, "tess@logmein.example")
    claim(tess, request_id)
    approve(tess, request_id)
    wait_for(lambda: request_status(database, request_id) == "completed", what="the form")
    document_id = result_of(database, request_id)["document_id"]

    page = client.get(f"/requests/{request_id}")
    assert shown_status(page.text) == "Completed"
    assert "Download the form (PDF)" in page.text
    assert f'href="/documents/{document_id}"' in page.text
    download = client.get(f"/documents/{document_id}")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert "Acme Corporation" in pdf_text(download.data)
    assert (
        signed_in(app, "chloe@globex.example").get(f"/documents/{document_id}").status_code == 404
    )
    assert signed_in(app, "bob@acme.example").get(f"/documents/{document_id}").status_code == 403


# -- account inquiries ---------------------------------------------------------------------------


def test_inquiry_is_answered_with_a_pdf_the_contact_downloads(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    page = new_page(client, "account_inquiry")
    with database.session() as session:
        invoice = session.scalar(
            sa.select(Invoice).join(Account).where(Account.name == "Acme Corporation").limit(1)
        )
        assert invoice is not None
        invoice_number, invoice_id = invoice.number, invoice.id
    assert invoice_number in page.text

    no_invoice = submit_new(
        client, "account_inquiry", topic="invoice_question", message="Why is VAT charged?"
    )
    assert no_invoice.status_code == 400
    assert field_errors(no_invoice.text) == {"invoice_id": "Choose one of your invoices."}
    assert read_form(no_invoice.text)["message"] == "Why is VAT charged?"
    assert request_count(database) == 0

    request_id = send_new(
        client,
        "account_inquiry",
        topic="invoice_question",
        invoice_id=str(invoice_id),
        message="Why is VAT charged?",
    )
    tess = signed_in(app, "tess@logmein.example")
    claim(tess, request_id)
    task = tess.get(task_url(request_id))
    assert 'enctype="multipart/form-data"' in task.text
    assert '<label for="text">Answer</label>' in task.text
    assert invoice_number in task.text

    def attach(content: bytes, name: str = "credit-note.pdf") -> dict[str, Any]:
        return {"attachment": (io.BytesIO(content), name, "application/pdf")}

    unanswered = console_post(tess, request_id, "approve", files=attach(PDF), text="")
    assert unanswered.status_code == 400
    assert field_errors(unanswered.text) == {"text": "The answer is required."}
    not_pdf = console_post(
        tess, request_id, "approve", files=attach(b"<html>", "x.pdf"), text="See attached"
    )
    assert not_pdf.status_code == 400
    assert field_errors(not_pdf.text) == {
        "attachment": "This file is not a PDF, whatever its name says."
    }
    assert read_form(not_pdf.text, f"{task_url(request_id)}/approve")["text"] == "See attached"
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count(Document.id))) == 0
    assert request_status(database, request_id) == "in_review"

    answer = "US accounts pay sales tax, not VAT; see the credit note attached."
    approve(tess, request_id, files=attach(PDF), text=answer)
    wait_for(lambda: request_status(database, request_id) == "completed", what="the answer")
    document_id = result_of(database, request_id)["document_id"]

    page = client.get(f"/requests/{request_id}")
    assert shown_status(page.text) == "Completed"
    assert answer in page.text
    assert "Download the attachment (PDF)" in page.text
    assert f'href="/documents/{document_id}"' in page.text
    download = client.get(f"/documents/{document_id}")
    assert download.status_code == 200 and download.data == PDF
    assert (
        signed_in(app, "chloe@globex.example").get(f"/documents/{document_id}").status_code == 404
    )
