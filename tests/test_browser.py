"""Journeys in a real browser (Debian's Chromium driven by Playwright) against the portal served
on 127.0.0.1, with the real Temporal server and worker; axe-core checks every main page.
`make screenshots` saves their screenshots in docs/screenshots/ (the README shows them)."""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from portal.db import Database
from portal.demo import DEMO_PASSWORD
from tests.conftest import WorkerThread, api_token, request_status, wait_for
from tests.pdfs import pdf_text

ROOT = Path(__file__).resolve().parent.parent
# The README's pictures are refreshed by `make screenshots` alone; other runs leave them be.
SHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("PORTAL_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "portal-screenshots"
)
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Generous but bounded: a loaded two-core machine runs Temporal, the worker and Chromium at once.
expect.set_options(timeout=10_000)


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    live = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=live.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{live.server_port}"
    live.shutdown()
    thread.join(timeout=10)
    live.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "run `make browser` (Debian's chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


def signed_in(browser: Browser, server: str, email: str, inject: bool = False) -> Page:
    # Injecting axe is an inline script the portal's CSP rightly refuses: only then bypass it.
    context = browser.new_context(accept_downloads=True, locale="en-US", bypass_csp=inject)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".flash-success")).to_contain_text("Welcome")
    return page


def request_id_of(page: Page) -> int:
    """The request a submitted form landed on."""
    expect(page).to_have_url(re.compile(r"/requests/\d+$"))
    found = re.search(r"/requests/(\d+)$", page.url)
    assert found, page.url
    return int(found.group(1))


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def serious_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}"
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def test_each_role_sees_its_navigation(browser: Browser, server: str, demo: None) -> None:
    expected = {
        "alice@acme.example": ["Purchase orders", "Requests", "Billing", "W-9"],
        "bob@acme.example": ["Account"],
        "tess@logmein.example": ["Queue", "My tasks"],
        "sam@logmein.example": ["Queue", "My tasks"],
    }
    for email, links in expected.items():
        page = signed_in(browser, server, email)
        nav = page.get_by_role("navigation", name="Main")
        for link in links:
            expect(nav.get_by_role("link", name=link, exact=True)).to_be_visible()
        if email.startswith("bob"):
            expect(nav.get_by_role("link", name="Purchase orders")).to_have_count(0)
        shot(page, f"home-{email.split('@')[0]}")
        page.context.close()


def test_sign_in_with_the_keyboard_alone(browser: Browser, server: str, demo: None) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{server}/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert skip.evaluate("link => getComputedStyle(link).outlineStyle") == "solid"  # visible focus
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail")).to_be_focused()
    page.keyboard.type("bob@acme.example")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text("Welcome")
    context.close()


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


