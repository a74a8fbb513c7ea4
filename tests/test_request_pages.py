"""Every request type through the HTML pages, CSRF on, on a real Temporal server and worker:
the contact's forms, the console's decisions, the quote's answer, downloads, the invitation."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.db import Database
from portal.models import (
    Account,
    BillingRequest,
    Document,
    Invoice,
    OutboxMessage,
    Plan,
    PurchaseOrderRevision,
    Quote,
    User,
)
from tests.conftest import WorkerThread, csrf_token, login, request_status, wait_for
from tests.pdfs import pdf_text
from tests.test_pages import (
    field_errors,
    flashes,
    follow,
    read_form,
    request_count,
    shown_status,
    signed_in,
    submitted_request_id,
)

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


# -- helpers ---------------------------------------------------------------------------------


def new_page(client: FlaskClient, request_type: str) -> Any:
    page = client.get(f"/requests/new/{request_type}")
    assert page.status_code == 200, page.status_code
    return page


def submit_new(client: FlaskClient, request_type: str, **fields: str) -> Any:
    """Open the type's form, keep what it shows, fill in `fields`, send it."""
    url = f"/requests/new/{request_type}"
    data = read_form(new_page(client, request_type).text)
    data.update(fields)
    return client.post(url, data=data)


def send_new(client: FlaskClient, request_type: str, **fields: str) -> int:
    response = submit_new(client, request_type, **fields)
    request_id = submitted_request_id(response)
    page = follow(client, response)
    assert f"Your request #{request_id} was sent to a technician." in flashes(page.text)
    return request_id


def task_url(request_id: int) -> str:
    return f"/console/tasks/{request_id}"


def console_post(
    client: FlaskClient,
    request_id: int,
    verb: str,
    files: dict[str, Any] | None = None,
    **fields: str,
) -> Any:
    """A technician's form on the task page, as shown, with `fields` filled in."""
    page = client.get(task_url(request_id))
    assert page.status_code == 200
    action = f"{task_url(request_id)}/{verb}"
    data: dict[str, Any] = {**read_form(page.text, action), **fields, **(files or {})}
    return client.post(action, data=data, content_type="multipart/form-data")


def post_hidden(client: FlaskClient, request_id: int, verb: str, **fields: str) -> Any:
    """Post a decision the task page does not offer, with the page's CSRF token."""
    token = csrf_token(client.get(task_url(request_id)).text)
    return client.post(f"{task_url(request_id)}/{verb}", data={"csrf_token": token, **fields})


def claim(client: FlaskClient, request_id: int) -> None:
    claimed = follow(client, console_post(client, request_id, "claim"))
    assert f"You claimed request #{request_id}." in flashes(claimed.text)


def approve(
    client: FlaskClient, request_id: int, files: dict[str, Any] | None = None, **fields: str
) -> Any:
    approved = follow(client, console_post(client, request_id, "approve", files, **fields))
    assert f"Request #{request_id} is approved." in flashes(approved.text), flashes(approved.text)
    return approved


def detail_post(client: FlaskClient, request_id: int, verb: str, **fields: str) -> Any:
    url = f"/requests/{request_id}"
    action = f"{url}/{verb}"
    data = {**read_form(client.get(url).text, action), **fields}
    return client.post(action, data=data)


def account_id(database: Database, name: str) -> int:
    with database.session() as session:
        found = session.scalar(sa.select(Account.id).where(Account.name == name))
        assert found is not None
        return found


def option_value(page: str, name: str, label_start: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no select {name}"
    for value, label in re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select[1]):
        if label.startswith(label_start):
            return value
    raise AssertionError(f"no option {label_start!r} in {name}")


def result_of(database: Database, request_id: int) -> dict[str, Any]:
    with database.session() as session:
        row = session.get(BillingRequest, request_id)
        assert row is not None
        return dict(row.result or {})


# -- who may open the forms --------------------------------------------------------------------


