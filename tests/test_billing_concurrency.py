"""Money under concurrency, against the portal served over HTTP: many identical calls at once
charge once, and the ledger adds up afterwards (on SQLite and on PostgreSQL, as the suite runs).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from decimal import Decimal
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from portal.billing_centre.ledger import credit_of
from portal.db import Database
from portal.models import Account, Invoice, Payment, Subscription
from tests.conftest import WorkerThread
from tests.support import api_token

Answer = tuple[int, dict[str, Any]]


def call(server: str, method: str, path: str, headers: dict[str, str], body: Any = None) -> Answer:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - 127.0.0.1 only
        f"{server}{path}",
        data=data,
        method=method,
        headers={**headers, "Content-Type": "application/json", "Accept-Language": "en"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def at_once(count: int, attempt: Callable[[int], Answer]) -> list[Answer]:
    """`count` calls released together, as a crowd of clicks or clients would send them."""
    start, answers = threading.Barrier(count), [(0, {})] * count

    def run(index: int) -> None:
        start.wait()
        answers[index] = attempt(index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def initech(database: Database) -> Account:
    with database.session() as session:
        account = session.scalar(sa.select(Account).where(Account.name == "Initech LLC"))
        assert account is not None
        return account


def succeeded_charges(database: Database, account_id: int) -> list[Payment]:
    with database.session() as session:
        query = sa.select(Payment).where(
            Payment.account_id == account_id, Payment.status == "succeeded"
        )
        return list(session.scalars(query.order_by(Payment.id)))


def assert_the_ledger_adds_up(database: Database, account_id: int) -> None:
    with database.session() as session:
        invoices = list(session.scalars(sa.select(Invoice).where(Invoice.account_id == account_id)))
        for invoice in invoices:
            assert invoice.total == sum(line.amount for line in invoice.lines) + invoice.tax
            if invoice.status == "paid":
                assert invoice.credit_applied + invoice.amount_paid == invoice.total
        charged = sum(
            (payment.amount for payment in succeeded_charges(database, account_id)), Decimal(0)
        )
        assert charged == sum((invoice.amount_paid for invoice in invoices), Decimal(0))
        assert credit_of(session, account_id) >= 0
        active = session.execute(
            sa.select(Subscription.plan_id, sa.func.count())
            .where(Subscription.account_id == account_id, Subscription.status == "active")
            .group_by(Subscription.plan_id)
        ).all()
        assert all(count == 1 for _plan, count in active)


def business_subscription(client: FlaskClient, headers: dict[str, str]) -> int:
    items = client.get("/api/v1/subscriptions", headers=headers).json["items"]
    return int(next(item["id"] for item in items if item["plan"] == "GoToMeeting Business"))


def test_ten_changes_of_one_subscription_at_once_charge_once(
    server: str, client: FlaskClient, demo: None, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    account = initech(database)
    path = f"/api/v1/subscriptions/{business_subscription(client, peter)}/change"
    before = len(succeeded_charges(database, account.id))

    answers = at_once(10, lambda _i: call(server, "POST", path, peter, {"seats": 20}))

    statuses = sorted(status for status, _body in answers)
    assert statuses.count(200) == 1, answers
    # The others were refused at once (busy) or found nothing left to change.
    assert all(status == 409 for status in statuses if status != 200), answers
    assert all(body.get("code") == "conflict" for status, body in answers if status == 409)
    assert len(succeeded_charges(database, account.id)) == before + 1
    with database.session() as session:
        changed = session.get(Subscription, int(path.split("/")[-2]))
        assert changed is not None and changed.seats == 20
    assert_the_ledger_adds_up(database, account.id)


def test_one_idempotency_key_sent_ten_times_at_once_is_one_change_and_one_answer(
    server: str, client: FlaskClient, demo: None, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    account = initech(database)
    path = f"/api/v1/subscriptions/{business_subscription(client, peter)}/change"
    keyed = {**peter, "Idempotency-Key": "change-to-15"}
    before = len(succeeded_charges(database, account.id))

    answers = at_once(10, lambda _i: call(server, "POST", path, keyed, {"seats": 15}))

    assert {status for status, _body in answers} == {200}, answers
    assert len({json.dumps(body, sort_keys=True) for _status, body in answers}) == 1
    assert len(succeeded_charges(database, account.id)) == before + 1
    # Later, once applied: the first answer again, and no charge.
    assert call(server, "POST", path, keyed, {"seats": 15}) == answers[0]
    reused = call(server, "POST", path, keyed, {"seats": 16})
    assert reused[0] == 409 and reused[1]["code"] == "idempotency_key_reused"
    assert len(succeeded_charges(database, account.id)) == before + 1
    assert_the_ledger_adds_up(database, account.id)


def cancel_the_webinar(client: FlaskClient, headers: dict[str, str]) -> None:
    """Initech holds GoToWebinar Standard: cancelled, a GoToWebinar may be added again."""
    webinar = next(
        item
        for item in client.get("/api/v1/subscriptions", headers=headers).json["items"]
        if item["product"] == "GoToWebinar"
    )
    cancelled = client.post(f"/api/v1/subscriptions/{webinar['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.json


def test_adds_paid_from_credit_at_once_spend_it_once(
    server: str, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    account = initech(database)
    path = f"/api/v1/subscriptions/{business_subscription(client, peter)}/change"
    reduced = client.post(path, json={"seats": 2}, headers=peter)
    assert reduced.status_code == 200, reduced.json
    credit = Decimal(client.get("/api/v1/balance", headers=peter).json["credit"])
    assert credit > 0
    cancel_the_webinar(client, peter)
    add = {"plan": "GoToWebinar Pro", "seats": 1}

    answers = at_once(8, lambda _i: call(server, "POST", "/api/v1/subscriptions", peter, add))

    assert [status for status, _body in answers].count(201) == 1, answers
    with database.session() as session:
        paid_from_credit = list(
            session.scalars(
                sa.select(Invoice).where(
                    Invoice.account_id == account.id, Invoice.credit_applied > 0
                )
            )
        )
    assert len(paid_from_credit) == 1, "the credit paid one invoice, once"
    left = Decimal(client.get("/api/v1/balance", headers=peter).json["credit"])
    assert left == credit - paid_from_credit[0].credit_applied >= 0
    assert_the_ledger_adds_up(database, account.id)


def test_five_adds_of_one_product_at_once_make_one_subscription(
    server: str, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    account = initech(database)
    cancel_the_webinar(client, peter)
    before = len(succeeded_charges(database, account.id))
    add = {"plan": "GoToWebinar Pro", "seats": 1}

    answers = at_once(5, lambda _i: call(server, "POST", "/api/v1/subscriptions", peter, add))

    assert [status for status, _body in answers].count(201) == 1, answers
    assert len(succeeded_charges(database, account.id)) == before + 1
    active = sorted(
        item["plan"]
        for item in client.get("/api/v1/subscriptions", headers=peter).json["items"]
        if item["status"] == "active"
    )
    assert active == ["GoToMeeting Business", "GoToWebinar Pro"]
    assert_the_ledger_adds_up(database, account.id)


def test_concurrent_reactivations_charge_once(
    server: str, client: FlaskClient, demo: None, database: Database
) -> None:
    peter = api_token(client, "peter@initech.example")
    account = initech(database)
    subscription_id = business_subscription(client, peter)
    with database.session() as session:
        subscription = session.get(Subscription, subscription_id)
        assert subscription is not None
        subscription.status = "expired"  # what the end of a grace period leaves
    before = len(succeeded_charges(database, account.id))
    path = f"/api/v1/subscriptions/{subscription_id}/reactivate"

    answers = at_once(6, lambda _i: call(server, "POST", path, peter, {}))

    assert [status for status, _body in answers].count(200) == 1, answers
    assert len(succeeded_charges(database, account.id)) == before + 1
    assert_the_ledger_adds_up(database, account.id)


class HiddenFields(HTMLParser):
    """The hidden fields of a page's forms, as a browser would post them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.fields[str(found["name"])] = str(found.get("value") or "")


