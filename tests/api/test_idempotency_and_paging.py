"""One idempotency key, one request (even submitted at once); the queue pages through many."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import BillingRequest, User
from tests.api.support import (
    ALICE,
    edit_payload,
    post_request,
    purchase_orders,
    request_count,
    token,
)
from tests.conftest import WorkerThread
from tests.support import api_token, login


def test_same_idempotency_key_gives_the_same_request(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    po = purchase_orders(client, alice)[0]
    body = {"type": "po_edit", "payload": edit_payload(po), "idempotency_key": "edit-42"}

    first = post_request(client, alice, body)
    second = post_request(client, alice, body)

    assert first.status_code == 202, first.json
    assert second.status_code == 202, second.json
    assert second.json["id"] == first.json["id"]
    assert request_count(database) == 1
    with database.session() as session:
        row = session.scalar(sa.select(BillingRequest))
        assert row is not None
        assert row.idempotency_key == "edit-42"
    listed = client.get("/api/v1/requests", headers=alice).json["items"]
    assert [item["id"] for item in listed] == [first.json["id"]]


def test_concurrent_submissions_with_one_idempotency_key_store_one_request(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    po = purchase_orders(client, alice)[0]
    body = {"type": "po_edit", "payload": edit_payload(po), "idempotency_key": "double-click"}

    def submit(_: int) -> tuple[int, int]:
        response = post_request(app.test_client(), alice, body)
        return response.status_code, response.json.get("id")

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(submit, range(3)))
    assert {status for status, _ in results} == {202}
    assert len({request_id for _, request_id in results}) == 1
    assert request_count(database) == 1


def test_queue_pages_through_many_requests_oldest_first(
    client: FlaskClient, app: Any, database: Database, demo: None
) -> None:
    """Thirty pending requests: 25 on the first page, 5 on the second, each page linked."""
    with database.session() as session:
        alice = session.scalar(sa.select(User).where(User.email == "alice@acme.example"))
        assert alice is not None and alice.account_id is not None
        for index in range(30):
            session.add(
                BillingRequest(
                    account_id=alice.account_id,
                    requester_id=alice.id,
                    type="po_edit",
                    payload={
                        "purchase_order_id": 1,
                        "changes": {"notes": str(index)},
                        "reason": "r",
                    },
                    timeline=[],
                )
            )
    tess = api_token(client, "tess@logmein.example")
    first = client.get("/api/v1/tasks?limit=25", headers=tess).json
    second = client.get(f"/api/v1/tasks?limit=25&cursor={first['next_cursor']}", headers=tess).json
    assert (len(first["items"]), len(second["items"]), second["next_cursor"]) == (25, 5, None)
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert ids == sorted(ids)
    browser = app.test_client()
    login(browser, "tess@logmein.example")
    page_one = browser.get("/console/")
    assert page_one.status_code == 200
    assert "page=2" in page_one.text
    page_two = browser.get("/console/?page=2")
    assert page_two.status_code == 200 and "page=1" in page_two.text
