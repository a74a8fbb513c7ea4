"""A question for the customer and the answer; cancelling from the request page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import PurchaseOrder, PurchaseOrderRevision
from tests.conftest import WorkerThread
from tests.pages.support import (
    act,
    confirm_step,
    field_errors,
    flashes,
    follow,
    new_request,
    po_id_by_number,
    read_form,
    shown_status,
    signed_in,
)
from tests.support import login, post_form, request_status

# -- a question for the customer and the answer ----------------------------------------------


def test_request_info_loop_through_the_pages(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    request_id = new_request(client, po_id_by_number(client, "ACME-PO-2026-001"))
    tess = signed_in(app, "tess@logmein.example")
    follow(tess, act(tess, request_id, "claim"))

    question = "Which cost centre should the thirty new seats go to?"
    asked = follow(tess, act(tess, request_id, "request-info", question))
    assert "Your question was sent to the customer." in flashes(asked.text)
    # For the technician the customer is who is waited for; for the customer, it is them.
    assert shown_status(asked.text) == "Waiting for the customer"
    assert request_status(database, request_id) == "waiting_for_customer"

    page_url = f"/requests/{request_id}"
    page = client.get(page_url)
    assert shown_status(page.text) == "Waiting for you"
    box = page.text.split('<section class="card attention">', 1)[1].split("</section>", 1)[0]
    assert "The technician needs more information" in box
    assert question in box, "the question is where the answer is asked for"
    assert "Tess Nguyen asked on" in box
    answer_form = read_form(page.text, f"{page_url}/provide-info")
    assert set(answer_form) == {"csrf_token", "text"}

    # An empty answer is refused beside its field, and the question still waits.
    empty = post_form(client, page_url, f"{page_url}/provide-info", {"text": " "})
    assert empty.status_code == 400
    assert "Please correct the highlighted fields." in flashes(empty.text)
    assert field_errors(empty.text) == {"text": "This field is required."}
    assert question in empty.text
    assert request_status(database, request_id) == "waiting_for_customer"

    answer = "Cost centre 4711, Lyon office"
    answered = follow(
        client, post_form(client, page_url, f"{page_url}/provide-info", {"text": answer})
    )
    assert "Your answer was sent to the technician." in flashes(answered.text)
    assert shown_status(answered.text) == "In review"
    assert "The technician needs more information" not in answered.text
    assert f'action="{page_url}/provide-info"' not in answered.text
    timeline = answered.text.split('<ol class="timeline">', 1)[1]
    assert "Question for the customer" in timeline
    assert question in timeline
    assert "Customer answered" in timeline
    assert answer in timeline
    assert request_status(database, request_id) == "in_review"

    task = tess.get(f"/console/tasks/{request_id}")
    assert answer in task.text
    assert shown_status(task.text) == "In review"


# -- cancelling from the request page ---------------------------------------------------------


def test_cancel_from_the_request_page(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    po_id = po_id_by_number(client, "ACME-PO-2026-001")
    request_id = new_request(client, po_id)
    page_url = f"/requests/{request_id}"

    page = client.get(page_url)
    assert "Cancel this request" in page.text
    assert set(read_form(page.text, f"{page_url}/cancel")) == {"csrf_token", "text"}

    asked = post_form(client, page_url, f"{page_url}/cancel", {"text": "Ordered by mistake"})
    assert "Cancel request #" in asked.text and request_status(database, request_id) != "cancelled"
    cancelled = follow(client, confirm_step(client, asked))
    assert f"Request #{request_id} is cancelled." in flashes(cancelled.text)
    assert shown_status(cancelled.text) == "Cancelled"
    assert "Cancel this request" not in cancelled.text
    assert f'action="{page_url}/cancel"' not in cancelled.text
    assert "Ordered by mistake" in cancelled.text
    assert request_status(database, request_id) == "cancelled"

    # A second cancel (an old tab) is refused with a message and changes nothing.
    again = follow(client, confirm_step(client, post_form(client, "/", f"{page_url}/cancel", {})))
    cancelled_message = "This request was cancelled: there is nothing left to decide."
    assert cancelled_message in flashes(again.text)
    assert shown_status(again.text) == "Cancelled"

    assert f'href="{page_url}"' not in client.get("/").text
    tess = signed_in(app, "tess@logmein.example")
    task = tess.get(f"/console/tasks/{request_id}")
    assert shown_status(task.text) == "Cancelled"
    assert f'action="/console/tasks/{request_id}/claim"' not in task.text
    # A claim from a tab opened before: told it was cancelled, not "already decided".
    stale = follow(tess, act(tess, request_id, "claim"))
    assert cancelled_message in flashes(stale.text)
    with database.session() as session:
        assert (
            session.scalar(
                sa.select(sa.func.count(PurchaseOrderRevision.id)).where(
                    PurchaseOrderRevision.purchase_order_id == po_id
                )
            )
            == 1
        )
        assert session.get(PurchaseOrder, po_id) is not None
