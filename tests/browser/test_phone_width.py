"""At a phone's width (390 px) every main page fits: nothing scrolls sideways, not even with a
1,000-character word in a request; a billing contact on a phone, in French, edits a purchase
order with a mistake first, sees the field marked, fixes it and sends it."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, Page, expect

from tests.browser.support import main_pages, request_id_of, shot, signed_in
from tests.conftest import WorkerThread
from tests.support import api_token

PHONE = {"width": 390, "height": 844}
LONG_WORD = "R" * 1000


def sideways_overflow(page: Page) -> int:
    """How many pixels the page is wider than the screen (0: it fits)."""
    overflow: int = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return overflow


def on_a_phone(page: Page) -> Page:
    page.set_viewport_size(PHONE)
    return page


def test_no_page_scrolls_sideways_at_390_px(
    browser: Browser, server: str, app: Flask, requests_in_every_state: dict[str, int]
) -> None:
    client: FlaskClient = app.test_client()
    alice = api_token(client, "alice@acme.example")
    long = client.post(
        "/api/v1/requests",
        json={
            "type": "account_inquiry",
            "payload": {"topic": "contract_copy", "message": LONG_WORD},
        },
        headers=alice,
    )
    assert long.status_code == 202, long.json
    ids = requests_in_every_state
    pages = main_pages(ids)
    pages["alice@acme.example"][f"/requests/{long.json['id']}"] = 200
    pages["tess@logmein.example"][f"/console/tasks/{long.json['id']}"] = 200
    too_wide: dict[str, int] = {}
    for email, paths in pages.items():
        page = on_a_phone(signed_in(browser, server, email))
        for path, status in paths.items():
            response = page.goto(f"{server}{path}")
            assert response is not None and response.status == status, (path, response)
            if overflow := sideways_overflow(page):
                too_wide[f"{email.split('@')[0]} {path}"] = overflow
        page.context.close()
    assert too_wide == {}


def test_a_contact_on_a_phone_in_french_fixes_a_field_and_sends_a_po_edit(
    browser: Browser, server: str, running: WorkerThread
) -> None:
    page = on_a_phone(signed_in(browser, server, "alice@acme.example"))
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("link", name="Bons de commande", exact=True).click()
    page.get_by_role("link", name="ACME-PO-2026-001").click()
    page.get_by_role("link", name="Demander une modification").click()
    quantity = page.locator('input[name="lines-0-quantity"]')
    quantity.fill("2,5")
    page.get_by_label("Motif de la modification").fill("Plus de participants")
    page.get_by_role("button", name="Envoyer à un technicien").click()
    expect(page.locator(".has-error .error")).to_have_text("Un nombre entier de 1 à 100000.")
    expect(quantity).to_have_value("2,5")
    assert sideways_overflow(page) == 0
    shot(page, "phone-po-edit-error-fr")
    quantity.fill("150")
    page.get_by_role("button", name="Envoyer à un technicien").click()
    request_id_of(page)
    expect(page.locator(".flash-success")).to_be_visible()
    assert sideways_overflow(page) == 0