def test_a_contact_opening_a_technician_page_is_not_allowed(
    browser: Browser, server: str, demo: None
) -> None:
    alice = signed_in(browser, server, "alice@acme.example")
    response = alice.goto(f"{server}/console/")
    assert response is not None and response.status == 403
    expect(alice.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(alice.get_by_role("link", name="Queue", exact=True)).to_have_count(0)
    shot(alice, "not-allowed")
    alice.context.close()


def test_language_switch_to_french_and_back(browser: Browser, server: str, demo: None) -> None:
    alice = signed_in(browser, server, "alice@acme.example")
    alice.get_by_role("link", name="Purchase orders", exact=True).first.click()
    expect(alice.get_by_role("heading", level=1)).to_have_text("Purchase orders")
    alice.get_by_label("Language").select_option("fr")
    alice.get_by_role("button", name="Change").click()
    # Back on the same page, in French.
    expect(alice.get_by_role("heading", level=1)).to_have_text("Bons de commande")
    expect(alice).to_have_url(re.compile(r"/purchase-orders/$"))
    alice.reload()
    expect(alice.locator("html")).to_have_attribute("lang", "fr")
    expect(alice.get_by_role("link", name="Bons de commande", exact=True)).to_be_visible()
    alice.get_by_role("link", name="Compte", exact=True).click()
    expect(alice.get_by_role("link", name="Bons de commande", exact=True)).to_be_visible()
    shot(alice, "home-french")
    alice.get_by_label("Langue").select_option("en")
    alice.get_by_role("button", name="Changer").click()
    expect(alice.get_by_role("link", name="Purchase orders", exact=True)).to_be_visible()
    alice.reload()
    expect(alice.locator("html")).to_have_attribute("lang", "en")
    expect(alice.get_by_role("link", name="Purchase orders", exact=True)).to_be_visible()
    alice.context.close()


def submit_by_api(client: FlaskClient, headers: dict[str, str], kind: str, payload: object) -> int:
    response = client.post(
        "/api/v1/requests", json={"type": kind, "payload": payload}, headers=headers
    )
    body = response.get_json()
    assert response.status_code == 202 and body, body
    request_id: int = body["id"]
    return request_id


def act_by_api(client: FlaskClient, headers: dict[str, str], url: str, **body: object) -> None:
    response = client.post(url, json=body, headers=headers)
    assert response.status_code == 200, response.json


@pytest.fixture
def requests_in_every_state(app: Flask, running: WorkerThread) -> dict[str, int]:
    """A claimed form request, an inquiry waiting for the customer, a priced quote: their
    pages hold every form a contact or a technician fills in."""
    client = app.test_client()
    alice = api_token(client, "alice@acme.example")
    tess = api_token(client, "tess@logmein.example")
    orders = client.get("/api/v1/purchase-orders", headers=alice).get_json()
    po: int = orders["items"][0]["id"]
    claimed = submit_by_api(client, alice, "form_request", {"form": "w9", "details": "For AP"})
    act_by_api(client, tess, f"/api/v1/tasks/{claimed}/claim")
    waiting = submit_by_api(
        client, alice, "account_inquiry", {"topic": "contract_copy", "message": "Our contract"}
    )
    act_by_api(client, tess, f"/api/v1/tasks/{waiting}/claim")
    act_by_api(client, tess, f"/api/v1/tasks/{waiting}/request-info", question="Which year?")
    quoted = submit_by_api(
        client,
        alice,
        "quote",
        {"items": [{"product": "GoToMeeting Business", "seats": 5}], "term_months": 12},
    )
    act_by_api(client, tess, f"/api/v1/tasks/{quoted}/claim")
    act_by_api(client, tess, f"/api/v1/tasks/{quoted}/approve")
    return {"po": po, "claimed": claimed, "waiting": waiting, "quoted": quoted}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_main_pages_have_no_serious_accessibility_violation(
    browser: Browser, server: str, requests_in_every_state: dict[str, int], language: str
) -> None:
    assert AXE.exists(), "run `make browser` (npm ci installs axe-core)"
    ids = requests_in_every_state
    found: dict[str, list[str]] = {}
    context = browser.new_context(locale="fr-FR" if language == "fr" else "en-US", bypass_csp=True)
    anonymous = context.new_page()
    anonymous.goto(f"{server}/login")
    expect(anonymous.locator("html")).to_have_attribute("lang", language)
    found["/login"] = serious_violations(anonymous)
    context.close()
    pages: dict[str, dict[str, int]] = {  # path: the status it answers
        "alice@acme.example": {
            "/": 200,
            "/purchase-orders/": 200,
            f"/purchase-orders/{ids['po']}": 200,
            f"/purchase-orders/{ids['po']}/edit": 200,
            "/requests/": 200,
            f"/requests/{ids['claimed']}": 200,
            f"/requests/{ids['waiting']}": 200,
            f"/requests/{ids['quoted']}": 200,
            "/requests/new/quote": 200,
            "/requests/new/contact_change": 200,
            "/requests/new/frequency_change": 200,
            "/requests/new/form_request": 200,
            "/requests/new/account_inquiry": 200,
            "/forms/w9": 200,
            "/billing/": 200,
            "/billing/history": 200,
            "/console/": 403,
        },
        "bob@acme.example": {"/": 200},
        "tess@logmein.example": {
            "/console/": 200,
            "/console/?assignee=me": 200,
            f"/console/tasks/{ids['claimed']}": 200,
            f"/console/tasks/{ids['waiting']}": 200,
            f"/console/tasks/{ids['quoted']}": 200,
            "/console/contact-change/new": 200,
        },
    }
    for email, paths in pages.items():
        page = signed_in(browser, server, email, inject=True)
        if language == "fr":
            page.get_by_label("Language").select_option("fr")
            page.get_by_role("button", name="Change").click()
            expect(page.locator("html")).to_have_attribute("lang", "fr")
        for path, status in paths.items():
            response = page.goto(f"{server}{path}")
            assert response is not None and response.status == status, (path, response)
            expect(page.locator("html")).to_have_attribute("lang", language)
            found[f"{email.split('@')[0]} {path}"] = serious_violations(page)
        page.context.close()
    assert {path: issues for path, issues in found.items() if issues} == {}
