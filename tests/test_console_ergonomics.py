"""The technicians' queue: review deadlines with overdue marking, saved filters, bulk approval of
form requests (each its own decision in its own workflow, each result shown)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.db import Database
from portal.models import BillingRequest
from tests.conftest import WorkerThread
from tests.support import api_token, csrf_token, login, request_status, wait_for

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


def submit(client: FlaskClient, headers: dict[str, str], request_type: str, payload: dict) -> int:
    response = client.post(
        "/api/v1/requests", json={"type": request_type, "payload": payload}, headers=headers
    )
    assert response.status_code == 202, response.json
    return int(response.json["id"])


def technician(app: Flask) -> FlaskClient:
    browser = app.test_client()
    login(browser, "tess@logmein.example")
    return browser


def test_queue_shows_review_deadlines_and_saved_filters(
    client: FlaskClient, app: Flask, running: WorkerThread, database: Database
) -> None:
    alice = api_token(client, "alice@acme.example")
    form = {"form": "w9", "details": "For our vendor file"}
    fresh, late = (
        submit(client, alice, "form_request", form),
        submit(client, alice, "form_request", form),
    )
    with database.session() as session:
        row = session.get(BillingRequest, late)
        assert row is not None
        row.created_at = clock.now() - timedelta(hours=3)  # the review SLA in tests is one hour
        row.escalated = True
    page = technician(app).get("/console/").text
    assert "Review due" in page
    late_row = page[page.index(f">#{late}<") :].split("</tr>")[0]
    fresh_row = page[page.index(f">#{fresh}<") :].split("</tr>")[0]
    assert "overdue by 2 hours" in late_row  # submitted 3 hours ago, the SLA is 1 hour
    assert re.search(r"in (59|60) minutes", fresh_row)
    assert page.count("overdue ") >= 1 and 'class="escalated overdue"' in page
    escalated = technician(app).get("/console/?escalated=1").text
    assert f"#{late}" in escalated and f"#{fresh}<" not in escalated
    for label in ("Mine", "Unassigned", "Escalated"):
        assert label in page


def test_bulk_approval_decides_each_form_request_on_its_own(
    client: FlaskClient, app: Flask, running: WorkerThread, database: Database
) -> None:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    forms = [
        submit(client, alice, "form_request", {"form": "w9", "details": f"copy {n}"})
        for n in range(2)
    ]
    orders = client.get("/api/v1/purchase-orders", headers=alice).json["items"]
    edit = submit(
        client,
        alice,
        "po_edit",
        {"purchase_order_id": orders[0]["id"], "changes": {"notes": "n"}, "reason": "r"},
    )
    unclaimed = submit(client, alice, "form_request", {"form": "vendor_form", "details": "later"})
    for request_id in [*forms, edit]:
        assert (
            client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=tess).status_code
            == 200
        )
    browser = technician(app)
    page = browser.get("/console/").text
    for request_id in forms:
        assert f'name="request_id" value="{request_id}"' in page
    for request_id in (edit, unclaimed):  # not a form request / not claimed by her: no box
        assert f'name="request_id" value="{request_id}"' not in page

    answer = browser.post(
        "/console/bulk-approve",
        data={"csrf_token": csrf_token(page), "request_id": [*map(str, forms), str(edit)]},
        follow_redirects=True,
    )
    assert answer.status_code == 200
    for request_id in forms:
        assert f"#{request_id}: Approved." in answer.text
    assert f"#{edit}: Only form requests are approved in bulk." in answer.text
    for request_id in forms:
        wait_for(
            lambda request_id=request_id: request_status(database, request_id) == "completed",
            what="form",
        )
    assert request_status(database, edit) == "in_review"
    with database.session() as session:
        results = session.scalars(
            sa.select(BillingRequest.result).where(BillingRequest.id.in_(forms))
        )
        assert all(result and result.get("document_id") for result in results)
    no_token = browser.post("/console/bulk-approve", data={"request_id": str(unclaimed)})
    assert no_token.status_code == 400
