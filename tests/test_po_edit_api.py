"""The purchase-order edit through the JSON API, on a real Temporal server and worker."""

from __future__ import annotations

import asyncio
from typing import Any

from flask.testing import FlaskClient
from temporalio.client import Client

from portal.config import TemporalSettings
from portal.db import Database
from tests.conftest import WorkerThread
from tests.support import api_token, request_status, wait_for


def first_po(client: FlaskClient, headers: dict[str, str]) -> dict:
    response = client.get("/api/v1/purchase-orders", headers=headers)
    assert response.status_code == 200
    return response.json["items"][0]


def submit_edit(client: FlaskClient, headers: dict[str, str], po: dict, **extra) -> object:
    payload = {
        "purchase_order_id": po["id"],
        "changes": {"po_number": "ACME-PO-2026-001-B", "lines": [{"line_id": 1, "quantity": 150}]},
        "reason": "Thirty more seats for the Lyon office",
    }
    return client.post(
        "/api/v1/requests", json={"type": "po_edit", "payload": payload, **extra}, headers=headers
    )


def test_contact_edit_is_claimed_approved_and_applied_once(
    client: FlaskClient,
    running: WorkerThread,
    database: Database,
    temporal_settings: TemporalSettings,
    mailbox: Any,
) -> None:
    alice = api_token(client, "alice@acme.example")
    tess = api_token(client, "tess@logmein.example")
    po = first_po(client, alice)

    submitted = submit_edit(client, alice, po)
    assert submitted.status_code == 202, submitted.json
    request_id = submitted.json["id"]
    assert submitted.json["status"] == "submitted"

    queue = client.get("/api/v1/tasks?status=submitted", headers=tess).json
    assert request_id in [item["id"] for item in queue["items"]]
    task = client.get(f"/api/v1/tasks/{request_id}", headers=tess).json
    assert {
        "field": "po_number",
        "before": "ACME-PO-2026-001",
        "after": "ACME-PO-2026-001-B",
        "applied": None,
    } in task["proposed_change"]
    assert task["proposed_change"][0] == {
        "field": "Purchase order",
        "before": "ACME-PO-2026-001, revision 1",
        "after": "Revision 2",
        "applied": None,
    }

    claimed = client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=tess)
    assert claimed.status_code == 200, claimed.json
    assert claimed.json["status"] == "in_review"
    assert claimed.json["assignee"]["name"] == "Tess Nguyen"

    approved = client.post(
        f"/api/v1/tasks/{request_id}/approve", json={"comment": "OK"}, headers=tess
    )
    assert approved.status_code == 200, approved.json
    wait_for(lambda: request_status(database, request_id) == "completed", what="completion")

    detail = client.get(f"/api/v1/requests/{request_id}", headers=alice).json
    assert detail["result"]["purchase_order_id"] == po["id"]
    assert detail["result"]["revision"] == 2
    # What was asked and what was written stay on the request, whatever happens to the PO next.
    assert detail["changes"][0] == {
        "field": "Purchase order",
        "before": "ACME-PO-2026-001, revision 1",
        "after": "Revision 2",
        "applied": "Revision 2",
    }
    assert {
        "field": "po_number",
        "before": "ACME-PO-2026-001",
        "after": "ACME-PO-2026-001-B",
    }.items() <= next(
        change for change in detail["changes"] if change["field"] == "po_number"
    ).items()
    assert [e["event"] for e in detail["timeline"]] == [
        "submitted",
        "claimed",
        "approved",
        "completed",
    ]

    after = client.get(f"/api/v1/purchase-orders/{po['id']}", headers=alice).json
    assert after["po_number"] == "ACME-PO-2026-001-B"
    assert after["lines"][0]["quantity"] == 150
    assert [r["revision"] for r in after["revisions"]] == [2, 1]
    assert after["revisions"][1]["po_number"] == "ACME-PO-2026-001"

    # Alice was told by e-mail, over SMTP, with a link to her request.
    mails = wait_for(
        lambda: [m for m in mailbox.to("alice@acme.example") if f"#{request_id}" in m["Subject"]]
    )
    assert f"/requests/{request_id}" in mails[-1].get_content()

    again = client.post(f"/api/v1/tasks/{request_id}/approve", json={}, headers=tess)
    assert again.status_code == 409
    assert "error" in again.json

    # Operators find it in Temporal by its search attributes.
    async def completed_workflow_ids() -> list[str]:
        temporal = await Client.connect(temporal_settings.address)
        query = (
            f"BillingRequestStatus = 'completed' AND BillingRequestType = 'po_edit' "
            f"AND BillingAccountId = {detail['account_id']}"
        )
        return [execution.id async for execution in temporal.list_workflows(query)]

    wait_for(
        lambda: f"request-{request_id}" in asyncio.run(completed_workflow_ids()), what="visibility"
    )
