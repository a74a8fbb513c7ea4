"""axe-core on every main page, in English and in French, with requests in every state."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.support import AXE, main_pages, serious_violations, signed_in


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
    pages = main_pages(ids)
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
