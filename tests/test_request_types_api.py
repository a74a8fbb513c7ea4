"""Every request type through the JSON API, on the real Temporal server and worker."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from portal import clock
from portal.db import Database
from portal.models import Account, BillingRequest, Invitation, Invoice, User
from tests.conftest import WorkerThread, api_token, request_status, wait_for

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


def submit(
    client: FlaskClient, headers: dict[str, str], request_type: str, payload: dict[str, Any]
) -> Any:
    return client.post(
        "/api/v1/requests", json={"type": request_type, "payload": payload}, headers=headers
    )


def submitted_id(
    client: FlaskClient, headers: dict[str, str], request_type: str, payload: dict[str, Any]
) -> int:
    response = submit(client, headers, request_type, payload)
    assert response.status_code == 202, response.json
    return int(response.json["id"])


def claim_and_approve(
    client: FlaskClient, staff: dict[str, str], request_id: int, **body: Any
) -> Any:
    claimed = client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=staff)
    assert claimed.status_code == 200, claimed.json
    return client.post(f"/api/v1/tasks/{request_id}/approve", json=body, headers=staff)


def detail(client: FlaskClient, headers: dict[str, str], request_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/requests/{request_id}", headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json
    return body


def count_requests(database: Database) -> int:
    with database.session() as session:
        return session.scalar(sa.select(sa.func.count(BillingRequest.id))) or 0


QUOTE = {
    "items": [{"product": "GoToMeeting Business", "seats": 10}],
    "term_months": 12,
    "notes": "Lyon",
}


def test_quote_priced_with_override_then_accepted_creates_a_purchase_order(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    request_id = submitted_id(client, alice, "quote", QUOTE)

    bad = claim_and_approve(client, tess, request_id, pricing={"discount_pct": 120})
    assert bad.status_code == 400
    assert "pricing.discount_pct" in bad.json["fields"]
    assert request_status(database, request_id) == "in_review"

    pricing = {
        "lines": [{"product": "GoToMeeting Business", "unit_price": "150.00"}],
        "discount_pct": 10,
        "valid_days": 15,
    }
    approved = client.post(
        f"/api/v1/tasks/{request_id}/approve", json={"pricing": pricing}, headers=tess
    )
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "quoted"
    assert approved.json["result"]["total"] == "1350.00"
    assert (
        approved.json["result"]["valid_until"] == (clock.today() + timedelta(days=15)).isoformat()
    )

    refused = client.post(
        f"/api/v1/quotes/{request_id}/accept", json={"po_number": "<script>"}, headers=alice
    )
    assert refused.status_code == 400
    assert "po_number" in refused.json["fields"]
    chloe = api_token(client, "chloe@globex.example")
    assert (
        client.post(
            f"/api/v1/quotes/{request_id}/accept", json={"po_number": "X1"}, headers=chloe
        ).status_code
        == 404
    )

    accepted = client.post(
        f"/api/v1/quotes/{request_id}/accept", json={"po_number": "ACME-Q-77"}, headers=alice
    )
    assert accepted.status_code == 200, accepted.json
    wait_for(lambda: request_status(database, request_id) == "completed", what="quote completion")
    result = detail(client, alice, request_id)["result"]
    po = client.get(f"/api/v1/purchase-orders/{result['purchase_order_id']}", headers=alice).json
    assert po["po_number"] == "ACME-Q-77"
    assert [(line["product"], line["quantity"]) for line in po["lines"]] == [
        ("GoToMeeting Business", 10)
    ]
    events = [event["event"] for event in detail(client, alice, request_id)["timeline"]]
    assert events == ["submitted", "claimed", "approved", "quoted", "quote_accepted", "completed"]


def test_quote_at_list_price_can_be_declined(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    request_id = submitted_id(client, alice, "quote", QUOTE)
    approved = claim_and_approve(client, tess, request_id)
    assert approved.json["result"]["total"] == "1920.00"
    declined = client.post(
        f"/api/v1/quotes/{request_id}/decline", json={"reason": "Too dear"}, headers=alice
    )
    assert declined.status_code == 200
    assert declined.json["status"] == "declined"
    again = client.post(
        f"/api/v1/quotes/{request_id}/accept", json={"po_number": "A1"}, headers=alice
    )
    assert again.status_code == 409


def test_quote_bad_input_is_refused_with_fields(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = api_token(client, "alice@acme.example")
    cases = [
        ({"items": [], "term_months": 12}, "items"),
        ({"items": [{"product": "Zoom Pro", "seats": 3}], "term_months": 12}, "items.0.product"),
        (
            {"items": [{"product": "GoToWebinar Pro", "seats": -1}], "term_months": 12},
            "items.0.seats",
        ),
        ({"items": [{"product": "GoToWebinar Pro", "seats": 1}], "term_months": 0}, "term_months"),
    ]
    for payload, field in cases:
        response = submit(client, alice, "quote", payload)
        assert response.status_code == 400, payload
        assert field in response.json["fields"], (payload, response.json)
    assert count_requests(database) == 0


def test_contact_names_a_successor_who_becomes_billing_contact(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    same = submit(
        client,
        alice,
        "contact_change",
        {"new_contact_email": "alice@acme.example", "new_contact_name": "A", "reason": "r"},
    )
    assert same.status_code == 400 and "new_contact_email" in same.json["fields"]
    foreign = submit(
        client,
        alice,
        "contact_change",
        {"new_contact_email": "chloe@globex.example", "new_contact_name": "C", "reason": "r"},
    )
    assert foreign.status_code == 400 and "new_contact_email" in foreign.json["fields"]

    payload = {
        "new_contact_email": "Dana@Acme.example",
        "new_contact_name": "Dana Scully",
        "reason": "Alice moves to sales",
    }
    request_id = submitted_id(client, alice, "contact_change", payload)
    task = client.get(f"/api/v1/tasks/{request_id}", headers=tess).json
    assert task["proposed_change"][0]["before"] == "Alice Martin <alice@acme.example>"
    assert task["proposed_change"][0]["after"] == "Dana Scully <dana@acme.example>"
    assert claim_and_approve(client, tess, request_id).status_code == 200
    wait_for(lambda: request_status(database, request_id) == "completed", what="contact change")

    with database.session() as session:
        acme = session.scalar(sa.select(Account).where(Account.name == "Acme Corporation"))
        dana = session.scalar(sa.select(User).where(User.email == "dana@acme.example"))
        alice_user = session.scalar(sa.select(User).where(User.email == "alice@acme.example"))
        assert acme is not None and dana is not None and alice_user is not None
        assert acme.billing_contact_id == dana.id
        assert (dana.role, alice_user.role) == ("billing_contact", "member")
        invitation = session.scalar(sa.select(Invitation).where(Invitation.user_id == dana.id))
        assert invitation is not None and invitation.used_at is None
    # Alice is a member now: billing is no longer hers.
    assert client.get("/api/v1/requests", headers=alice).status_code == 403


def test_a_contact_change_a_technician_starts_is_decided_by_a_supervisor(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    tess, theo, sam = (
        api_token(client, f"{name}@logmein.example") for name in ("tess", "theo", "sam")
    )
    with database.session() as session:
        globex = session.scalar(sa.select(Account.id).where(Account.name == "Globex SARL"))
    payload = {
        "account_id": globex,
        "new_contact_email": "hugo@globex.example",
        "new_contact_name": "Hugo",
        "reason": "Chloé left",
    }
    request_id = submitted_id(client, tess, "contact_change", payload)

    assert (
        client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=tess).status_code == 403
    )
    refused = client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=theo)
    assert refused.status_code == 403
    assert "supervisor" in refused.json["error"]
    assert claim_and_approve(client, sam, request_id).status_code == 200
    wait_for(
        lambda: request_status(database, request_id) == "completed", what="four-eyes completion"
    )
    with database.session() as session:
        account = session.get(Account, globex)
        assert account is not None and account.billing_contact is not None
        assert account.billing_contact.email == "hugo@globex.example"

    not_corporate = submit(client, tess, "po_edit", {"account_id": globex})
    assert not_corporate.status_code == 403


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
