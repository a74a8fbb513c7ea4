"""The billing-centre pages: a preview before every change, the card, the history, statements."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.db import Database
from portal.models import Account, Invoice, Subscription
from tests.conftest import WorkerThread
from tests.pages.support import confirm_step, field_errors
from tests.pdfs import pdf_text
from tests.support import csrf_token, login

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


def signed_in(app: Flask, email: str) -> FlaskClient:
    browser = app.test_client()
    login(browser, email)
    return browser


def subscription_id(database: Database, account: str, plan_prefix: str) -> int:
    with database.session() as session:
        found = session.scalar(
            sa.select(Subscription.id)
            .join(Account)
            .where(Account.name == account)
            .order_by(Subscription.id)
        )
        rows = session.scalars(sa.select(Subscription).join(Account).where(Account.name == account))
        for row in rows:
            if row.plan.name.startswith(plan_prefix):
                return row.id
        assert found is not None
        return found


def seats_of(database: Database, sub_id: int) -> tuple[str, int, str]:
    with database.session() as session:
        row = session.get(Subscription, sub_id)
        assert row is not None
        return row.plan.name, row.seats, row.status


def preview(browser: FlaskClient, sub_id: int, **fields: str) -> str:
    page = browser.get("/billing/")
    data = {f"s{sub_id}-{key}": value for key, value in fields.items()}
    response = browser.post(
        f"/billing/subscriptions/{sub_id}/preview",
        data={**data, f"s{sub_id}-csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 200, response.status_code
    return response.text


def confirm(browser: FlaskClient, sub_id: int, preview_page: str, **fields: str) -> str:
    response = browser.post(
        f"/billing/subscriptions/{sub_id}/change",
        data={"csrf_token": csrf_token(preview_page), **fields},
        follow_redirects=True,
    )
    return response.text


def test_standard_contact_previews_then_changes_and_pays(
    app: Flask, demo: None, database: Database
) -> None:
    peter = signed_in(app, "peter@initech.example")
    page = peter.get("/billing/").text
    assert "GoToMeeting Business \u00d7 10" in page and "GoToWebinar Standard \u00d7 2" in page
    business = subscription_id(database, "Initech LLC", "GoToMeeting Business")

    fewer = preview(peter, business, seats="6")
    assert "Amount credited" in fewer and "Confirm the change" in fewer
    assert "Your subscription is changed." in confirm(peter, business, fewer, seats="6")
    assert seats_of(database, business) == ("GoToMeeting Business", 6, "active")

    lower = preview(peter, business, tier="Professional")
    assert "customer support" in lower and "Confirm the change" not in lower

    upgrade = preview(peter, business, tier="Enterprise")
    assert "Amount due now" in upgrade
    assert "Your subscription is changed." in confirm(peter, business, upgrade, tier="Enterprise")
    assert seats_of(database, business) == ("GoToMeeting Enterprise", 6, "active")
    history = peter.get("/billing/history?status=paid").text
    assert history.count("INV-") >= 4  # three renewals and the upgrade's charge


def test_declined_card_changes_nothing_and_the_number_is_never_shown(
    app: Flask, demo: None, database: Database
) -> None:
    peter = signed_in(app, "peter@initech.example")
    form = peter.get("/billing/payment-method").text
    assert "Visa ending in 4242" in form
    year = str(clock.today().year + 2)
    bad = peter.post(
        "/billing/payment-method",
        data={
            "number": "4242424242424241",
            "exp_month": "12",
            "exp_year": year,
            "cvc": "123",
            "csrf_token": csrf_token(form),
        },
    )
    assert bad.status_code == 400 and "This card number is not valid." in bad.text
    assert "4242424242424241" not in bad.text
    refused = peter.post(
        "/billing/payment-method",
        data={
            "number": "4000 0000 0000 0002",
            "exp_month": "12",
            "exp_year": year,
            "cvc": "123",
            "csrf_token": csrf_token(form),
        },
    )
    # Declined by the bank when saved: said beside the number, nothing kept.
    assert refused.status_code == 400 and "Your card is saved." not in refused.text
    assert field_errors(refused.text)["number"] == "Your bank declined this card; try another one."
    saved = peter.post(
        "/billing/payment-method",
        data={
            "number": "4000 0000 0000 0341",
            "exp_month": "12",
            "exp_year": year,
            "cvc": "123",
            "csrf_token": csrf_token(form),
        },
        follow_redirects=True,
    )
    assert (
        "ending in 0341" in saved.text
        and "4000 0000 0000 0341" not in saved.text.split("Sandbox")[0]
    )
    business = subscription_id(database, "Initech LLC", "GoToMeeting Business")
    upgrade = preview(peter, business, seats="40")
    declined = confirm(peter, business, upgrade, seats="40")
    assert "Your card was declined" in declined
    assert seats_of(database, business)[1] == 10


def ask_to_cancel_the_webinar(peter: FlaskClient, database: Database) -> tuple[int, Any]:
    """Peter presses "Cancel this subscription" on GoToWebinar: the page that asks first."""
    webinar = subscription_id(database, "Initech LLC", "GoToWebinar")
    page = peter.get("/billing/").text
    asked = peter.post(
        f"/billing/subscriptions/{webinar}/cancel", data={"csrf_token": csrf_token(page)}
    )
    return webinar, asked


def test_cancel_undo_history_and_statements(
    app: Flask, running: WorkerThread, database: Database
) -> None:
    peter = signed_in(app, "peter@initech.example")
    webinar, asked = ask_to_cancel_the_webinar(peter, database)
    assert "Cancel GoToWebinar" in asked.text and seats_of(database, webinar)[2] == "active"
    cancelled = peter.get(confirm_step(peter, asked).location)
    assert "Pending Cancellation" in cancelled.text and "usable until" in cancelled.text
    undone = peter.post(
        f"/billing/subscriptions/{webinar}/undo-cancel",
        data={"csrf_token": csrf_token(cancelled.text)},
        follow_redirects=True,
    )
    assert (
        "The cancellation is undone." in undone.text and seats_of(database, webinar)[2] == "active"
    )

    with database.session() as session:
        invoice = session.scalar(
            sa.select(Invoice).join(Account).where(Account.name == "Initech LLC").limit(1)
        )
        assert invoice is not None
        invoice_id, number, year = invoice.id, invoice.number, invoice.issued_on.year
    history = peter.get(f"/billing/history?year={year}").text
    assert number in history
    assert "No invoice matches." in peter.get("/billing/history?year=1999").text
    statement = peter.get(f"/billing/invoices/{invoice_id}").text
    assert "Subtotal" in statement and "Download the PDF" in statement
    pdf = peter.get(f"/billing/invoices/{invoice_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert number in pdf_text(pdf.data) and "Initech LLC" in pdf_text(pdf.data)
    assert number in peter.get("/").text  # the dashboard's latest statements
    assert (
        signed_in(app, "chloe@globex.example").get(f"/billing/invoices/{invoice_id}").status_code
        == 404
    )
    assert signed_in(app, "bob@acme.example").get("/billing/").status_code == 403


def test_corporate_change_becomes_a_request(
    app: Flask, running: WorkerThread, database: Database
) -> None:
    alice = signed_in(app, "alice@acme.example")
    enterprise = subscription_id(database, "Acme Corporation", "GoToMeeting Enterprise")
    page = alice.get("/billing/").text
    assert "a LogMeIn technician applies each change" in page
    assert "Ask for this subscription" in page and "Add and pay" not in page
    asked = confirm(alice, enterprise, preview(alice, enterprise, seats="130"), seats="130")
    assert re.search(r"A technician will apply this change: request #\d+", asked)
    assert seats_of(database, enterprise)[1] == 120
