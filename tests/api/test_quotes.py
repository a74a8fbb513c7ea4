"""Quotes through the JSON API: priced with an override and accepted (a purchase order is
created), declined at list price, bad input refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from portal import clock
from portal.db import Database
from tests.api.support import claim_and_approve, count_requests, detail, submit, submitted_id
from tests.conftest import WorkerThread
from tests.support import api_token, request_status, wait_for

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


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
    # The quote's lines at the quoted prices, its discount as a line: the totals are equal.
    assert [(line["product"], line["quantity"]) for line in po["lines"]] == [
        ("GoToMeeting Business", 10),
        ("Discount (10 %)", 1),
    ]
    assert po["total"] == approved.json["result"]["total"] == "1350.00"
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
