"""Bad input on POST /api/v1/requests: refused with the field named (400), nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from portal.db import Database
from tests.api.support import (
    ALICE,
    CHLOE,
    assert_error,
    assert_refused,
    edit_payload,
    purchase_orders,
    request_count,
    token,
)
from tests.conftest import WorkerThread


def test_missing_purchase_order_id(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    payload = edit_payload(purchase_orders(client, alice)[0])
    del payload["purchase_order_id"]
    assert_refused(
        client, database, alice, {"type": "po_edit", "payload": payload}, "purchase_order_id"
    )


def test_unknown_purchase_order(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    payload = edit_payload(purchase_orders(client, alice)[0], purchase_order_id=999999)
    assert_refused(
        client, database, alice, {"type": "po_edit", "payload": payload}, "purchase_order_id"
    )


def test_another_accounts_purchase_order(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    globex_po = purchase_orders(client, token(client, CHLOE))[0]
    payload = edit_payload(globex_po)
    error = assert_refused(
        client, database, alice, {"type": "po_edit", "payload": payload}, "purchase_order_id"
    )
    # The refusal does not reveal anything about Globex's order.
    assert "GLX" not in str(error)


def test_negative_quantity(client: FlaskClient, running: WorkerThread, database: Database) -> None:
    alice = token(client, ALICE)
    po = purchase_orders(client, alice)[0]
    payload = edit_payload(po, changes={"lines": [{"line_id": 1, "quantity": -5}]})
    assert_refused(
        client, database, alice, {"type": "po_edit", "payload": payload}, "lines.0.quantity"
    )


def test_unknown_line_id(client: FlaskClient, running: WorkerThread, database: Database) -> None:
    alice = token(client, ALICE)
    po = purchase_orders(client, alice)[0]
    payload = edit_payload(po, changes={"lines": [{"line_id": 99, "quantity": 10}]})
    error = assert_refused(
        client, database, alice, {"type": "po_edit", "payload": payload}, "lines.0.line_id"
    )
    assert "lines.0.quantity" not in error["fields"]


@pytest.mark.parametrize("reason", ["", "   ", None], ids=["empty", "blank", "null"])
def test_empty_reason(
    client: FlaskClient, running: WorkerThread, database: Database, reason: str | None
) -> None:
    alice = token(client, ALICE)
    payload = edit_payload(purchase_orders(client, alice)[0], reason=reason)
    assert_refused(client, database, alice, {"type": "po_edit", "payload": payload}, "reason")


def test_reason_too_long(client: FlaskClient, running: WorkerThread, database: Database) -> None:
    alice = token(client, ALICE)
    payload = edit_payload(purchase_orders(client, alice)[0], reason="x" * 1001)
    assert_refused(client, database, alice, {"type": "po_edit", "payload": payload}, "reason")


def test_bill_to_too_long(client: FlaskClient, running: WorkerThread, database: Database) -> None:
    alice = token(client, ALICE)
    po = purchase_orders(client, alice)[0]
    payload = edit_payload(po, changes={"bill_to": "Acme " + "y" * 1000})
    assert_refused(client, database, alice, {"type": "po_edit", "payload": payload}, "bill_to")


@pytest.mark.parametrize("po_number", ["PO<script>", "PO;DROP", "-leading-dash", "PO\u00e9"])
def test_po_number_with_forbidden_characters(
    client: FlaskClient, running: WorkerThread, database: Database, po_number: str
) -> None:
    alice = token(client, ALICE)
    po = purchase_orders(client, alice)[0]
    payload = edit_payload(po, changes={"po_number": po_number})
    assert_refused(client, database, alice, {"type": "po_edit", "payload": payload}, "po_number")


def test_nothing_would_change(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    po = purchase_orders(client, alice)[0]
    same = {
        "po_number": po["po_number"],
        "bill_to": po["bill_to"],
        "notes": po["notes"],
        "lines": [
            {"line_id": line["line_id"], "quantity": line["quantity"]} for line in po["lines"]
        ],
    }
    payload = edit_payload(po, changes=same)
    assert_refused(client, database, alice, {"type": "po_edit", "payload": payload}, "changes")


@pytest.mark.parametrize("request_type", ["po_delete", "", None, 42])
def test_unknown_type(
    client: FlaskClient, running: WorkerThread, database: Database, request_type: Any
) -> None:
    alice = token(client, ALICE)
    payload = edit_payload(purchase_orders(client, alice)[0])
    assert_refused(client, database, alice, {"type": request_type, "payload": payload}, "type")


@pytest.mark.parametrize(
    "body", [[{"type": "po_edit"}], "po_edit", 42], ids=["list", "string", "number"]
)
def test_body_that_is_not_an_object(
    client: FlaskClient, running: WorkerThread, database: Database, body: Any
) -> None:
    alice = token(client, ALICE)
    assert_refused(client, database, alice, body, "body")


def test_malformed_json_body_is_refused_as_the_body(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    """A body that is not JSON at all is just as much "not a JSON object" as a list is."""
    alice = token(client, ALICE)
    for data, content_type in (("{not json", "application/json"), ("hello", "text/plain")):
        response = client.post(
            "/api/v1/requests", data=data, headers={**alice, "Content-Type": content_type}
        )
        error = assert_error(response, 400)
        assert "body" in error.get("fields", {}), (content_type, error)
    assert request_count(database) == 0
