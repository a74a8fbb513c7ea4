"""Calling the JSON API in the tests: tokens, purchase orders, submitting and acting on requests,
what the database holds of them, and the shape of an error."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import BillingRequest, PurchaseOrderRevision
from tests.support import api_token

Headers = dict[str, str]

ALICE = "alice@acme.example"
BOB = "bob@acme.example"
CHLOE = "chloe@globex.example"
TESS = "tess@logmein.example"
THEO = "theo@logmein.example"
SAM = "sam@logmein.example"


# -- the rules' helpers ---------------------------------------------------------------------


def token(client: FlaskClient, email: str) -> Headers:
    """Bearer headers; English replies, since a few assertions read the error's wording."""
    return {**api_token(client, email), "Accept-Language": "en"}


def purchase_orders(client: FlaskClient, headers: Headers) -> list[dict[str, Any]]:
    response = client.get("/api/v1/purchase-orders", headers=headers)
    assert response.status_code == 200, response.json
    items: list[dict[str, Any]] = response.json["items"]
    return items


def edit_payload(po: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "purchase_order_id": po["id"],
        "changes": {
            "po_number": f"{po['po_number']}-B",
            "lines": [{"line_id": 1, "quantity": 150}],
        },
        "reason": "Thirty more seats for the Lyon office",
    }
    payload.update(overrides)
    return payload


def post_request(client: FlaskClient, headers: Headers, body: Any) -> Any:
    return client.post("/api/v1/requests", json=body, headers=headers)


def submit_edit(client: FlaskClient, alice: Headers) -> int:
    po = purchase_orders(client, alice)[0]
    response = post_request(client, alice, {"type": "po_edit", "payload": edit_payload(po)})
    assert response.status_code == 202, response.json
    assert response.json["status"] == "submitted"
    request_id: int = response.json["id"]
    return request_id


def act(client: FlaskClient, headers: Headers, request_id: int, verb: str, **body: Any) -> Any:
    return client.post(f"/api/v1/tasks/{request_id}/{verb}", json=body, headers=headers)


def claimed_edit(client: FlaskClient, alice: Headers, tess: Headers) -> int:
    request_id = submit_edit(client, alice)
    claimed = act(client, tess, request_id, "claim")
    assert claimed.status_code == 200, claimed.json
    assert claimed.json["status"] == "in_review"
    return request_id


def request_count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(BillingRequest)) or 0


def revision_count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(PurchaseOrderRevision)) or 0


def stored_request(database: Database, request_id: int) -> dict[str, Any]:
    with database.session() as session:
        row = session.get(BillingRequest, request_id)
        assert row is not None
        return {
            "status": row.status,
            "assignee_id": row.assignee_id,
            "events": [event["event"] for event in row.timeline],
            "version": row.version,
        }


def user_id(client: FlaskClient, headers: Headers) -> int:
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.json
    value: int = response.json["id"]
    return value


def assert_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.is_json, response.get_data(as_text=True)
    body: dict[str, Any] = response.json
    assert isinstance(body.get("error"), str) and body["error"], body
    return body


def assert_refused(
    client: FlaskClient, database: Database, headers: Headers, body: Any, field: str
) -> dict[str, Any]:
    requests_before, revisions_before = request_count(database), revision_count(database)
    response = post_request(client, headers, body)
    error = assert_error(response, 400)
    assert field in error.get("fields", {}), error
    assert request_count(database) == requests_before
    assert revision_count(database) == revisions_before
    return error


# -- the request types' helpers ---------------------------------------------------------------


def submit(
    client: FlaskClient, headers: dict[str, str], request_type: str, payload: dict[str, Any]
) -> Any:
    return client.post(
        "/api/v1/requests", json={"type": request_type, "payload": payload}, headers=headers
    )


def submitted_id(
    client: FlaskClient, headers: dict[str, str], request_type: str, payload: dict[str, Any]
) -> int:
    response = submit(client, headers, request_type, payload)
    assert response.status_code == 202, response.json
    return int(response.json["id"])


def claim_and_approve(
    client: FlaskClient, staff: dict[str, str], request_id: int, **body: Any
) -> Any:
    claimed = client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=staff)
    assert claimed.status_code == 200, claimed.json
    return client.post(f"/api/v1/tasks/{request_id}/approve", json=body, headers=staff)


def detail(client: FlaskClient, headers: dict[str, str], request_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/requests/{request_id}", headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json
    return body


def count_requests(database: Database) -> int:
    with database.session() as session:
        return session.scalar(sa.select(sa.func.count(BillingRequest.id))) or 0
