"""The ledger as an account reads it: its currency's prices, tax on the card, credit and payments
in the API and on the history page, demo invoices that add up, exact amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from portal import clock
from portal.accounts.operations import create_account, create_user
from portal.billing_centre.ledger import currency_for
from portal.billing_centre.proration import Holding, PlanPrice, preview_change
from portal.db import Database
from portal.demo import DEMO_PASSWORD
from portal.models import Account, Invoice, Payment, PaymentMethod, Quote, Subscription
from tests.support import api_token, login

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


def test_each_country_bills_in_its_currency() -> None:
    assert [currency_for(country) for country in ("US", "FR", "DE", "GB", "JP")] == [
        "USD",
        "EUR",
        "EUR",
        "GBP",
        "USD",
    ]


def test_every_demo_invoice_adds_up_under_the_po_in_force(database: Database, demo: None) -> None:
    with database.session() as session:
        invoices = list(session.scalars(sa.select(Invoice).join(Account)))
        assert invoices
        for invoice in invoices:
            assert invoice.lines, invoice.number
            assert invoice.total == sum(line.amount for line in invoice.lines) + invoice.tax
            assert invoice.currency == invoice.account.currency
            assert invoice.total > 0 and invoice.subtotal > 0
        acme = [invoice for invoice in invoices if invoice.account.name == "Acme Corporation"]
        # Three years, three purchase orders in force: each renewal names its own.
        assert len({invoice.po_number for invoice in acme}) == 3
        globex = [invoice for invoice in invoices if invoice.account.name == "Globex SARL"]
        assert globex and all(invoice.currency == "EUR" for invoice in globex)
        assert all(invoice.tax == invoice.subtotal * Decimal("0.20") for invoice in globex)
        paid = sum((i.amount_paid for i in invoices), Decimal(0))
        charged = session.scalar(
            sa.select(sa.func.count()).select_from(Payment).where(Payment.status == "succeeded")
        )
        assert charged == sum(1 for invoice in invoices if invoice.status == "paid")
        assert paid == sum(
            (payment.amount for payment in session.scalars(sa.select(Payment))), Decimal(0)
        )


def test_globex_sees_euro_prices_not_dollars_relabelled(
    client: FlaskClient, demo: None, database: Database
) -> None:
    chloe = api_token(client, "chloe@globex.example")
    enterprise = client.get("/api/v1/subscriptions", headers=chloe).json["items"][0]
    assert enterprise["currency"] == "EUR"
    preview = client.post(
        f"/api/v1/subscriptions/{enterprise['id']}/preview", json={"seats": 41}, headers=chloe
    ).json
    assert preview["currency"] == "EUR"
    with database.session() as session:
        held = session.get(Subscription, enterprise["id"])
        assert held is not None
        holding = Holding(
            PlanPrice("GoToMeeting Enterprise", "GoToMeeting", 3, Decimal("312.00")),
            held.seats,
            held.period,
            held.period_start,
            held.next_billing_date,
        )
    # The EUR price list's 312 a year (never USD's 336 with a euro sign), French VAT on top.
    net = preview_change(holding, holding.plan, 41, clock.today()).amount_due
    assert Decimal(preview["amount_due"]) == net + (net * Decimal("0.20")).quantize(Decimal("0.01"))


def test_a_french_card_is_charged_the_invoice_total_with_vat(
    client: FlaskClient, demo: None, database: Database
) -> None:
    with database.session() as session:
        account = create_account(session, "Boulangerie Dupont", "FR", kind="standard")
        user = create_user(
            session,
            "marie@dupont.example",
            "Marie Dupont",
            "billing_contact",
            DEMO_PASSWORD,
            account.id,
        )
        account.billing_contact_id = user.id
    marie = api_token(client, "marie@dupont.example")
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "cvc": "123"}
    assert client.post("/api/v1/payment-method", json=card, headers=marie).status_code == 200
    added = client.post(
        "/api/v1/subscriptions",
        json={"plan": "GoToMeeting Business", "seats": 3, "period": "monthly"},
        headers=marie,
    )
    assert added.status_code == 201, added.json
    invoice = client.get("/api/v1/invoices", headers=marie).json["items"][0]
    # A seat for a month: 176 € / 12 = 14.67; 3 seats 44.01, VAT 20 % 8.80: the card pays
    # 52.81, what the invoice says.
    assert (invoice["currency"], invoice["subtotal"], invoice["tax"], invoice["total"]) == (
        "EUR",
        "44.01",
        "8.80",
        "52.81",
    )
    [payment] = client.get("/api/v1/payments", headers=marie).json["items"]
    assert (payment["amount"], payment["currency"], payment["status"]) == (
        "52.81",
        "EUR",
        "succeeded",
    )
    assert payment["invoice_number"] == invoice["number"]
    assert invoice["amount_paid"] == "52.81" and invoice["status"] == "paid"


def test_a_declined_charge_is_recorded_and_nothing_else(
    client: FlaskClient, demo: None, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    declining = {"number": "4000000000000341", "exp_month": 12, "exp_year": 2099, "cvc": "123"}
    assert client.post("/api/v1/payment-method", json=declining, headers=peter).status_code == 200
    invoices_before = len(client.get("/api/v1/invoices", headers=peter).json["items"])
    business = next(
        item
        for item in client.get("/api/v1/subscriptions", headers=peter).json["items"]
        if item["plan"] == "GoToMeeting Business"
    )
    refused = client.post(
        f"/api/v1/subscriptions/{business['id']}/change", json={"seats": 30}, headers=peter
    )
    assert refused.status_code == 402 and refused.json["code"] == "payment_declined"
    assert len(client.get("/api/v1/invoices", headers=peter).json["items"]) == invoices_before
    declined = [
        item
        for item in client.get("/api/v1/payments", headers=peter).json["items"]
        if item["status"] == "declined"
    ]
    assert len(declined) == 1 and declined[0]["invoice_number"] is None
    again = next(
        item
        for item in client.get("/api/v1/subscriptions", headers=peter).json["items"]
        if item["id"] == business["id"]
    )
    assert again["seats"] == business["seats"]


def test_the_history_page_shows_payments_and_credit(client: FlaskClient, demo: None) -> None:
    login(client, "peter@initech.example")
    page = client.get("/billing/history").text
    assert "Payments" in page and "Your credit: $0.00" in page
    assert page.count("<td>Paid</td>") >= 6  # three paid renewals, and their three payments


def test_amounts_are_stored_exactly_to_the_cent(database: Database, demo: None) -> None:
    with database.session() as session:
        method = session.scalar(sa.select(PaymentMethod).limit(1))
        assert method is not None
        quote_total = session.scalar(sa.select(sa.func.count()).select_from(Quote))
        assert quote_total == 0
        invoice = session.scalar(sa.select(Invoice).limit(1))
        assert invoice is not None
        invoice.subtotal = Decimal("33.33")
        session.flush()
        session.expire(invoice)
        assert invoice.subtotal == Decimal("33.33")
        invoice.subtotal = Decimal("0.333")
        with pytest.raises(sa.exc.StatementError):
            session.flush()
