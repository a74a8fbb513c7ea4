"""The purchase-order edit, from the form to the new revision, and the edit form's errors."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import BillingRequest, PurchaseOrderRevision
from tests.conftest import WorkerThread
from tests.pages.support import (
    act,
    field_errors,
    flashes,
    follow,
    po_id_by_number,
    queue_ids,
    read_form,
    request_count,
    shown_status,
    signed_in,
    submit_edit,
    submitted_request_id,
)
from tests.support import login, request_status, wait_for


def test_po_edit_flow_through_the_pages(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    listing = client.get("/purchase-orders/")
    assert listing.status_code == 200
    assert "ACME-PO-2026-001" in listing.text
    assert "ACME-PO-2026-002" in listing.text
    assert "GLX-BC-0042" not in listing.text
    po_id = po_id_by_number(client, "ACME-PO-2026-001")

    detail = client.get(f"/purchase-orders/{po_id}")
    assert detail.status_code == 200
    assert "Purchase order ACME-PO-2026-001" in detail.text
    for product in ("GoToMeeting Enterprise", "GoToWebinar Pro", "GoToMeeting Business"):
        assert product in detail.text
    assert '<td class="quantity">120</td>' in detail.text
    assert "Revision history" in detail.text
    assert "Revision 1" in detail.text
    assert f'href="/purchase-orders/{po_id}/edit"' in detail.text

    edit = client.get(f"/purchase-orders/{po_id}/edit")
    assert edit.status_code == 200
    fields = read_form(edit.text)
    assert set(fields) == {
        "csrf_token",
        "form_token",  # one per rendered form: a double click is one request
        "po_number",
        "bill_to",
        "lines-0-line_id",
        "lines-0-quantity",
        "lines-1-line_id",
        "lines-1-quantity",
        "lines-2-line_id",
        "lines-2-quantity",
        "notes",
        "reason",
    }
    assert fields["po_number"] == "ACME-PO-2026-001"
    assert fields["bill_to"] == "Acme Corporation\nAccounts Payable\nAttn: Alice Martin"
    assert [fields[f"lines-{i}-line_id"] for i in range(3)] == ["1", "2", "3"]
    assert [fields[f"lines-{i}-quantity"] for i in range(3)] == ["120", "5", "30"]
    assert fields["reason"] == ""

    sent = client.post(
        f"/purchase-orders/{po_id}/edit",
        data={
            **fields,
            "po_number": "ACME-PO-2026-001-B",
            "lines-0-quantity": "150",
            "reason": "Thirty more seats for the Lyon office",
        },
    )
    request_id = submitted_request_id(sent)
    mine = follow(client, sent)
    assert f"Your change was sent to a technician as request #{request_id}." in flashes(mine.text)
    assert f"Request #{request_id}" in mine.text
    assert shown_status(mine.text) == "Submitted"
    assert "Thirty more seats for the Lyon office" in mine.text
    assert request_status(database, request_id) == "submitted"
    with database.session() as session:
        row = session.get(BillingRequest, request_id)
        assert row is not None
        assert row.payload["changes"] == {
            "po_number": "ACME-PO-2026-001-B",
            "lines": [{"line_id": 1, "quantity": 150}],
        }
    home = client.get("/")
    assert f'href="/requests/{request_id}"' in home.text
    assert "Purchase-order edit" in home.text

    tess = signed_in(app, "tess@logmein.example")
    queue = tess.get("/console/")
    assert queue.status_code == 200
    assert request_id in queue_ids(queue.text)
    assert "Acme Corporation" in queue.text
    assert "Purchase-order edit" in queue.text

    task_url = f"/console/tasks/{request_id}"
    task = tess.get(task_url)
    assert task.status_code == 200
    assert "asked by Alice Martin" in task.text
    assert "unassigned" in task.text
    assert (
        '<td class="before">ACME-PO-2026-001</td><td class="after">ACME-PO-2026-001-B</td>'
        in task.text
    )
    assert re.search(
        r'<th scope="row">GoToMeeting Enterprise</th><td class="before">120</td>'
        r'<td class="after">150</td>',
        task.text,
    )
    assert "Bill-to address" not in task.text, "an unchanged field is shown as a change"
    assert "Thirty more seats for the Lyon office" in task.text
    assert f'action="{task_url}/claim"' in task.text
    assert f'action="{task_url}/approve"' not in task.text, "approve offered before claiming"

    claimed = follow(tess, act(tess, request_id, "claim"))
    assert f"You claimed request #{request_id}." in flashes(claimed.text)
    assert shown_status(claimed.text) == "In review"
    assert "assigned to Tess Nguyen" in claimed.text
    assert f'action="{task_url}/approve"' in claimed.text
    assert request_status(database, request_id) == "in_review"

    approved = follow(tess, act(tess, request_id, "approve", "Looks right, approved"))
    assert f"Request #{request_id} is approved." in flashes(approved.text)
    wait_for(lambda: request_status(database, request_id) == "completed", what="completion")

    done = client.get(f"/requests/{request_id}")
    assert done.status_code == 200
    assert shown_status(done.text) == "Completed"
    assert "Handled by Tess Nguyen" in done.text
    assert "See the purchase order (revision 2)" in done.text
    assert "Looks right, approved" in done.text
    assert "Change applied" in done.text
    assert "Cancel this request" not in done.text

    after = client.get(f"/purchase-orders/{po_id}")
    assert "Purchase order ACME-PO-2026-001-B" in after.text
    assert '<td class="quantity">150</td>' in after.text
    assert "<dd>2</dd>" in after.text
    history = after.text.split("Revision history", 1)[1]
    assert "Revision 2" in history
    assert "Revision 1" in history
    assert history.index("Revision 2") < history.index("Revision 1")
    assert "ACME-PO-2026-001 ·" in history, "revision 1 no longer shows its PO number"
    assert f"request #{request_id}" in history
    with database.session() as session:
        revisions = session.scalars(
            sa.select(PurchaseOrderRevision)
            .where(PurchaseOrderRevision.purchase_order_id == po_id)
            .order_by(PurchaseOrderRevision.number)
        ).all()
        assert [(r.number, r.po_number) for r in revisions] == [
            (1, "ACME-PO-2026-001"),
            (2, "ACME-PO-2026-001-B"),
        ]


def test_unchanged_bill_to_sent_by_a_browser_is_not_a_change(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    """Browsers submit a textarea's line breaks as CRLF; an untouched address is no change."""
    login(client, "alice@acme.example")
    po_id = po_id_by_number(client, "ACME-PO-2026-001")
    fields = read_form(client.get(f"/purchase-orders/{po_id}/edit").text)
    as_browser_sends = {
        name: value.replace("\n", "\r\n") if name in ("bill_to", "notes", "reason") else value
        for name, value in fields.items()
    }
    request_id = submitted_request_id(
        client.post(
            f"/purchase-orders/{po_id}/edit",
            data={**as_browser_sends, "lines-0-quantity": "150", "reason": "More seats"},
        )
    )
    with database.session() as session:
        row = session.get(BillingRequest, request_id)
        assert row is not None
        assert row.payload["changes"] == {"lines": [{"line_id": 1, "quantity": 150}]}
    tess = signed_in(app, "tess@logmein.example")
    assert "Bill-to address" not in tess.get(f"/console/tasks/{request_id}").text


