"""The billing centre through the API: a standard account serves itself (paying by card), a
Corporate account's change becomes a request; pending cancellation ends by a durable timer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from temporalio.testing import WorkflowEnvironment

from portal import clock
from portal.billing_centre.proration import next_period_end
from portal.db import Database
from portal.models import Account, Invoice, PaymentMethod, Subscription
from tests.conftest import WorkerThread
from tests.pdfs import pdf_text
from tests.support import api_token, request_status, wait_for
from tests.test_workflow_timers import eventually, with_time_skipping
from workflows.subscription_workflow import (
    EndSubscriptionInput,
    SubscriptionEndWorkflow,
    end_workflow_id,
)

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


def subscriptions(client: FlaskClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    response = client.get("/api/v1/subscriptions", headers=headers)
    assert response.status_code == 200, response.json
    return {item["plan"]: item for item in response.json["items"]}


def invoice_count(database: Database, account_name: str) -> int:
    with database.session() as session:
        query = (
            sa.select(sa.func.count(Invoice.id)).join(Account).where(Account.name == account_name)
        )
        return session.scalar(query) or 0


def set_card(client: FlaskClient, headers: dict[str, str], number: str) -> Any:
    body = {"number": number, "exp_month": 12, "exp_year": clock.today().year + 2, "cvc": "123"}
    return client.post("/api/v1/payment-method", json=body, headers=headers)


def test_standard_account_sees_its_subscriptions_and_history(
    client: FlaskClient, demo: None
) -> None:
    peter = api_token(client, "peter@initech.example")
    held = subscriptions(client, peter)
    assert held["GoToMeeting Business"]["seats"] == 10
    assert held["GoToWebinar Standard"]["seats"] == 2
    assert {item["status"] for item in held.values()} == {"active"}
    invoices = client.get("/api/v1/invoices", headers=peter).json["items"]
    assert len(invoices) == 3 and {item["status"] for item in invoices} == {"paid"}
    one = client.get(f"/api/v1/invoices/{invoices[0]['id']}", headers=peter).json
    assert [line["quantity"] for line in one["lines"]] == [10, 2]
    assert Decimal(one["total"]) == Decimal(one["subtotal"]) + Decimal(one["tax"])
    pdf = client.get(f"/api/v1/invoices/{invoices[0]['id']}/pdf", headers=peter)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    statement = pdf_text(pdf.data)
    assert one["number"] in statement and "GoToMeeting Business" in statement
    card = client.get("/api/v1/payment-method", headers=peter).json
    assert (card["brand"], card["last4"]) == ("visa", "4242")
    assert "number" not in card and "processor_token" not in card

    alice = api_token(client, "alice@acme.example")
    assert client.get(f"/api/v1/invoices/{invoices[0]['id']}", headers=alice).status_code == 404
    bob = api_token(client, "bob@acme.example")
    assert client.get("/api/v1/subscriptions", headers=bob).status_code == 403


def test_preview_explains_every_rule(client: FlaskClient, demo: None) -> None:
    peter = api_token(client, "peter@initech.example")
    business = subscriptions(client, peter)["GoToMeeting Business"]
    url = f"/api/v1/subscriptions/{business['id']}/preview"
    fewer = client.post(url, json={"seats": 6}, headers=peter).json
    assert Decimal(fewer["amount_credited"]) > 0 and fewer["amount_due"] == "0.00"
    assert fewer["new_billing_date"] == business["next_billing_date"] and fewer["error"] is None
    upgrade = client.post(url, json={"tier": "Enterprise"}, headers=peter).json
    assert Decimal(upgrade["amount_due"]) > 0
    assert upgrade["new_billing_date"] == next_period_end(clock.today(), "monthly").isoformat()
    lower = client.post(url, json={"tier": "Professional"}, headers=peter).json
    assert "support" in lower["error"]
    bad = client.post(url, json={"tier": "Platinum"}, headers=peter)
    assert bad.status_code == 400 and "tier" in bad.json["fields"]


def test_seat_reduction_credits_and_upgrade_is_paid_by_card(
    client: FlaskClient, demo: None, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    business = subscriptions(client, peter)["GoToMeeting Business"]
    url = f"/api/v1/subscriptions/{business['id']}"
    credited = Decimal(
        client.post(f"{url}/preview", json={"seats": 8}, headers=peter).json["amount_credited"]
    )
    changed = client.post(f"{url}/change", json={"seats": 8}, headers=peter)
    assert changed.status_code == 200, changed.json
    assert changed.json["seats"] == 8
    assert client.get("/api/v1/balance", headers=peter).json == {
        "currency": "USD",
        "credit": str(credited),
    }

    due = Decimal(
        client.post(f"{url}/preview", json={"tier": "Enterprise"}, headers=peter).json["amount_due"]
    )
    before = invoice_count(database, "Initech LLC")
    upgraded = client.post(f"{url}/change", json={"tier": "Enterprise"}, headers=peter)
    assert upgraded.status_code == 200, upgraded.json
    assert (upgraded.json["plan"], upgraded.json["seats"]) == ("GoToMeeting Enterprise", 8)
    assert (
        upgraded.json["next_billing_date"] == next_period_end(clock.today(), "monthly").isoformat()
    )
    assert invoice_count(database, "Initech LLC") == before + 1
    with database.session() as session:
        charge = session.scalar(sa.select(Invoice).order_by(Invoice.id.desc()).limit(1))
        assert charge is not None and charge.kind == "charge" and charge.status == "paid"
        assert charge.total == due and charge.credit_applied == credited  # the credit went first
        assert charge.amount_paid == due - credited
    assert client.get("/api/v1/balance", headers=peter).json["credit"] == "0.00"


def test_declined_card_changes_nothing(client: FlaskClient, demo: None, database: Database) -> None:
    peter = api_token(client, "peter@initech.example")
    bad_number = set_card(client, peter, "4242424242424241")
    assert bad_number.status_code == 400 and "number" in bad_number.json["fields"]
    assert set_card(client, peter, "4000000000000341").status_code == 200
    business = subscriptions(client, peter)["GoToMeeting Business"]
    before = invoice_count(database, "Initech LLC")
    refused = client.post(
        f"/api/v1/subscriptions/{business['id']}/change", json={"seats": 30}, headers=peter
    )
    assert refused.status_code == 402
    assert "declined" in refused.json["error"]
    assert subscriptions(client, peter)["GoToMeeting Business"] == business
    assert invoice_count(database, "Initech LLC") == before
    with database.session() as session:
        method = session.scalar(
            sa.select(PaymentMethod).join(Account).where(Account.name == "Initech LLC")
        )
        assert method is not None and method.last4 == "0341" and len(method.processor_token) < 100


def test_products_are_not_swapped_but_cancelled_then_added(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    webinar = subscriptions(client, peter)["GoToWebinar Standard"]
    swap = client.post(
        f"/api/v1/subscriptions/{webinar['id']}/change", json={"tier": "Business"}, headers=peter
    )
    assert swap.status_code == 400 and "tier" in swap.json["fields"]
    again = client.post(
        "/api/v1/subscriptions", json={"plan": "GoToWebinar Pro", "seats": 2}, headers=peter
    )
    assert again.status_code == 409

    cancelled = client.post(f"/api/v1/subscriptions/{webinar['id']}/cancel", headers=peter)
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == "pending_cancellation"
    added = client.post(
        "/api/v1/subscriptions", json={"plan": "GoToWebinar Pro", "seats": 2}, headers=peter
    )
    assert added.status_code == 201, added.json
    assert added.json["status"] == "active"
    held = subscriptions(client, peter)
    assert held["GoToWebinar Standard"]["status"] == "pending_cancellation"

    # Undoing would make two active subscriptions of one product: refused, nothing changes.
    undo = f"/api/v1/subscriptions/{webinar['id']}/undo-cancel"
    refused = client.post(undo, headers=peter)
    assert refused.status_code == 409 and "active GoToWebinar" in refused.json["error"]
    assert subscriptions(client, peter)["GoToWebinar Standard"]["status"] == "pending_cancellation"
    pro = subscriptions(client, peter)["GoToWebinar Pro"]
    assert (
        client.post(f"/api/v1/subscriptions/{pro['id']}/cancel", headers=peter).status_code == 200
    )
    undone = client.post(undo, headers=peter)
    assert undone.status_code == 200 and undone.json["status"] == "active"
    undo_twice = client.post(undo, headers=peter)
    assert undo_twice.status_code == 409


def test_corporate_change_becomes_a_request_applied_on_approval(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    enterprise = subscriptions(client, alice)["GoToMeeting Enterprise"]
    asked = client.post(
        f"/api/v1/subscriptions/{enterprise['id']}/change",
        json={"seats": 150, "reason": "Lyon office"},
        headers=alice,
    )
    assert asked.status_code == 202, asked.json
    assert asked.json["type"] == "subscription_change"
    assert subscriptions(client, alice)["GoToMeeting Enterprise"]["seats"] == 120

    request_id = asked.json["id"]
    assert (
        client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=tess).status_code == 200
    )
    assert (
        client.post(f"/api/v1/tasks/{request_id}/approve", json={}, headers=tess).status_code == 200
    )
    wait_for(
        lambda: request_status(database, request_id) == "completed", what="subscription change"
    )
    assert subscriptions(client, alice)["GoToMeeting Enterprise"]["seats"] == 150
    detail = client.get(f"/api/v1/requests/{request_id}", headers=alice).json
    invoice = client.get(f"/api/v1/invoices/{detail['result']['invoice_id']}", headers=alice).json
    assert invoice["status"] == "open" and invoice["kind"] == "charge"
    # Seats 120 → 150 stays what the request shows, though the subscription now has 150.
    seats = next(change for change in detail["changes"] if change["field"] == "Seats")
    assert (seats["before"], seats["after"], seats["applied"]) == ("120", "150", "150")
    assert detail["snapshot"]["seats"] == 120


def test_pending_cancellation_ends_at_the_end_of_the_period(database: Database, demo: None) -> None:
    with database.session() as session:
        subscription = session.scalar(
            sa.select(Subscription).join(Account).where(Account.name == "Initech LLC").limit(1)
        )
        assert subscription is not None
        subscription.status = "pending_cancellation"
        subscription_id, ends_on = subscription.id, subscription.next_billing_date
    # The timer fires at 00:00 UTC of the end date, which may be tomorrow (a month's last day).
    until_end = datetime.combine(ends_on, time(), UTC) - clock.now()
    just_before = max(until_end - timedelta(minutes=1), timedelta(seconds=1))

    async def scenario(env: WorkflowEnvironment) -> None:
        end = EndSubscriptionInput(subscription_id, ends_on.isoformat(), clock.shift_seconds())
        handle = await env.client.start_workflow(
            SubscriptionEndWorkflow.run,
            end,
            id=end_workflow_id(subscription_id, end.ends_on),
            task_queue="timers",
        )
        await env.fast_forward(handle, just_before)
        assert status_of(database, subscription_id) == "pending_cancellation"
        await env.fast_forward(handle, timedelta(minutes=2))
        assert await handle.result() is True

        async def ended() -> bool:
            return status_of(database, subscription_id) == "cancelled"

        await eventually(ended, "the end of the subscription")

    asyncio.run(with_time_skipping(database, scenario))


def status_of(database: Database, subscription_id: int) -> str:
    with database.session() as session:
        subscription = session.get(Subscription, subscription_id)
        assert subscription is not None
        return subscription.status


def test_an_expired_subscription_comes_back_once_paid(
    client: FlaskClient, demo: None, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    webinar = subscriptions(client, peter)["GoToWebinar Standard"]
    with database.session() as session:
        row = session.get(Subscription, webinar["id"])
        assert row is not None
        row.status = "expired"
    assert (
        client.post(
            f"/api/v1/subscriptions/{webinar['id']}/change", json={"seats": 3}, headers=peter
        ).status_code
        == 409
    )
    assert set_card(client, peter, "4000000000009995").status_code == 200
    before = invoice_count(database, "Initech LLC")
    refused = client.post(f"/api/v1/subscriptions/{webinar['id']}/reactivate", headers=peter)
    assert refused.status_code == 402 and "insufficient funds" in refused.json["error"]
    assert subscriptions(client, peter)["GoToWebinar Standard"]["status"] == "expired"
    assert set_card(client, peter, "5555555555554444").status_code == 200
    back = client.post(f"/api/v1/subscriptions/{webinar['id']}/reactivate", headers=peter)
    assert back.status_code == 200, back.json
    assert back.json["status"] == "active"
    assert back.json["next_billing_date"] == next_period_end(clock.today(), "monthly").isoformat()
    assert invoice_count(database, "Initech LLC") == before + 1
