"""What cannot be taken back asks once more, on a page of its own (no script: the CSP stays
strict): cancelling a subscription, revoking a token, a technician's quote at zero. Nothing
happens until "Yes"; "No, go back" leads back."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from tests.conftest import WorkerThread
from tests.pages.request_support import claim, console_post, send_new, task_url
from tests.pages.support import confirm_step, flashes, follow, shown_status, signed_in
from tests.support import api_token, csrf_token, login
from tests.test_billing_pages import ask_to_cancel_the_webinar, seats_of


def no_script(page: str) -> bool:
    return "<script" not in page and " on" + "click=" not in page


def test_cancelling_a_subscription_asks_first_and_going_back_changes_nothing(
    app: Flask, running: WorkerThread, database: Database
) -> None:
    peter = signed_in(app, "peter@initech.example")
    webinar, asked = ask_to_cancel_the_webinar(peter, database)
    assert asked.status_code == 200 and no_script(asked.text)
    assert "Cancel GoToWebinar" in asked.text and "you can undo the cancellation" in asked.text
    assert 'href="/billing/">No, go back</a>' in asked.text
    assert seats_of(database, webinar)[2] == "active"
    done = follow(peter, confirm_step(peter, asked))
    assert "Pending Cancellation" in done.text
    assert seats_of(database, webinar)[2] == "pending_cancellation"


def test_revoking_a_token_asks_first(app: Flask, client: FlaskClient, demo: None) -> None:
    made = api_token(client, "alice@acme.example")
    assert client.get("/api/v1/requests", headers=made).status_code == 200
    login(client, "alice@acme.example")
    page = client.get("/account/security").text
    action = re.search(r'action="(/account/tokens/\d+/revoke)"', page)
    assert action, "no token to revoke on the page"
    asked = client.post(action.group(1), data={"csrf_token": csrf_token(page)})
    assert "Revoke this API token?" in asked.text and no_script(asked.text)
    assert client.get("/api/v1/requests", headers=made).status_code == 200
    revoked = follow(client, confirm_step(client, asked))
    assert "The token is revoked: it no longer opens the API." in flashes(revoked.text)
    assert client.get("/api/v1/requests", headers=made).status_code == 401


def test_a_quote_at_zero_is_sent_only_once_the_technician_confirms(
    app: Flask, client: FlaskClient, running: WorkerThread
) -> None:
    login(client, "alice@acme.example")
    request_id = send_new(
        client, "quote", **{"items-0-product": "GoToWebinar Standard", "items-0-seats": "2"}
    )
    tess = signed_in(app, "tess@logmein.example")
    claim(tess, request_id)
    asked = console_post(tess, request_id, "approve", discount_pct="100")
    assert "This quote totals zero: the customer would pay nothing." in asked.text
    assert f'href="{task_url(request_id)}">No, go back</a>' in asked.text
    assert shown_status(client.get(f"/requests/{request_id}").text) != "Quoted"
    sent = follow(tess, confirm_step(tess, asked))
    assert f"Request #{request_id} is approved." in flashes(sent.text)
    assert shown_status(client.get(f"/requests/{request_id}").text) == "Quoted"