def test_a_double_click_on_the_edit_form_sends_one_request(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    po_id = po_id_by_number(client, "ACME-PO-2026-001")
    fields = read_form(client.get(f"/purchase-orders/{po_id}/edit").text)
    assert fields.get("form_token"), "the form carries a one-time token"
    posted = {**fields, "lines-0-quantity": "150", "reason": "More seats"}

    first = submitted_request_id(client.post(f"/purchase-orders/{po_id}/edit", data=posted))
    second = submitted_request_id(client.post(f"/purchase-orders/{po_id}/edit", data=posted))

    assert first == second
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count(BillingRequest.id))) == 1


# -- the edit form's errors -------------------------------------------------------------------


def test_edit_form_errors_keep_the_input_and_store_nothing(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    po_id = po_id_by_number(client, "ACME-PO-2026-001")
    new_address = "Acme Corporation\nAccounts Payable, Suite 200\nAttn: Alice Martin"

    negative = submit_edit(
        client,
        po_id,
        bill_to=new_address,
        reason="Fewer webinar seats",
        **{"lines-1-quantity": "-5"},
    )
    assert negative.status_code == 400
    assert "Please correct the highlighted fields." in flashes(negative.text)
    errors = field_errors(negative.text)
    assert set(errors) == {"lines-1-quantity"}
    assert errors["lines-1-quantity"] == "A whole number from 1 to 100000."
    kept = read_form(negative.text)
    assert kept["bill_to"] == new_address
    assert kept["reason"] == "Fewer webinar seats"
    assert kept["lines-1-quantity"] == "-5"
    assert kept["lines-0-quantity"] == "120"
    assert "Request a change to ACME-PO-2026-001" in negative.text

    no_reason = submit_edit(client, po_id, bill_to=new_address, reason="   ")
    assert no_reason.status_code == 400
    errors = field_errors(no_reason.text)
    assert set(errors) == {"reason"}
    assert errors["reason"] == "This field is required."
    assert 'aria-describedby="reason-error"' in no_reason.text
    assert read_form(no_reason.text)["bill_to"] == new_address

    # Rules only the server knows come back beside their field too.
    bad_number = submit_edit(client, po_id, po_number="ACME#1", reason="Renumbering")
    assert bad_number.status_code == 400
    assert field_errors(bad_number.text) == {
        "po_number": "Letters, digits, spaces and . / _ - only."
    }
    assert read_form(bad_number.text)["po_number"] == "ACME#1"

    nothing = submit_edit(client, po_id, reason="Just checking")
    assert nothing.status_code == 400
    assert field_errors(nothing.text) == {
        "reason": "Nothing would change: edit at least one field."
    }

    assert request_count(database) == 0
    assert client.get(f"/purchase-orders/{po_id}").text.count("Revision 1") == 1
