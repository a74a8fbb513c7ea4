"""What each kind of account is shown, and the account as a technician sees it beside a task:
a standard account's contact finds the billing centre and its next renewal, no purchase orders
or requests to LogMeIn; a technician answering an invoice question opens the account's invoices,
purchase orders, subscriptions, requests and contacts from the task."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from babel.dates import format_date
from flask import Flask

from portal.db import Database
from portal.models import Account, Subscription
from portal.models.billing import LIVING_STATUSES
from tests.conftest import WorkerThread
from tests.pages.support import signed_in
from tests.support import api_token


def navigation(page: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', page, re.S)
    assert nav, "no main navigation"
    return [label.strip() for label in re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(1))]


def earliest_renewal(database: Database, account: str) -> date:
    with database.session() as session:
        found = session.scalar(
            sa.select(sa.func.min(Subscription.next_billing_date))
            .join(Account)
            .where(Account.name == account, Subscription.status.in_(LIVING_STATUSES))
        )
    assert found is not None
    return found


def test_a_standard_account_is_shown_its_billing_centre_and_next_renewal(
    app: Flask, database: Database, demo: None
) -> None:
    peter = signed_in(app, "peter@initech.example")
    home = peter.get("/").text
    assert "Purchase orders" not in navigation(home) and "W-9" not in navigation(home)
    assert "Requests" not in navigation(home) and "Billing" in navigation(home)
    renewal = format_date(earliest_renewal(database, "Initech LLC"), "long", locale="en")
    assert re.search(rf"<dt>Next renewal</dt><dd>{renewal}</dd>", home), renewal
    assert "Requests in progress" not in home


def test_a_corporate_account_is_shown_purchase_orders_requests_and_the_w9(
    app: Flask, demo: None
) -> None:
    alice = signed_in(app, "alice@acme.example")
    assert navigation(alice.get("/").text)[:5] == [
        "Account",
        "Purchase orders",
        "Requests",
        "Billing",
        "W-9",
    ]


def test_a_technician_opens_the_account_of_a_task_and_its_invoices(
    app: Flask, database: Database, running: WorkerThread
) -> None:
    client = app.test_client()
    alice = api_token(client, "alice@acme.example")
    invoices = client.get("/api/v1/invoices", headers=alice).json["items"]
    assert invoices, "the demo gives Acme invoices"
    invoice = invoices[0]
    asked = client.post(
        "/api/v1/requests",
        json={
            "type": "account_inquiry",
            "payload": {
                "topic": "invoice_question",
                "message": "Why this total?",
                "invoice_id": invoice["id"],
            },
        },
        headers=alice,
    )
    assert asked.status_code == 202, asked.json
    tess = signed_in(app, "tess@logmein.example")
    task = tess.get(f"/console/tasks/{asked.json['id']}").text
    link = re.search(r'<a href="(/console/accounts/\d+)">Acme Corporation</a>', task)
    assert link, "the task does not link its account"
    account = tess.get(link.group(1))
    assert account.status_code == 200
    page = account.text
    for expected in ("Alice Martin", "alice@acme.example", "ACME-PO-2026-001", "Why this total?"):
        assert expected in page, expected
    assert f'href="/console/tasks/{asked.json["id"]}"' in page
    assert invoice["number"] in page
    statement = tess.get(f"/billing/invoices/{invoice['id']}")
    assert statement.status_code == 200 and invoice["number"] in statement.text
    with database.session() as session:
        plans = session.scalars(
            sa.select(Subscription).join(Account).where(Account.name == "Acme Corporation")
        ).all()
        names = [subscription.plan.name for subscription in plans]
    assert names and all(name in page for name in names)
    assert tess.get("/console/accounts/2147483647").status_code == 404
    assert signed_in(app, "alice@acme.example").get(link.group(1)).status_code == 403
