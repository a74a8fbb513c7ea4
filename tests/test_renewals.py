"""Subscriptions through time, through the sandbox clock of an account: the real worker and
Temporal server, the API as a client uses it. Moving the clock answers once all that fell due
has happened: renewals, their invoices and payments, dunning, expiries, cancellations' ends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from portal.billing_centre.proration import next_period_end
from portal.db import Database
from portal.models import Account, Invoice, OutboxMessage, Payment, Subscription
from tests.conftest import WorkerThread
from tests.support import api_token, post_over_http

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates
PETER = "peter@initech.example"


def clock_of(client: FlaskClient, headers: dict[str, str]) -> date:
    return date.fromisoformat(client.get("/api/v1/sandbox/clock", headers=headers).json["date"])


def move_clock(client: FlaskClient, headers: dict[str, str], to: date) -> Any:
    moved = client.post("/api/v1/sandbox/clock", json={"date": to.isoformat()}, headers=headers)
    assert moved.status_code == 200, moved.json
    assert moved.json["date"] == to.isoformat()
    return moved.json


def held(client: FlaskClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    items = client.get("/api/v1/subscriptions", headers=headers).json["items"]
    return {item["plan"]: item for item in items}


def renewals_of(database: Database, account_name: str) -> list[Invoice]:
    with database.session() as session:
        query = (
            sa.select(Invoice)
            .join(Account)
            .where(Account.name == account_name, Invoice.kind == "renewal")
            .options(sa.orm.selectinload(Invoice.lines))
            .order_by(Invoice.issued_on, Invoice.id)
        )
        return list(session.scalars(query))


def set_card(client: FlaskClient, headers: dict[str, str], number: str) -> Any:
    card = {"number": number, "exp_month": 12, "exp_year": 2099, "cvc": "123"}
    return client.post("/api/v1/payment-method", json=card, headers=headers)


def test_a_year_of_monthly_renewals(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    start = clock_of(client, peter)
    before = {invoice.id for invoice in renewals_of(database, "Initech LLC")}
    plans = held(client, peter)
    first_due = date.fromisoformat(plans["GoToMeeting Business"]["next_billing_date"])

    move_clock(client, peter, start + timedelta(days=365))

    renewed = [i for i in renewals_of(database, "Initech LLC") if i.id not in before]
    meetings = [i for i in renewed if "GoToMeeting Business" in i.lines[0].description]
    webinars = [i for i in renewed if "GoToWebinar Standard" in i.lines[0].description]
    expected_dates = [first_due]
    while len(expected_dates) < 12:
        expected_dates.append(next_period_end(expected_dates[-1], "monthly"))
    assert [invoice.issued_on for invoice in meetings] == expected_dates
    assert len(webinars) == 12
    # 10 seats at 192 a year: 16.00 a seat a month; 2 seats of Webinar at 59.00.
    assert {invoice.total for invoice in meetings} == {Decimal("160.00")}
    assert {invoice.total for invoice in webinars} == {Decimal("118.00")}
    assert all(invoice.status == "paid" for invoice in renewed)
    with database.session() as session:
        paid = session.scalars(
            sa.select(Payment).where(Payment.invoice_id.in_([i.id for i in renewed]))
        ).all()
        assert sorted(p.invoice_id for p in paid) == sorted(i.id for i in renewed)
        mails = session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.recipient_email == PETER)
        ).all()
        assert sum(1 for mail in mails if mail.subject.startswith("Invoice ")) >= 24
    now = held(client, peter)["GoToMeeting Business"]
    assert now["status"] == "active"
    assert date.fromisoformat(now["next_billing_date"]) == next_period_end(
        expected_dates[-1], "monthly"
    )
    assert (
        client.post(
            "/api/v1/sandbox/clock", json={"date": start.isoformat()}, headers=peter
        ).status_code
        == 409
    ), "never back"


def test_a_declined_renewal_is_past_due_until_the_card_is_fixed(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    assert set_card(client, peter, "4000000000000341").status_code == 200  # declines later
    due = date.fromisoformat(held(client, peter)["GoToMeeting Business"]["next_billing_date"])

    move_clock(client, peter, due + timedelta(days=2))

    past_due = held(client, peter)["GoToMeeting Business"]
    assert past_due["status"] == "past_due"
    with database.session() as session:
        subjects = [
            mail.subject
            for mail in session.scalars(
                sa.select(OutboxMessage).where(
                    OutboxMessage.recipient_email == "peter@initech.example"
                )
            )
        ]
    assert any(subject.startswith("Payment failed") for subject in subjects)
    assert any(subject.startswith("Reminder") for subject in subjects)  # day 1
    declined = [
        item
        for item in client.get("/api/v1/payments", headers=peter).json["items"]
        if item["status"] == "declined"
    ]
    assert declined

    fixed = set_card(client, peter, "4242424242424242")
    assert fixed.status_code == 200, fixed.json
    active = held(client, peter)["GoToMeeting Business"]
    assert active["status"] == "active"
    assert date.fromisoformat(active["next_billing_date"]) == next_period_end(due, "monthly")
    # Nothing more falls due in the grace period now: no expiry.
    move_clock(client, peter, due + timedelta(days=20))
    assert held(client, peter)["GoToMeeting Business"]["status"] == "active"


def test_an_unpaid_renewal_expires_after_the_grace_period(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    assert set_card(client, peter, "4000000000000341").status_code == 200
    due = date.fromisoformat(held(client, peter)["GoToMeeting Business"]["next_billing_date"])

    move_clock(client, peter, due + timedelta(days=13))
    assert held(client, peter)["GoToMeeting Business"]["status"] == "past_due"
    move_clock(client, peter, due + timedelta(days=14))

    assert held(client, peter)["GoToMeeting Business"]["status"] == "expired"
    with database.session() as session:
        void = session.scalars(
            sa.select(Invoice)
            .join(Account)
            .where(Account.name == "Initech LLC", Invoice.status == "void")
        ).all()
    assert len(void) == 2  # both subscriptions renew on the same day, neither was paid


def test_a_pending_cancellation_ends_at_the_period_end(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    webinar = held(client, peter)["GoToWebinar Standard"]
    cancelled = client.post(f"/api/v1/subscriptions/{webinar['id']}/cancel", headers=peter)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "pending_cancellation"
    ends = date.fromisoformat(webinar["next_billing_date"])
    before = len(renewals_of(database, "Initech LLC"))

    move_clock(client, peter, ends - timedelta(days=1))
    assert held(client, peter)["GoToWebinar Standard"]["status"] == "pending_cancellation"
    move_clock(client, peter, ends)

    assert held(client, peter)["GoToWebinar Standard"]["status"] == "cancelled"
    renewed = renewals_of(database, "Initech LLC")[before:]
    assert all("GoToWebinar" not in invoice.lines[0].description for invoice in renewed)


def test_a_standard_account_changes_its_billing_period_from_the_next_renewal(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    business = held(client, peter)["GoToMeeting Business"]
    changed = client.post(
        f"/api/v1/subscriptions/{business['id']}/change", json={"period": "annual"}, headers=peter
    )
    assert changed.status_code == 200, changed.json
    assert (changed.json["period"], changed.json["next_period"]) == ("monthly", "annual")
    due = date.fromisoformat(business["next_billing_date"])

    move_clock(client, peter, due)

    now = held(client, peter)["GoToMeeting Business"]
    assert now["period"] == "annual"
    assert date.fromisoformat(now["next_billing_date"]) == next_period_end(due, "annual")
    annual = [
        invoice
        for invoice in renewals_of(database, "Initech LLC")
        if invoice.issued_on == due and "GoToMeeting Business" in invoice.lines[0].description
    ]
    assert [invoice.total for invoice in annual] == [Decimal("1920.00")]  # 10 seats at 192


def test_a_corporate_account_goes_from_annual_to_quarterly(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    asked = client.post(
        "/api/v1/requests",
        json={"type": "frequency_change", "payload": {"frequency": "quarterly", "reason": "cash"}},
        headers=alice,
    )
    assert asked.status_code == 202, asked.json
    request_id = asked.json["id"]
    for verb in ("claim", "approve"):
        done = client.post(f"/api/v1/tasks/{request_id}/{verb}", json={}, headers=tess)
        assert done.status_code == 200, done.json
    enterprise = held(client, alice)["GoToMeeting Enterprise"]
    renewal = date.fromisoformat(enterprise["next_billing_date"])

    move_clock(client, alice, renewal)

    now = held(client, alice)["GoToMeeting Enterprise"]
    assert now["period"] == "quarterly"
    assert date.fromisoformat(now["next_billing_date"]) == next_period_end(renewal, "quarterly")
    [invoice] = [i for i in renewals_of(database, "Acme Corporation") if i.issued_on == renewal]
    # A quarter of 120 Enterprise seats at 336 a year, on an open invoice to the PO, net 30.
    assert invoice.total == Decimal("10080.00") and invoice.status == "open"
    assert invoice.po_number == "ACME-PO-2026-001"
    assert invoice.due_on == renewal + timedelta(days=30)
    with database.session() as session:
        acme = session.scalar(sa.select(Account).where(Account.name == "Acme Corporation"))
        assert acme is not None and acme.billing_frequency == "quarterly"
        subscription = session.get(Subscription, enterprise["id"])
        assert subscription is not None and subscription.next_period is None


def test_moves_of_one_clock_at_once_never_take_it_back(
    client: FlaskClient, running: WorkerThread, database: Database, server: str
) -> None:
    """Ten moves at once to ten dates (two tabs, a retried call): a move that lost the race is
    told so (409) and changes nothing; the clock ends at the latest date a move reported and
    never went back past one."""
    peter = api_token(client, PETER)
    start = clock_of(client, peter)
    # One token each, as ten tabs or scripts would hold.
    tokens = [api_token(client, PETER) for _ in range(10)]

    def move(days: int) -> tuple[int, str]:
        body = {"date": (start + timedelta(days=days)).isoformat()}
        status, answer = post_over_http(f"{server}/api/v1/sandbox/clock", body, tokens[days - 1])
        return status, str(answer["date"] if status == 200 else answer["error"])

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(move, range(10, 0, -1)))
    assert {status for status, _ in answers} <= {200, 409}, answers
    reached = sorted(date.fromisoformat(day) for status, day in answers if status == 200)
    assert reached, answers
    refusals = [said for status, said in answers if status == 409]
    assert all("moved meanwhile" in said or "never goes back" in said for said in refusals)
    assert clock_of(client, peter) == reached[-1], answers