def test_new_request_pages_exist_per_type_for_billing_contacts_only(
    app: Flask, client: FlaskClient, running: WorkerThread
) -> None:
    login(client, "alice@acme.example")
    home = client.get("/")
    for request_type in (
        "quote",
        "contact_change",
        "frequency_change",
        "form_request",
        "account_inquiry",
    ):
        assert f'href="/requests/new/{request_type}"' in home.text
        page = new_page(client, request_type)
        assert 'name="csrf_token"' in page.text
    assert client.get("/requests/new/po_edit").status_code == 404
    assert client.get("/requests/new/nonsense").status_code == 404
    # Without the CSRF token nothing is accepted.
    assert client.post("/requests/new/account_inquiry", data={}).status_code == 400

    bob = signed_in(app, "bob@acme.example")
    assert bob.get("/requests/new/quote").status_code == 403
    assert 'href="/requests/new/quote"' not in bob.get("/").text
    tess = signed_in(app, "tess@logmein.example")
    assert tess.get("/requests/new/quote").status_code == 403
    assert alice_cannot_open_console(client)


def alice_cannot_open_console(client: FlaskClient) -> bool:
    return client.get("/console/contact-change/new").status_code == 403


# -- quotes --------------------------------------------------------------------------------------


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
        pro_price = session.scalar(sa.select(Plan.unit_price).where(Plan.name == "GoToWebinar Pro"))
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
    assert f"{total:,.2f} USD" in quote and valid_until.isoformat() in quote
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


# -- billing contact -----------------------------------------------------------------------------


