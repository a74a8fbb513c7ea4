"""Quotes through the pages: priced in the console then accepted with a PO number, or declined."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.db import Database
from portal.models import BillingRequest, Plan, PurchaseOrderRevision, Quote
from tests.conftest import WorkerThread
from tests.pages.request_support import (
    account_id,
    approve,
    claim,
    console_post,
    detail_post,
    new_page,
    result_of,
    send_new,
    submit_new,
    task_url,
)
from tests.pages.support import (
    field_errors,
    flashes,
    follow,
    read_form,
    request_count,
    shown_status,
    signed_in,
)
from tests.pdfs import pdf_text
from tests.support import csrf_token, login, request_status, wait_for

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


def test_quote_is_priced_in_the_console_then_accepted_with_a_po_number(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    page = new_page(client, "quote")
    assert "GoToMeeting Business" in page.text
    assert read_form(page.text)["term_months"] == "12"

    # Bad input: the message beside its row's field, the input kept, nothing stored.
    nothing = submit_new(client, "quote")
    assert nothing.status_code == 400
    assert field_errors(nothing.text) == {"items-0-product": "Add at least one product."}
    zero = submit_new(
        client,
        "quote",
        **{"items-1-product": "GoToMeeting Business", "items-1-seats": "0", "notes": "Lyon"},
    )
    assert zero.status_code == 400
    assert "Please correct the highlighted fields." in flashes(zero.text)
    assert field_errors(zero.text) == {"items-1-seats": "Seats: 1 to 100000."}
    kept = read_form(zero.text)
    assert (kept["items-1-product"], kept["items-1-seats"], kept["notes"]) == (
        "GoToMeeting Business",
        "0",
        "Lyon",
    )
    assert request_count(database) == 0

    request_id = send_new(
        client,
        "quote",
        **{
            "items-0-product": "GoToMeeting Business",
            "items-0-seats": "10",
            "items-2-product": "GoToWebinar Pro",
            "items-2-seats": "3",
            "term_months": "12",
            "notes": "Lyon office",
        },
    )
    with database.session() as session:
        row = session.get(BillingRequest, request_id)
        assert row is not None and row.type == "quote"
        assert row.payload == {
            "items": [
                {"product": "GoToMeeting Business", "seats": 10},
                {"product": "GoToWebinar Pro", "seats": 3},
            ],
            "term_months": 12,
            "notes": "Lyon office",
        }
        pro_price = session.scalar(
            sa.select(Plan.unit_price).where(Plan.name == "GoToWebinar Pro", Plan.currency == "USD")
        )
        assert pro_price is not None

    tess = signed_in(app, "tess@logmein.example")
    claim(tess, request_id)
    task = tess.get(task_url(request_id))
    approve_form = read_form(task.text, f"{task_url(request_id)}/approve")
    assert approve_form["prices-0-product"] == "GoToMeeting Business"
    assert approve_form["prices-1-product"] == "GoToWebinar Pro"
    assert {"discount_pct", "valid_days", "text", "prices-0-unit_price"} <= set(approve_form)

    refused = console_post(tess, request_id, "approve", discount_pct="150")
    assert refused.status_code == 400
    assert field_errors(refused.text) == {"discount_pct": "A discount from 0 to 100 percent."}
    assert read_form(refused.text, f"{task_url(request_id)}/approve")["discount_pct"] == "150"
    assert request_status(database, request_id) == "in_review"

    priced = approve(
        tess,
        request_id,
        **{"prices-0-unit_price": "100", "discount_pct": "10", "valid_days": "45", "text": "VIP"},
    )
    assert shown_status(priced.text) == "Quoted"
    wait_for(lambda: request_status(database, request_id) == "quoted", what="quoted")
    total = ((Decimal(1000) + pro_price * 3) * Decimal("0.9")).quantize(Decimal("0.01"))
    valid_until = clock.today() + timedelta(days=45)

    page = client.get(f"/requests/{request_id}")
    assert shown_status(page.text) == "Quoted"
    assert f'<td class="total">${total:,.2f}</td>' in page.text
    assert "Total (USD)" in page.text
    assert valid_until.isoformat() in page.text
    assert "$100.00" in page.text
    assert f'href="/requests/{request_id}/quote.pdf"' in page.text
    pdf = client.get(f"/requests/{request_id}/quote.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    quote = pdf_text(pdf.data)
    # As the reader writes them: "$4,107.60", "April 24, 2027".
    assert f"${total:,.2f}" in quote and format_date(valid_until, "long", locale="en") in quote
    chloe = signed_in(app, "chloe@globex.example")
    assert chloe.get(f"/requests/{request_id}/quote.pdf").status_code == 404

    # The technician extends the validity.
    task = tess.get(task_url(request_id))
    assert f'action="{task_url(request_id)}/extend-quote"' in task.text
    later = clock.today() + timedelta(days=60)
    extended = follow(
        tess, console_post(tess, request_id, "extend-quote", valid_until=later.isoformat())
    )
    assert f"The quote of request #{request_id} is valid for longer now." in flashes(extended.text)
    with database.session() as session:
        quote = session.scalar(sa.select(Quote).where(Quote.request_id == request_id))
        assert quote is not None and quote.valid_until == later
    past = console_post(tess, request_id, "extend-quote", valid_until="2001-01-01")
    assert past.status_code == 400
    assert field_errors(past.text) == {"valid_until": "A date after today, e.g. 2027-01-31."}

    # A PO number the rules refuse stays in the field with its message.
    bad = detail_post(client, request_id, "accept-quote", po_number="ACME#9")
    assert bad.status_code == 400
    assert field_errors(bad.text) == {
        "po_number": "Your PO number: letters, digits, spaces and . / _ - only."
    }
    assert read_form(bad.text, f"/requests/{request_id}/accept-quote")["po_number"] == "ACME#9"
    assert request_status(database, request_id) == "quoted"

    accepted = follow(
        client, detail_post(client, request_id, "accept-quote", po_number="ACME-PO-2026-900")
    )
    assert "You accepted the quote; your purchase order is being created." in flashes(accepted.text)
    wait_for(lambda: request_status(database, request_id) == "completed", what="purchase order")
    done = client.get(f"/requests/{request_id}")
    assert shown_status(done.text) == "Completed"
    po_id = result_of(database, request_id)["purchase_order_id"]
    assert f'href="/purchase-orders/{po_id}"' in done.text
    assert "See the purchase order created from this quote" in done.text
    assert f'action="/requests/{request_id}/accept-quote"' not in done.text
    with database.session() as session:
        revision = session.scalar(
            sa.select(PurchaseOrderRevision).where(PurchaseOrderRevision.purchase_order_id == po_id)
        )
        assert revision is not None and revision.po_number == "ACME-PO-2026-900"
        assert revision.purchase_order.account_id == account_id(database, "Acme Corporation")
        assert revision.total == total
    assert "ACME-PO-2026-900" in client.get(f"/purchase-orders/{po_id}").text


def test_quote_at_list_price_is_declined(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    request_id = send_new(
        client, "quote", **{"items-0-product": "GoToWebinar Standard", "items-0-seats": "2"}
    )
    tess = signed_in(app, "tess@logmein.example")
    claim(tess, request_id)
    approve(tess, request_id)
    page = client.get(f"/requests/{request_id}")
    assert shown_status(page.text) == "Quoted"
    assert '<td class="total">$1,416.00</td>' in page.text
    assert f'action="/requests/{request_id}/decline-quote"' in page.text

    declined = follow(
        client, detail_post(client, request_id, "decline-quote", reason="Too expensive")
    )
    assert "You declined the quote." in flashes(declined.text)
    assert shown_status(declined.text) == "Declined"
    assert "Too expensive" in declined.text
    assert f'action="/requests/{request_id}/accept-quote"' not in declined.text
    # An old tab's accept is refused and changes nothing.
    token = csrf_token(declined.text)
    again = follow(
        client,
        client.post(
            f"/requests/{request_id}/accept-quote", data={"csrf_token": token, "po_number": "X-1"}
        ),
    )
    assert "This request has already been decided." in flashes(again.text)
    assert request_status(database, request_id) == "declined"
