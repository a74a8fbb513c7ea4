"""Billing-frequency changes, account inquiries and form requests through the JSON API."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import Account, Invoice
from tests.api.support import claim_and_approve, count_requests, detail, submit, submitted_id
from tests.conftest import WorkerThread
from tests.support import api_token, request_status, wait_for

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


def test_frequency_change_is_scheduled_for_the_renewal_and_can_be_cancelled(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    same = submit(client, alice, "frequency_change", {"frequency": "annual", "reason": "r"})
    assert same.status_code == 400 and "frequency" in same.json["fields"]
    unknown = submit(client, alice, "frequency_change", {"frequency": "weekly", "reason": "r"})
    assert unknown.status_code == 400 and "frequency" in unknown.json["fields"]

    request_id = submitted_id(
        client, alice, "frequency_change", {"frequency": "quarterly", "reason": "Cash flow"}
    )
    approved = claim_and_approve(client, tess, request_id)
    assert approved.status_code == 200
    assert approved.json["status"] == "scheduled"
    renewal = client.get("/api/v1/account", headers=alice).json["next_renewal"]
    assert approved.json["result"]["effective_on"] == renewal
    account = client.get("/api/v1/account", headers=alice).json
    assert account["billing_frequency"] == "annual"
    assert {"id": request_id, "type": "frequency_change", "status": "scheduled"} in account[
        "pending_changes"
    ]

    cancelled = client.post(
        f"/api/v1/requests/{request_id}/cancel", json={"reason": "Changed our mind"}, headers=alice
    )
    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled"
    assert client.get("/api/v1/account", headers=alice).json["billing_frequency"] == "annual"


def test_inquiry_answer_is_required_and_shown(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    with database.session() as session:
        acme_invoice = session.scalar(
            sa.select(Invoice.id).join(Account).where(Account.name == "Acme Corporation")
        )
    missing = submit(
        client, alice, "account_inquiry", {"topic": "invoice_question", "message": "Why?"}
    )
    assert missing.status_code == 400 and "invoice_id" in missing.json["fields"]

    request_id = submitted_id(
        client,
        alice,
        "account_inquiry",
        {"topic": "invoice_question", "invoice_id": acme_invoice, "message": "Why VAT?"},
    )
    unanswered = claim_and_approve(client, tess, request_id)
    assert unanswered.status_code == 400
    assert "comment" in unanswered.json["fields"]
    answer = "US accounts are not charged VAT; the line is sales tax."
    assert (
        client.post(
            f"/api/v1/tasks/{request_id}/approve", json={"comment": answer}, headers=tess
        ).status_code
        == 200
    )
    wait_for(lambda: request_status(database, request_id) == "completed", what="answer")
    assert detail(client, alice, request_id)["result"] == {"answer": answer}


def test_form_request_needs_its_details_and_region(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = api_token(client, "alice@acme.example")
    no_region = submit(
        client, alice, "form_request", {"form": "regional_form", "details": "EU supplier form"}
    )
    assert no_region.status_code == 400 and "region" in no_region.json["fields"]
    no_details = submit(client, alice, "form_request", {"form": "w9"})
    assert no_details.status_code == 400 and "details" in no_details.json["fields"]
    assert count_requests(database) == 0
