"""Who may use what (403, 404, 401), each time checking that nothing was stored or changed."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from portal.db import Database
from tests.api.support import (
    ALICE,
    BOB,
    CHLOE,
    Headers,
    act,
    assert_error,
    edit_payload,
    post_request,
    purchase_orders,
    request_count,
    stored_request,
    submit_edit,
    token,
)
from tests.conftest import WorkerThread


def test_member_cannot_touch_billing_but_can_read_the_account(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    bob = token(client, BOB)
    po = purchase_orders(client, alice)[0]

    submitted = post_request(client, bob, {"type": "po_edit", "payload": edit_payload(po)})
    assert_error(submitted, 403)
    assert request_count(database) == 0

    assert_error(client.get("/api/v1/requests", headers=bob), 403)
    assert_error(client.get("/api/v1/purchase-orders", headers=bob), 403)
    assert_error(client.get(f"/api/v1/purchase-orders/{po['id']}", headers=bob), 403)

    account = client.get("/api/v1/account", headers=bob)
    assert account.status_code == 200, account.json
    assert account.json["name"] == "Acme Corporation"
    assert account.json["billing_contact"] == {"name": "Alice Martin", "email": ALICE}


def test_other_account_objects_are_not_found(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    chloe = token(client, CHLOE)
    request_id = submit_edit(client, alice)
    acme_po = purchase_orders(client, alice)[0]
    before = stored_request(database, request_id)

    assert_error(client.get(f"/api/v1/requests/{request_id}", headers=chloe), 404)
    assert_error(client.get(f"/api/v1/purchase-orders/{acme_po['id']}", headers=chloe), 404)
    cancelled = client.post(f"/api/v1/requests/{request_id}/cancel", json={}, headers=chloe)
    assert_error(cancelled, 404)

    assert stored_request(database, request_id) == before
    assert before["status"] == "submitted"
    mine = client.get("/api/v1/requests", headers=chloe)
    assert mine.status_code == 200
    assert mine.json["items"] == []


def test_billing_contact_cannot_use_the_technician_endpoints(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    request_id = submit_edit(client, alice)

    assert_error(client.get("/api/v1/tasks", headers=alice), 403)
    assert_error(client.get(f"/api/v1/tasks/{request_id}", headers=alice), 403)
    assert_error(act(client, alice, request_id, "claim"), 403)

    after = stored_request(database, request_id)
    assert after["status"] == "submitted"
    assert after["assignee_id"] is None
    assert after["events"] == ["submitted"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWxpY2U6ZGVtby1wYXNzd29yZA=="},
    ],
    ids=["missing", "invalid", "empty", "wrong-scheme"],
)
def test_missing_or_invalid_token_is_401(
    client: FlaskClient, running: WorkerThread, database: Database, headers: Headers
) -> None:
    for method, url in (
        ("get", "/api/v1/me"),
        ("get", "/api/v1/account"),
        ("get", "/api/v1/requests"),
        ("get", "/api/v1/tasks"),
        ("post", "/api/v1/requests"),
    ):
        if method == "post":
            response = client.post(url, json={"type": "po_edit", "payload": {}}, headers=headers)
        else:
            response = client.get(url, headers=headers)
        assert_error(response, 401)
    assert request_count(database) == 0
