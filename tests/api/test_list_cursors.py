"""Every list of the API pages with a cursor and syncs with `updated_since`: nothing is cut off,
nothing is shown twice, and a bad limit, cursor or moment is a 400 naming it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from portal import clock
from portal.db import Database
from portal.models import Account, BillingRequest, Invoice, Payment, PurchaseOrder
from tests.security.gates import TESS
from tests.support import api_token, login

ALICE, ACME = "alice@acme.example", "Acme Corporation"


def every_page(client: FlaskClient, url: str, headers: dict[str, str]) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        joiner = "&" if "?" in url else "?"
        answer = client.get(f"{url}{joiner}cursor={cursor}" if cursor else url, headers=headers)
        assert answer.status_code == 200, answer.json
        pages.append([item["id"] for item in answer.json["items"]])
        cursor = answer.json["next_cursor"]
        if cursor is None:
            return pages


def add_requests(database: Database, count: int) -> list[int]:
    """Requests straight into the read model (listing reads nothing else)."""
    with database.session() as session:
        acme = session.scalar(sa.select(Account).where(Account.name == ACME))
        assert acme is not None and acme.billing_contact is not None
        alice = acme.billing_contact
        rows = [
            BillingRequest(
                account_id=acme.id,
                requester_id=alice.id,
                type="account_inquiry",
                status="submitted",
                payload={"topic": "contract_copy", "message": f"copy {n}"},
                timeline=[],
            )
            for n in range(count)
        ]
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows]


def test_requests_page_newest_first_without_a_cap(
    client: FlaskClient, database: Database, demo: None
) -> None:
    ids = add_requests(database, 7)
    alice = api_token(client, ALICE)
    pages = every_page(client, "/api/v1/requests?limit=3", alice)
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [rid for page in pages for rid in page] == sorted(ids, reverse=True)
    # Two hundred and more: no silent cap any more.
    add_requests(database, 230)
    seen = [rid for page in every_page(client, "/api/v1/requests?limit=200", alice) for rid in page]
    assert len(seen) == len(set(seen)) == 237


def test_updated_since_lists_what_changed_oldest_first(
    client: FlaskClient, database: Database, demo: None
) -> None:
    alice = api_token(client, ALICE)
    first, second, third = add_requests(database, 3)
    later = clock.now() + timedelta(minutes=5)
    with database.session() as session:
        for request_id, moved in ((third, later), (first, later + timedelta(seconds=1))):
            session.execute(
                sa.update(BillingRequest)
                .where(BillingRequest.id == request_id)
                .values(updated_at=moved)
            )
        session.commit()
    since = later.isoformat().replace("+00:00", "Z")
    pages = every_page(client, f"/api/v1/requests?limit=1&updated_since={since}", alice)
    assert pages == [[third], [first]]
    assert second not in [rid for page in pages for rid in page]


def test_invoices_and_purchase_orders_page_too(
    client: FlaskClient, database: Database, demo: None
) -> None:
    alice = api_token(client, ALICE)
    with database.session() as session:
        acme = session.scalar(sa.select(Account.id).where(Account.name == ACME))
        invoices = session.scalars(sa.select(Invoice.id).where(Invoice.account_id == acme)).all()
        orders = session.scalars(
            sa.select(PurchaseOrder.id).where(PurchaseOrder.account_id == acme)
        ).all()
    assert len(invoices) >= 2 and len(orders) >= 2
    invoice_pages = every_page(client, "/api/v1/invoices?limit=1", alice)
    assert sorted(i for page in invoice_pages for i in page) == sorted(invoices)
    assert all(len(page) == 1 for page in invoice_pages)
    po_pages = every_page(client, "/api/v1/purchase-orders?limit=1", alice)
    assert sorted(i for page in po_pages for i in page) == sorted(orders)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=abc", "limit"),
        (f"limit={2**70}", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WzEsIG51bGxd&updated_since=2027-01-01", "cursor"),  # from a list without it
        ("updated_since=0000-01-01", "updated_since"),
        ("updated_since=yesterday", "updated_since"),
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/requests", "/api/v1/invoices", "/api/v1/purchase-orders"])
def test_a_bad_list_argument_is_a_400_naming_it(
    client: FlaskClient, demo: None, url: str, query: str, field: str
) -> None:
    answer: Any = client.get(f"{url}?{query}", headers=api_token(client, ALICE))
    assert answer.status_code == 400, answer.json
    assert list(answer.json["fields"]) == [field]


def test_a_new_revision_moves_its_purchase_order_into_updated_since(
    client: FlaskClient, database: Database, demo: None
) -> None:
    alice = api_token(client, ALICE)
    orders = client.get("/api/v1/purchase-orders", headers=alice).json["items"]
    newest = max(datetime.fromisoformat(item["updated_at"]) for item in orders)
    after_all = (newest + timedelta(milliseconds=1)).isoformat().replace("+00:00", "Z")
    since = f"/api/v1/purchase-orders?updated_since={after_all}"
    assert client.get(since, headers=alice).json["items"] == []
    with database.session() as session:
        # What applying an edit does first: it locks the order's row with an UPDATE.
        session.execute(
            sa.update(PurchaseOrder)
            .where(PurchaseOrder.id == orders[0]["id"])
            .values(id=PurchaseOrder.id)
        )
        session.commit()
    after = client.get(since, headers=alice).json["items"]
    assert [item["id"] for item in after] == [orders[0]["id"]]


def test_technicians_read_an_accounts_lists_by_naming_it(
    client: FlaskClient, database: Database, demo: None
) -> None:
    tess, alice = api_token(client, "tess@logmein.example"), api_token(client, ALICE)
    with database.session() as session:
        acme = session.scalar(sa.select(Account.id).where(Account.name == ACME))
    for url in ("/api/v1/purchase-orders", "/api/v1/invoices"):
        unnamed = client.get(url, headers=tess)
        assert unnamed.status_code == 400 and list(unnamed.json["fields"]) == ["account"]
        assert client.get(f"{url}?account=999999", headers=tess).status_code == 404
        theirs = client.get(f"{url}?account={acme}", headers=tess).json["items"]
        hers = client.get(url, headers=alice).json["items"]
        assert [item["id"] for item in theirs] == [item["id"] for item in hers] != []
        # A contact's `account` is her own, whatever she names.
        other = client.get(f"{url}?account={acme + 1}", headers=alice).json["items"]
        assert [item["id"] for item in other] == [item["id"] for item in hers]


LISTS = [
    "/api/v1/subscriptions",
    "/api/v1/payments",
    "/api/v1/tokens",
    "/api/v1/sessions",
    "/api/v1/webhooks",
    "/api/v1/tasks",
]


@pytest.mark.parametrize("url", LISTS)
def test_every_other_list_pages_with_a_cursor(
    client: FlaskClient, database: Database, demo: None, url: str
) -> None:
    """The short lists page too, one item at a time: the same items as one page, each once."""
    alice = api_token(client, ALICE)
    for _ in range(2):
        api_token(client, ALICE)  # more tokens
    for port in (9, 10):
        webhook = {"url": f"http://127.0.0.1:{port}/hooks", "events": ["request.updated"]}
        assert client.post("/api/v1/webhooks", json=webhook, headers=alice).status_code == 201
    add_requests(database, 3)
    with database.session() as session:
        acme = session.scalar(sa.select(Account).where(Account.name == ACME))
        assert acme is not None
        session.add_all(
            Payment(account_id=acme.id, amount=Decimal(n), currency="USD", status="succeeded")
            for n in (1, 2, 3)
        )
    for _browser in range(2):
        login(client.application.test_client(), ALICE)
    headers = api_token(client, TESS) if url == "/api/v1/tasks" else alice
    whole = client.get(f"{url}?limit=200", headers=headers).json
    assert whole["items"] and whole["next_cursor"] is None, whole
    one_by_one = [ids[0] for ids in every_page(client, f"{url}?limit=1", headers)]
    assert one_by_one == [item["id"] for item in whole["items"]]
    since = client.get(f"{url}?updated_since=2000-01-01T00:00:00Z", headers=headers)
    assert since.status_code == 200, since.json
    assert sorted(item["id"] for item in since.json["items"]) == sorted(one_by_one)
