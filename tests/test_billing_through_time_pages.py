"""What a billing contact sees of time on the pages: the sandbox clock in development, the
billing period from the next renewal, the invoice recipients who get each renewal's invoice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import OutboxMessage
from tests.conftest import WorkerThread
from tests.support import api_token, csrf_token, initech_business, login, post_form

pytestmark = pytest.mark.dates


def signed_in(app: Flask, email: str) -> FlaskClient:
    browser = app.test_client()
    login(browser, email)
    return browser


def test_invoice_recipients_get_each_renewal_invoice(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    url = "/api/v1/account/invoice-recipients"
    refused = client.put(
        url, json={"emails": ["ap@initech.example", '"Boss" <x@evil.example>']}, headers=peter
    )
    assert refused.status_code == 400 and "invoice_recipients" in refused.json["fields"]
    assert client.put(url, json={"emails": ["a,b@c.example"]}, headers=peter).status_code == 400
    saved = client.put(
        url,
        json={"emails": ["ap@initech.example", "AP@initech.example", "peter@initech.example"]},
        headers=peter,
    )
    assert saved.status_code == 200 and saved.json["invoice_recipients"] == ["ap@initech.example"]
    assert client.get("/api/v1/account", headers=peter).json["invoice_recipients"] == [
        "ap@initech.example"
    ]
    bob = api_token(client, "bob@acme.example")  # a member, not the contact
    assert client.put(url, json={"emails": []}, headers=bob).status_code == 403

    due = initech_business(database).next_billing_date
    moved = client.post("/api/v1/sandbox/clock", json={"date": due.isoformat()}, headers=peter)
    assert moved.status_code == 200, moved.json

    with database.session() as session:
        to_ap = session.scalars(
            sa.select(OutboxMessage.subject).where(
                OutboxMessage.recipient_email == "ap@initech.example"
            )
        ).all()
    assert any(subject.startswith("Invoice ") for subject in to_ap)


def test_the_contact_keeps_the_recipients_on_the_account_page(
    app: Flask, demo: None, database: Database
) -> None:
    peter = signed_in(app, "peter@initech.example")
    saved = post_form(
        peter,
        "/",
        "/account/invoice-recipients",
        {"emails": "ap@initech.example\nctl@initech.example"},
    )
    assert saved.status_code == 302
    page = peter.get("/").text
    assert "Invoices will also be mailed to these addresses." in page
    assert "ctl@initech.example" in page
    wrong = post_form(peter, "/", "/account/invoice-recipients", {"emails": "not an address"})
    assert wrong.status_code == 400
    assert "Not an e-mail address: not an address" in wrong.text
    assert 'aria-invalid="true"' in wrong.text and "\nnot an address</textarea>" in wrong.text
    assert "ctl@initech.example" in peter.get("/").text, "nothing lost"


def test_the_sandbox_clock_moves_from_the_billing_page(
    app: Flask, running: WorkerThread, database: Database
) -> None:
    peter = signed_in(app, "peter@initech.example")
    business = initech_business(database)
    page = peter.get("/billing/").text
    assert "Sandbox date:" in page
    moved = post_form(
        peter,
        "/billing/",
        "/billing/sandbox-clock",
        {"date": business.next_billing_date.isoformat()},
    )
    assert moved.status_code == 302
    page = peter.get("/billing/history").text
    assert "The sandbox date is now" in page
    renewed = initech_business(database)
    assert renewed.next_billing_date > business.next_billing_date
    back = post_form(
        peter,
        "/billing/",
        "/billing/sandbox-clock",
        {"date": (business.next_billing_date - timedelta(days=1)).isoformat()},
    )
    assert back.status_code == 302
    assert "never goes back" in peter.get("/billing/").text


def test_a_standard_contact_changes_the_billing_period_on_the_page(
    app: Flask, demo: None, database: Database
) -> None:
    peter = signed_in(app, "peter@initech.example")
    business = initech_business(database)
    page = peter.get("/billing/")
    changed = peter.post(
        f"/billing/subscriptions/{business.id}/period",
        data={
            f"p{business.id}-period": "annual",
            f"p{business.id}-csrf_token": csrf_token(page.text),
        },
    )
    assert changed.status_code == 302
    page_text = peter.get("/billing/").text
    assert "Billed Annual from the next renewal." in page_text
    assert "Annual from the next renewal" in page_text
    after = initech_business(database)
    assert (after.period, after.next_period) == ("monthly", "annual")
    assert after.next_billing_date == business.next_billing_date  # nothing charged now
    assert isinstance(after.next_billing_date, date)
