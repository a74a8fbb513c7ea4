"""The JSON API's rules: who may do what (403/404/409/401) and what bad input is refused (400),
each time checking that nothing was stored and nothing changed. Real Temporal, real worker."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import BillingRequest, PurchaseOrderRevision, User
from tests.conftest import WorkerThread, api_token, login, request_status, wait_for

Headers = dict[str, str]

ALICE = "alice@acme.example"
BOB = "bob@acme.example"
CHLOE = "chloe@globex.example"
TESS = "tess@logmein.example"
THEO = "theo@logmein.example"
SAM = "sam@logmein.example"


# -- helpers ---------------------------------------------------------------------------------


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


# -- 1. authorization and state rules ----------------------------------------------------------


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


def test_technician_cannot_approve_a_task_claimed_by_another(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    theo = token(client, THEO)
    request_id = claimed_edit(client, alice, tess)
    before = stored_request(database, request_id)

    refused = act(client, theo, request_id, "approve", comment="Looks fine")
    assert_error(refused, 403)

    assert stored_request(database, request_id) == before
    assert request_status(database, request_id) == "in_review"
    detail = client.get(f"/api/v1/requests/{request_id}", headers=alice).json
    assert detail["status"] == "in_review"
    assert detail["assignee"]["name"] == "Tess Nguyen"
    assert "approved" not in [event["event"] for event in detail["timeline"]]


def test_approving_an_unclaimed_task_is_a_conflict(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    request_id = submit_edit(client, alice)
    revisions = revision_count(database)

    refused = assert_error(act(client, tess, request_id, "approve", comment="OK"), 409)
    assert "claim" in refused["error"].lower()

    after = stored_request(database, request_id)
    assert after["status"] == "submitted"
    assert after["assignee_id"] is None
    assert after["events"] == ["submitted"]
    assert revision_count(database) == revisions


def test_double_approval_gives_one_success_and_one_conflict(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    request_id = claimed_edit(client, alice, tess)
    revisions = revision_count(database)

    def approve(_: int) -> int:
        response = act(app.test_client(), tess, request_id, "approve", comment="OK")
        if response.status_code != 200:
            assert_error(response, response.status_code)
        status: int = response.status_code
        return status

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(approve, range(2)))
    assert statuses == [200, 409]

    wait_for(lambda: request_status(database, request_id) == "completed", what="completion")
    events = stored_request(database, request_id)["events"]
    assert events.count("approved") == 1
    assert events.count("completed") == 1
    # The change was applied once: one new revision.
    assert revision_count(database) == revisions + 1


def test_cancel_after_approval_and_after_completion_is_a_conflict(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    request_id = claimed_edit(client, alice, tess)
    approved = act(client, tess, request_id, "approve", comment="OK")
    assert approved.status_code == 200, approved.json

    after_approval = client.post(f"/api/v1/requests/{request_id}/cancel", json={}, headers=alice)
    assert_error(after_approval, 409)

    wait_for(lambda: request_status(database, request_id) == "completed", what="completion")
    after_completion = client.post(
        f"/api/v1/requests/{request_id}/cancel", json={"reason": "Too late?"}, headers=alice
    )
    assert_error(after_completion, 409)

    detail = client.get(f"/api/v1/requests/{request_id}", headers=alice).json
    assert detail["status"] == "completed"
    assert "cancelled" not in [event["event"] for event in detail["timeline"]]


def test_contact_cancels_a_submitted_request_then_it_cannot_be_claimed(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    request_id = submit_edit(client, alice)

    cancelled = client.post(
        f"/api/v1/requests/{request_id}/cancel", json={"reason": "Not needed"}, headers=alice
    )
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == "cancelled"
    assert request_status(database, request_id) == "cancelled"
    assert cancelled.json["timeline"][-1]["event"] == "cancelled"
    assert cancelled.json["timeline"][-1]["note"] == "Not needed"

    refused = assert_error(act(client, tess, request_id, "claim"), 409)
    assert "already been decided" in refused["error"]
    after = stored_request(database, request_id)
    assert after["status"] == "cancelled"
    assert after["assignee_id"] is None
    assert after["events"] == ["submitted", "cancelled"]


def test_reject_without_reason_is_refused(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    request_id = claimed_edit(client, alice, tess)
    before = stored_request(database, request_id)

    for body in ({}, {"reason": ""}, {"reason": "   "}):
        refused = act(client, tess, request_id, "reject", **body)
        error = assert_error(refused, 400)
        assert "reason" in error["fields"], error

    assert stored_request(database, request_id) == before
    assert before["status"] == "in_review"


def test_question_and_answer_round_trip(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    request_id = claimed_edit(client, alice, tess)

    asked = act(client, tess, request_id, "request-info", question="Which cost centre?")
    assert asked.status_code == 200, asked.json
    assert asked.json["status"] == "waiting_for_customer"
    assert request_status(database, request_id) == "waiting_for_customer"

    answered = client.post(
        f"/api/v1/requests/{request_id}/provide-info",
        json={"message": "Cost centre 4410"},
        headers=alice,
    )
    assert answered.status_code == 200, answered.json
    assert answered.json["status"] == "in_review"
    assert request_status(database, request_id) == "in_review"

    detail = client.get(f"/api/v1/requests/{request_id}", headers=alice).json
    timeline = {event["event"]: event for event in detail["timeline"]}
    assert timeline["info_requested"]["note"] == "Which cost centre?"
    assert timeline["info_requested"]["actor"] == "Tess Nguyen"
    assert timeline["info_provided"]["note"] == "Cost centre 4410"
    assert timeline["info_provided"]["actor"] == "Alice Martin"
    assert [event["event"] for event in detail["timeline"]] == [
        "submitted",
        "claimed",
        "info_requested",
        "info_provided",
    ]


def test_only_a_supervisor_can_reassign(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    theo = token(client, THEO)
    sam = token(client, SAM)
    theo_id = user_id(client, theo)
    request_id = claimed_edit(client, alice, tess)
    before = stored_request(database, request_id)

    refused = assert_error(act(client, tess, request_id, "reassign", assignee=theo_id), 403)
    assert "supervisor" in refused["error"]
    assert stored_request(database, request_id) == before

    reassigned = act(client, sam, request_id, "reassign", assignee=theo_id)
    assert reassigned.status_code == 200, reassigned.json
    assert reassigned.json["assignee"] == {"id": theo_id, "name": "Théo Laurent"}
    assert reassigned.json["status"] == "in_review"
    after = stored_request(database, request_id)
    assert after["assignee_id"] == theo_id
    assert after["events"][-1] == "reassigned"
    task = client.get(f"/api/v1/tasks/{request_id}", headers=theo).json
    assert task["assignee"]["name"] == "Théo Laurent"


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


# -- 2. bad input on POST /api/v1/requests -------------------------------------------------------


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
    first = client.get("/api/v1/tasks", headers=tess).json
    second = client.get("/api/v1/tasks?page=2", headers=tess).json
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (
        30,
        2,
        25,
        5,
    )
    ids = [item["id"] for item in first["items"] + second["items"]]
    assert ids == sorted(ids)
    browser = app.test_client()
    login(browser, "tess@logmein.example")
    page_one = browser.get("/console/")
    assert page_one.status_code == 200
    assert "page=2" in page_one.text
    page_two = browser.get("/console/?page=2")
    assert page_two.status_code == 200 and "page=1" in page_two.text
