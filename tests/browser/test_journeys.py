"""Requests from the contact's form to the technician's decision and back, without a reload:
a purchase-order edit, a quote, a form request; and the W-9 download."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from portal.db import Database
from tests.browser.support import request_id_of, shot, signed_in
from tests.conftest import WorkerThread
from tests.pdfs import pdf_text
from tests.support import request_status, wait_for


def test_po_edit_approved_in_the_console_completes_without_a_reload(
    browser: Browser, server: str, running: WorkerThread, database: Database
) -> None:
    alice = signed_in(browser, server, "alice@acme.example")
    alice.get_by_role("link", name="Purchase orders", exact=True).first.click()
    alice.get_by_role("link", name="ACME-PO-2026-001").click()
    alice.get_by_role("link", name="Request a change").click()
    alice.get_by_label("PO number").fill("ACME-PO-2026-001-R2")
    alice.get_by_label("Reason for the change").fill("New cost centre")
    shot(alice, "po-edit-form")
    alice.get_by_role("button", name="Send to a technician").click()
    expect(alice.locator(".status")).to_contain_text("Submitted")
    request_id = request_id_of(alice)

    tess = signed_in(browser, server, "tess@logmein.example")
    task_link = tess.locator(f'a[href="/console/tasks/{request_id}"]').first
    expect(task_link).to_be_visible()  # the queue is where a technician lands
    shot(tess, "console-queue")
    task_link.click()
    expect(tess.locator("table.changes")).to_contain_text("ACME-PO-2026-001-R2")
    tess.get_by_role("button", name="Claim").click()
    expect(tess.get_by_role("button", name="Approve")).to_be_visible()
    shot(tess, "console-task")
    # A mark on Alice's open page: a reload or a navigation would wipe it.
    alice.evaluate("() => { window.stillTheSamePage = true; }")
    tess.get_by_role("button", name="Approve").click()
    wait_for(lambda: request_status(database, request_id) == "completed", what="completion")

    # Alice's page was never reloaded: live.js brings the new status in.
    expect(alice.locator(".status")).to_contain_text("Completed", timeout=15_000)
    assert alice.evaluate("() => window.stillTheSamePage === true"), "the page was reloaded"
    shot(alice, "request-completed")
    alice.context.close()
    tess.context.close()


def test_quote_priced_then_accepted_with_a_po_number(
    browser: Browser, server: str, running: WorkerThread, database: Database
) -> None:
    alice = signed_in(browser, server, "alice@acme.example")
    alice.goto(f"{server}/requests/new/quote")
    alice.locator("#items-0-product").select_option("GoToMeeting Business")
    alice.locator("#items-0-seats").fill("10")
    alice.get_by_role("button", name="Send to a technician").click()
    expect(alice.locator(".status")).to_contain_text("Submitted")
    request_id = request_id_of(alice)

    tess = signed_in(browser, server, "tess@logmein.example")
    tess.goto(f"{server}/console/tasks/{request_id}")
    tess.get_by_role("button", name="Claim").click()
    tess.get_by_label("Discount (%)").fill("10")
    tess.get_by_role("button", name="Approve and send the quote").click()
    wait_for(lambda: request_status(database, request_id) == "quoted", what="the quote")

    # 10 seats x 192.00 a year, less 10 %: the contact sees it without reloading.
    expect(alice.locator(".quote")).to_contain_text("1,728.00", timeout=15_000)
    shot(alice, "quote-priced")
    alice.get_by_label("Your PO number").fill("ACME-Q-2027")
    alice.get_by_role("button", name="Accept the quote").click()
    wait_for(lambda: request_status(database, request_id) == "completed", what="the purchase order")
    alice.goto(f"{server}/purchase-orders/")
    expect(alice.get_by_role("link", name="ACME-Q-2027")).to_be_visible()
    alice.context.close()
    tess.context.close()


def test_form_request_answered_with_a_document(
    browser: Browser, server: str, running: WorkerThread, database: Database
) -> None:
    alice = signed_in(browser, server, "alice@acme.example")
    alice.goto(f"{server}/requests/new/form_request")
    alice.get_by_label("Form", exact=True).select_option("vendor_form")
    alice.get_by_label("Details").fill("Supplier registration for ACME procurement")
    alice.get_by_role("button", name="Send to a technician").click()
    request_id = request_id_of(alice)
    tess = signed_in(browser, server, "tess@logmein.example")
    tess.goto(f"{server}/console/tasks/{request_id}")
    tess.get_by_role("button", name="Claim").click()
    tess.get_by_role("button", name="Approve").click()
    wait_for(lambda: request_status(database, request_id) == "completed", what="the document")
    alice.reload()
    with alice.expect_download() as download:
        alice.get_by_role("link", name=re.compile("PDF")).first.click()
    form = pdf_text(Path(download.value.path()).read_bytes())
    assert "Vendor registration form" in form and "Supplier registration for ACME" in form
    shot(alice, "form-request-answered")
    alice.context.close()
    tess.context.close()


def test_w9_downloaded_by_a_us_contact(browser: Browser, server: str, demo: None) -> None:
    alice = signed_in(browser, server, "alice@acme.example")
    alice.get_by_role("link", name="W-9", exact=True).click()
    expect(alice.get_by_role("heading", level=1)).to_contain_text("W-9")
    shot(alice, "w9")
    with alice.expect_download() as download:
        alice.get_by_role("link", name=re.compile("Download")).first.click()
    w9 = pdf_text(Path(download.value.path()).read_bytes())
    assert "Form W-9" in w9 and "Acme Corporation" in w9
    alice.context.close()
