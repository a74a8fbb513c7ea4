"""Each role's navigation, signing in with the keyboard alone, a page a contact may not open,
and switching the language."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from portal.demo import DEMO_PASSWORD
from tests.browser.support import shot, signed_in


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
