"""The browser tests' settings (Chromium, axe-core, where screenshots go, how long `expect`
waits) and their steps: signing in, the request a form landed on, a screenshot, axe's findings."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRETS, demo_code

ROOT = Path(__file__).resolve().parents[2]
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


def signed_in(browser: Browser, server: str, email: str, inject: bool = False) -> Page:
    # Injecting axe is an inline script the portal's CSP rightly refuses: only then bypass it.
    context = browser.new_context(accept_downloads=True, locale="en-US", bypass_csp=inject)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{server}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if email in DEMO_TOTP_SECRETS:  # staff: the second step, as their phone would answer
        page.get_by_label("Code from your authenticator app, or a recovery code").fill(
            demo_code(email)
        )
        page.get_by_role("button", name="Continue").click()
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


def main_pages(ids: dict[str, int]) -> dict[str, dict[str, int]]:
    """Each role's main pages (with the requests of `requests_in_every_state`) and the
    status each answers."""
    return {
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
