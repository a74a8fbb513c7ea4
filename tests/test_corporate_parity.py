"""A Corporate account's cancel, add and reactivate: each is a `subscription_change` request
(202) that a technician approves and the workflow applies, with the billing centre's rules,
billed on an invoice to the purchase order in force instead of the card."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import Subscription
from tests.conftest import WorkerThread
from tests.support import api_token, request_status, wait_for


def held(client: FlaskClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    items = client.get("/api/v1/subscriptions", headers=headers).json["items"]
    return {item["plan"]: item for item in items}


def approve(client: FlaskClient, database: Database, request_id: int, final: str) -> Any:
    tess = api_token(client, "tess@logmein.example")
    for verb in ("claim", "approve"):
        done = client.post(f"/api/v1/tasks/{request_id}/{verb}", json={}, headers=tess)
        assert done.status_code == 200, done.json
    wait_for(lambda: request_status(database, request_id) == final, what=f"request {final}")
    return client.get(f"/api/v1/requests/{request_id}", headers=tess).json


def test_a_corporate_cancellation_and_its_undoing_are_asked_then_applied(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = api_token(client, "alice@acme.example")
    enterprise = held(client, alice)["GoToMeeting Enterprise"]
    asked = client.post(
        f"/api/v1/subscriptions/{enterprise['id']}/cancel", json={"reason": "merger"}, headers=alice
    )
    assert asked.status_code == 202, asked.json
    assert asked.json["type"] == "subscription_change"
    assert held(client, alice)["GoToMeeting Enterprise"]["status"] == "active"  # not yet

    approve(client, database, asked.json["id"], "completed")

    cancelled = held(client, alice)["GoToMeeting Enterprise"]
    assert cancelled["status"] == "pending_cancellation"
    assert cancelled["next_billing_date"] == enterprise["next_billing_date"]

    kept = client.post(f"/api/v1/subscriptions/{enterprise['id']}/undo-cancel", headers=alice)
    assert kept.status_code == 202, kept.json
    approve(client, database, kept.json["id"], "completed")
    assert held(client, alice)["GoToMeeting Enterprise"]["status"] == "active"


def test_a_cancellation_approved_twice_fails_the_second_with_its_reason(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = api_token(client, "alice@acme.example")
    enterprise = held(client, alice)["GoToMeeting Enterprise"]
    cancel = f"/api/v1/subscriptions/{enterprise['id']}/cancel"
    first = client.post(cancel, json={}, headers=alice)
    second = client.post(cancel, json={}, headers=alice)
    assert (first.status_code, second.status_code) == (202, 202)

    approve(client, database, first.json["id"], "completed")
    failed = approve(client, database, second.json["id"], "failed")

    reasons = " ".join(str(entry["note"] or "") for entry in failed["timeline"])
    assert "Only an active subscription can be cancelled." in reasons


def test_a_corporate_addition_is_invoiced_to_the_po_and_renews(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = api_token(client, "alice@acme.example")
    body = {"plan": "GoToWebinar Pro", "seats": 5, "period": "annual"}
    asked = client.post("/api/v1/subscriptions", json=body, headers=alice)
    assert asked.status_code == 202, asked.json
    refused = client.post(
        "/api/v1/subscriptions", json={**body, "seats": 0, "plan": "Nothing"}, headers=alice
    )
    assert refused.status_code == 400 and {"plan", "seats"} <= set(refused.json["fields"])

    done = approve(client, database, asked.json["id"], "completed")

    added = held(client, alice)["GoToWebinar Pro"]
    assert (added["status"], added["seats"], added["period"]) == ("active", 5, "annual")
    invoice = client.get(f"/api/v1/invoices/{done['result']['invoice_id']}", headers=alice).json
    assert invoice["status"] == "open" and invoice["po_number"]
    assert len(invoice["lines"]) == 1 and invoice["lines"][0]["quantity"] == 5
    # Its workflow follows it from the approval on: its renewal comes at its date.
    moved = client.post(
        "/api/v1/sandbox/clock", json={"date": added["next_billing_date"]}, headers=alice
    )
    assert moved.status_code == 200, moved.json
    renewed = held(client, alice)["GoToWebinar Pro"]
    assert renewed["next_billing_date"] > added["next_billing_date"]


def test_a_corporate_reactivation_is_asked_then_applied(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = api_token(client, "alice@acme.example")
    enterprise = held(client, alice)["GoToMeeting Enterprise"]
    with database.session() as session:
        # It lapsed earlier (as an unpaid renewal leaves it): the state this test starts from.
        subscription = session.get(Subscription, enterprise["id"])
        assert subscription is not None
        subscription.status = "expired"
    early = client.post(f"/api/v1/subscriptions/{enterprise['id']}/cancel", json={}, headers=alice)
    assert early.status_code == 409, "only an active subscription is cancelled"
    asked = client.post(
        f"/api/v1/subscriptions/{enterprise['id']}/reactivate", json={}, headers=alice
    )
    assert asked.status_code == 202, asked.json

    done = approve(client, database, asked.json["id"], "completed")

    assert held(client, alice)["GoToMeeting Enterprise"]["status"] == "active"
    invoice = client.get(f"/api/v1/invoices/{done['result']['invoice_id']}", headers=alice).json
    assert invoice["status"] == "open"
    with database.session() as session:
        statuses = session.scalars(sa.select(Subscription.status)).all()
    assert "expired" not in statuses