def test_a_double_click_on_a_page_form_is_one_change(
    server: str, client: FlaskClient, demo: None, database: Database
) -> None:
    account = initech(database)
    subscription_id = business_subscription(client, api_token(client, "peter@initech.example"))
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def post(path: str, fields: dict[str, str]) -> str:
        page = browser.open(f"{server}{path}", data=urllib.parse.urlencode(fields).encode())
        return str(page.read().decode())

    login = HiddenFields(browser.open(f"{server}/login").read().decode()).fields
    post("/login", {**login, "email": "peter@initech.example", "password": "demo-password"})
    listing = HiddenFields(browser.open(f"{server}/billing/").read().decode()).fields
    preview = post(
        f"/billing/subscriptions/{subscription_id}/preview",
        {"csrf_token": listing["csrf_token"], f"s{subscription_id}-seats": "12"},
    )
    confirm = HiddenFields(preview).fields
    assert "form_token" in confirm and confirm.get("seats") == "12", confirm
    before = len(succeeded_charges(database, account.id))
    change = f"/billing/subscriptions/{subscription_id}/change"

    pages = at_once(2, lambda _i: (200, {"page": post(change, confirm)}))

    # Both clicks land on the subscriptions page saying it is done; one change was made.
    assert all("Your subscription is changed." in body["page"] for _status, body in pages)
    assert len(succeeded_charges(database, account.id)) == before + 1
    with database.session() as session:
        subscription = session.get(Subscription, subscription_id)
        assert subscription is not None and subscription.seats == 12
    assert_the_ledger_adds_up(database, account.id)
