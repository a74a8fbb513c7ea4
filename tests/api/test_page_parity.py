"""What a page can do, the API can: the quote's PDF, an answer with an attached PDF, bulk
approval of form requests."""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient

from portal.db import Database
from tests.api.support import claim_and_approve, submit, submitted_id
from tests.conftest import WorkerThread
from tests.documents.support import SMALL_PDF
from tests.pdfs import pdf_text
from tests.support import api_token, request_status, wait_for

pytestmark = pytest.mark.dates

QUOTE = {"items": [{"product": "GoToMeeting Business", "seats": 10}], "term_months": 12}


def test_the_quote_pdf_through_the_api(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    request_id = submitted_id(client, alice, "quote", QUOTE)
    early = client.get(f"/api/v1/requests/{request_id}/quote.pdf", headers=alice)
    assert early.status_code == 404 and early.json["code"] == "not_found"
    assert claim_and_approve(client, tess, request_id).status_code == 200
    pdf = client.get(f"/api/v1/requests/{request_id}/quote.pdf", headers=alice)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "GoToMeeting Business" in pdf_text(pdf.data)
    chloe = api_token(client, "chloe@globex.example")
    assert client.get(f"/api/v1/requests/{request_id}/quote.pdf", headers=chloe).status_code == 404


def test_an_answer_with_a_pdf_through_the_api(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    payload = {"topic": "contract_copy", "message": "A copy of our contract, please"}
    request_id = submitted_id(client, alice, "account_inquiry", payload)
    assert (
        client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=tess).status_code == 200
    )
    url = f"/api/v1/tasks/{request_id}/approve-with-attachment"

    missing = client.post(url, data={"comment": "Attached"}, headers=tess)
    assert missing.status_code == 400 and list(missing.json["fields"]) == ["file"]
    not_pdf = client.post(
        url,
        data={"comment": "Attached", "file": (io.BytesIO(b"<html>"), "contract.pdf")},
        headers=tess,
    )
    assert not_pdf.status_code == 400 and "attachment" in not_pdf.json["fields"]
    answered = client.post(
        url,
        data={"comment": "Here it is", "file": (io.BytesIO(SMALL_PDF), "contract.pdf")},
        headers=tess,
    )
    assert answered.status_code == 200, answered.json
    wait_for(lambda: request_status(database, request_id) == "completed", what="the answer")
    document_id = client.get(f"/api/v1/requests/{request_id}", headers=alice).json["result"][
        "document_id"
    ]
    download = client.get(f"/api/v1/documents/{document_id}", headers=alice)
    assert download.status_code == 200 and download.data == SMALL_PDF


def test_bulk_approval_through_the_api(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    forms = [
        submit(client, alice, "form_request", {"form": "w9", "details": f"copy {n}"}).json["id"]
        for n in range(2)
    ]
    for request_id in forms:
        assert (
            client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=tess).status_code
            == 200
        )
    for bad in ({}, {"ids": []}, {"ids": ["x"]}, {"ids": [2**70]}, {"ids": list(range(1, 102))}):
        refused = client.post("/api/v1/tasks/bulk-approve", json=bad, headers=tess)
        named = {field.split(".")[0] for field in refused.json["fields"]}  # ids or ids.0
        assert refused.status_code == 400 and named == {"ids"}, bad
    assert (
        client.post("/api/v1/tasks/bulk-approve", json={"ids": forms}, headers=alice).status_code
        == 403
    )
    answer = client.post("/api/v1/tasks/bulk-approve", json={"ids": [*forms, 999999]}, headers=tess)
    assert answer.status_code == 200, answer.json
    results = {item["request_id"]: item["approved"] for item in answer.json["results"]}
    assert results == {forms[0]: True, forms[1]: True, 999999: False}
    for request_id in forms:
        wait_for(
            lambda request_id=request_id: request_status(database, request_id) == "completed",
            what="form",
        )