def test_contact_names_a_successor_who_sets_a_password_once(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    bad = submit_new(
        client,
        "contact_change",
        new_contact_name="Dana Scully",
        new_contact_email="dana-at-acme",
        reason="Alice moves to sales",
    )
    assert bad.status_code == 400
    assert field_errors(bad.text) == {"new_contact_email": "A valid e-mail address is required."}
    kept = read_form(bad.text)
    assert (kept["new_contact_name"], kept["new_contact_email"], kept["reason"]) == (
        "Dana Scully",
        "dana-at-acme",
        "Alice moves to sales",
    )
    assert request_count(database) == 0

    request_id = send_new(
        client,
        "contact_change",
        new_contact_name="Dana Scully",
        new_contact_email="dana@acme.example",
        reason="Alice moves to sales",
    )
    tess = signed_in(app, "tess@logmein.example")
    task = tess.get(task_url(request_id))
    assert "Dana Scully &lt;dana@acme.example&gt;" in task.text
    assert "Four-eyes" not in task.text
    claim(tess, request_id)
    approve(tess, request_id)
    wait_for(lambda: request_status(database, request_id) == "completed", what="contact change")
    with database.session() as session:
        dana = session.scalar(sa.select(User).where(User.email == "dana@acme.example"))
        assert dana is not None and dana.role == "billing_contact"

    def invitation_link() -> str | None:
        with database.session() as session:
            bodies = session.scalars(
                sa.select(OutboxMessage.body).where(
                    OutboxMessage.request_id == request_id,
                    OutboxMessage.recipient_email == "dana@acme.example",
                )
            ).all()
        found = [re.search(r"/invitations/[\w-]+", body) for body in bodies]
        return next((match.group(0) for match in found if match), None)

    link = wait_for(invitation_link, what="the invitation mail")

    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200
    assert "dana@acme.example" in page.text
    assert set(read_form(page.text)) == {"csrf_token", "password", "confirm"}

    differ = visitor.post(
        link,
        data={
            "csrf_token": csrf_token(page.text),
            "password": "a-long-password-1",
            "confirm": "another-password",
        },
    )
    assert differ.status_code == 400
    assert field_errors(differ.text) == {"confirm": "The two passwords differ."}
    short = visitor.post(
        link, data={"csrf_token": csrf_token(page.text), "password": "short", "confirm": "short"}
    )
    assert short.status_code == 400
    assert field_errors(short.text) == {"password": "At least 10 characters."}

    done = visitor.post(
        link,
        data={
            "csrf_token": csrf_token(page.text),
            "password": "dana-new-password",
            "confirm": "dana-new-password",
        },
    )
    assert done.status_code == 302 and done.location == "/"
    home = follow(visitor, done)
    assert "Your password is set. Welcome, Dana Scully." in flashes(home.text)
    assert "Acme Corporation" in home.text
    assert 'href="/requests/new/quote"' in home.text  # signed in, as the billing contact

    used = app.test_client().get(link)
    assert used.status_code == 410
    assert "This link is no longer valid. Ask LogMeIn for a new one." in used.text
    assert 'name="password"' not in used.text
    again = app.test_client()
    login(again, "dana@acme.example", "dana-new-password")
    assert app.test_client().get("/invitations/not-a-token").status_code == 410


def test_a_contact_change_a_technician_starts_is_decided_by_a_supervisor(
    app: Flask, running: WorkerThread, database: Database
) -> None:
    tess = signed_in(app, "tess@logmein.example")
    url = "/console/contact-change/new"
    assert 'href="/console/contact-change/new"' in tess.get("/console/").text
    page = tess.get(url)
    assert page.status_code == 200
    globex = option_value(page.text, "account_id", "Globex SARL")
    fields = {
        **read_form(page.text),
        "new_contact_name": "Hugo Martin",
        "new_contact_email": "hugo@globex.example",
        "reason": "Chloé left the company",
    }
    missing = tess.post(url, data=fields)
    assert missing.status_code == 400
    assert field_errors(missing.text) == {"account_id": "Choose a Corporate account."}
    assert read_form(missing.text)["new_contact_email"] == "hugo@globex.example"
    assert request_count(database) == 0

    started = tess.post(url, data={**fields, "account_id": globex})
    assert started.status_code == 302
    match = re.fullmatch(r"/console/tasks/(\d+)", started.location)
    assert match, started.location
    request_id = int(match.group(1))
    task = follow(tess, started)
    assert f"Request #{request_id} is started; a supervisor must decide it." in flashes(task.text)
    assert "Four-eyes: a supervisor must decide." in task.text
    assert f'action="{task_url(request_id)}/claim"' not in task.text

    # Buttons the rules forbid are not shown; posting anyway (an old tab) is refused.
    assert f'action="{task_url(request_id)}/approve"' not in task.text
    refused = follow(tess, post_hidden(tess, request_id, "approve", text="Fine"))
    assert "You cannot decide a request you submitted yourself." in flashes(refused.text)
    theo = signed_in(app, "theo@logmein.example")
    assert f'action="{task_url(request_id)}/claim"' not in theo.get(task_url(request_id)).text
    theo_refused = follow(theo, post_hidden(theo, request_id, "claim"))
    # Théo reads French: "a supervisor must decide" in his language.
    assert any("superviseur" in message for message in flashes(theo_refused.text))
    assert request_status(database, request_id) == "submitted"

    sam = signed_in(app, "sam@logmein.example")
    assert "Four-eyes: a supervisor must decide." in sam.get(task_url(request_id)).text
    claim(sam, request_id)
    approve(sam, request_id, text="Confirmed with Globex by phone")
    wait_for(lambda: request_status(database, request_id) == "completed", what="contact change")
    with database.session() as session:
        account = session.get(Account, int(globex))
        assert account is not None and account.billing_contact is not None
        assert account.billing_contact.email == "hugo@globex.example"
        assert account.billing_contact.name == "Hugo Martin"


# -- billing frequency ---------------------------------------------------------------------------


def test_frequency_change_is_scheduled_shown_on_the_account_and_can_be_cancelled(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    page = new_page(client, "frequency_change")
    assert "Your account is billed: Annual." in page.text
    same = submit_new(client, "frequency_change", frequency="annual", reason="Budget cycle")
    assert same.status_code == 400
    assert field_errors(same.text) == {"frequency": "Your account is billed this way already."}
    assert read_form(same.text)["reason"] == "Budget cycle"
    assert request_count(database) == 0

    request_id = send_new(client, "frequency_change", frequency="quarterly", reason="Cash flow")
    tess = signed_in(app, "tess@logmein.example")
    claim(tess, request_id)
    approve(tess, request_id)
    wait_for(lambda: request_status(database, request_id) == "scheduled", what="scheduled")
    with database.session() as session:
        renewal = session.scalar(
            sa.select(Account.next_renewal).where(Account.name == "Acme Corporation")
        )
        assert renewal is not None
    effective = renewal.isoformat()

    detail = client.get(f"/requests/{request_id}")
    assert shown_status(detail.text) == "Scheduled"
    assert f"The change takes effect on {effective}" in detail.text
    assert "Cancel this request" in detail.text
    home = client.get("/")
    assert f"changes to Quarterly on {effective}" in home.text
    assert f'href="/requests/{request_id}"' in home.text

    cancelled = follow(
        client, detail_post(client, request_id, "cancel", text="We keep annual billing")
    )
    assert f"Request #{request_id} is cancelled." in flashes(cancelled.text)
    assert shown_status(cancelled.text) == "Cancelled"
    assert request_status(database, request_id) == "cancelled"
    assert "changes to Quarterly" not in client.get("/").text
    with database.session() as session:
        frequency = session.scalar(
            sa.select(Account.billing_frequency).where(Account.name == "Acme Corporation")
        )
        assert frequency == "annual"


# -- forms ---------------------------------------------------------------------------------------


def test_form_request_is_approved_and_its_pdf_downloaded_by_the_account_only(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    no_region = submit_new(
        client, "form_request", form_name="regional_form", details="EU supplier form"
    )
    assert no_region.status_code == 400
    assert field_errors(no_region.text) == {"region": "This field is required."}
    assert read_form(no_region.text)["details"] == "EU supplier form"
    assert read_form(no_region.text)["form_name"] == "regional_form"
    assert request_count(database) == 0

    request_id = send_new(
        client, "form_request", form_name="vendor_form", details="For our SAP vendor master"
    )
    tess = signed_in(app, "tess@logmein.example")
    claim(tess, request_id)
    approve(tess, request_id)
    wait_for(lambda: request_status(database, request_id) == "completed", what="the form")
    document_id = result_of(database, request_id)["document_id"]

    page = client.get(f"/requests/{request_id}")
    assert shown_status(page.text) == "Completed"
    assert "Download the form (PDF)" in page.text
    assert f'href="/documents/{document_id}"' in page.text
    download = client.get(f"/documents/{document_id}")
    assert download.status_code == 200
    assert download.mimetype == "application/pdf"
    assert "Acme Corporation" in pdf_text(download.data)
    assert (
        signed_in(app, "chloe@globex.example").get(f"/documents/{document_id}").status_code == 404
    )
    assert signed_in(app, "bob@acme.example").get(f"/documents/{document_id}").status_code == 403


# -- account inquiries ---------------------------------------------------------------------------


def test_inquiry_is_answered_with_a_pdf_the_contact_downloads(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    page = new_page(client, "account_inquiry")
    with database.session() as session:
        invoice = session.scalar(
            sa.select(Invoice).join(Account).where(Account.name == "Acme Corporation").limit(1)
        )
        assert invoice is not None
        invoice_number, invoice_id = invoice.number, invoice.id
    assert invoice_number in page.text

    no_invoice = submit_new(
        client, "account_inquiry", topic="invoice_question", message="Why is VAT charged?"
    )
    assert no_invoice.status_code == 400
    assert field_errors(no_invoice.text) == {"invoice_id": "Choose one of your invoices."}
    assert read_form(no_invoice.text)["message"] == "Why is VAT charged?"
    assert request_count(database) == 0

    request_id = send_new(
        client,
        "account_inquiry",
        topic="invoice_question",
        invoice_id=str(invoice_id),
        message="Why is VAT charged?",
    )
    tess = signed_in(app, "tess@logmein.example")
    claim(tess, request_id)
    task = tess.get(task_url(request_id))
    assert 'enctype="multipart/form-data"' in task.text
    assert '<label for="text">Answer</label>' in task.text
    assert invoice_number in task.text

    def attach(content: bytes, name: str = "credit-note.pdf") -> dict[str, Any]:
        return {"attachment": (io.BytesIO(content), name, "application/pdf")}

    unanswered = console_post(tess, request_id, "approve", files=attach(PDF), text="")
    assert unanswered.status_code == 400
    assert field_errors(unanswered.text) == {"text": "The answer is required."}
    not_pdf = console_post(
        tess, request_id, "approve", files=attach(b"<html>", "x.pdf"), text="See attached"
    )
    assert not_pdf.status_code == 400
    assert field_errors(not_pdf.text) == {
        "attachment": "This file is not a PDF, whatever its name says."
    }
    assert read_form(not_pdf.text, f"{task_url(request_id)}/approve")["text"] == "See attached"
    with database.session() as session:
        assert session.scalar(sa.select(sa.func.count(Document.id))) == 0
    assert request_status(database, request_id) == "in_review"

    answer = "US accounts pay sales tax, not VAT; see the credit note attached."
    approve(tess, request_id, files=attach(PDF), text=answer)
    wait_for(lambda: request_status(database, request_id) == "completed", what="the answer")
    document_id = result_of(database, request_id)["document_id"]

    page = client.get(f"/requests/{request_id}")
    assert shown_status(page.text) == "Completed"
    assert answer in page.text
    assert "Download the attachment (PDF)" in page.text
    assert f'href="/documents/{document_id}"' in page.text
    download = client.get(f"/documents/{document_id}")
    assert download.status_code == 200 and download.data == PDF
    assert (
        signed_in(app, "chloe@globex.example").get(f"/documents/{document_id}").status_code == 404
    )
