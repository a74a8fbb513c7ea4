"""axe-core on every main page, in English and in French, with requests in every state."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, expect

from tests.browser.support import AXE, serious_violations, signed_in
from tests.conftest import WorkerThread
from tests.support import api_token


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
