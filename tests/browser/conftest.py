"""One Chromium for the browser tests (the portal they drive: `server` in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, sync_playwright

from tests.browser.support import ARGS, CHROMIUM
from tests.conftest import WorkerThread
from tests.support import api_token


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "run `make browser` (Debian's chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield launched
        launched.close()


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
