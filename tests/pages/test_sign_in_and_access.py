"""Signing in and out (refusals alike, CSRF, only a local `next`), and who may open what."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import BillingRequest
from tests.conftest import WorkerThread
from tests.pages.support import (
    act,
    flashes,
    follow,
    new_request,
    po_id_by_number,
    shown_status,
    signed_in,
    user_id,
)
from tests.support import csrf_token, login, post_form, request_status

INCORRECT = "Incorrect e-mail or password."


# -- signing in and out ---------------------------------------------------------------------


def test_sign_in_refuses_alike_checks_csrf_and_only_follows_local_next(
    app: Flask, running: WorkerThread
) -> None:
    browser = app.test_client()
    form = browser.get("/login")
    assert form.status_code == 200
    token = csrf_token(form.text)

    wrong_password = browser.post(
        "/login", data={"email": "alice@acme.example", "password": "not-it", "csrf_token": token}
    )
    unknown_email = browser.post(
        "/login",
        data={"email": "nobody@acme.example", "password": "demo-password", "csrf_token": token},
    )
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert flashes(wrong_password.text) == flashes(unknown_email.text) == [INCORRECT]
    # The e-mail typed is kept, the password never echoed.
    assert 'value="alice@acme.example"' in wrong_password.text
    assert "not-it" not in wrong_password.text
    assert browser.get("/").location.startswith("/login")

    forged = browser.post(
        "/login", data={"email": "alice@acme.example", "password": "demo-password"}
    )
    assert forged.status_code == 400
    assert "CSRF" in forged.text
    assert browser.get("/").location.startswith("/login"), "signed in without a CSRF token"

    # A page asked for while signed out sends to the sign-in, then back to that page.
    asked = browser.get("/purchase-orders/")
    assert asked.status_code == 302
    assert asked.location == "/login?next=%2Fpurchase-orders%2F"
    back = post_form(
        browser,
        asked.location,
        asked.location,
        {"email": "alice@acme.example", "password": "demo-password"},
    )
    assert back.status_code == 302
    assert back.location == "/purchase-orders/"
    assert "Welcome, Alice Martin." in flashes(browser.get(back.location).text)

    for hostile in (
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "/%09/evil.example",
        "javascript:alert(1)",
    ):
        other = app.test_client()
        url = f"/login?next={hostile}"
        landed = post_form(
            other, url, url, {"email": "alice@acme.example", "password": "demo-password"}
        )
        assert landed.status_code == 302, hostile
        assert landed.location == "/", (hostile, landed.location)

    # Signing out needs the token too; with it, the session is gone.
    home = browser.get("/")
    assert home.status_code == 200
    assert browser.post("/logout").status_code == 400
    assert browser.get("/").status_code == 200, "a forged sign-out signed the user out"
    signed_out = browser.post("/logout", data={"csrf_token": csrf_token(home.text)})
    assert signed_out.status_code == 302
    assert signed_out.location == "/login"
    assert "You are signed out." in flashes(browser.get("/login").text)
    after = browser.get("/")
    assert after.status_code == 302
    assert after.location.startswith("/login")


# -- who may open what ------------------------------------------------------------------------


def test_role_gates_on_the_pages(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    login(client, "alice@acme.example")
    po_id = po_id_by_number(client, "ACME-PO-2026-001")
    request_id = new_request(client, po_id)

    bob = signed_in(app, "bob@acme.example")
    for url in (
        "/purchase-orders/",
        f"/purchase-orders/{po_id}",
        f"/purchase-orders/{po_id}/edit",
        "/requests/",
        f"/requests/{request_id}",
        "/console/",
    ):
        refused = bob.get(url)
        assert refused.status_code == 403, url
        assert "Not allowed" in refused.text
    home = bob.get("/")
    assert home.status_code == 200
    assert "Acme Corporation" in home.text
    assert "Alice Martin" in home.text
    assert "alice@acme.example" in home.text
    assert "Billing is managed by your account" in home.text
    assert 'href="/purchase-orders/"' not in home.text
    assert "Bob Chen" in home.text

    for url in ("/console/", f"/console/tasks/{request_id}"):
        assert client.get(url).status_code == 403, url

    chloe = signed_in(app, "chloe@globex.example")
    for url in (
        f"/purchase-orders/{po_id}",
        f"/purchase-orders/{po_id}/edit",
        f"/requests/{request_id}",
    ):
        hidden = chloe.get(url)
        assert hidden.status_code == 404, (url, hidden.status_code)
        assert "Page introuvable" in hidden.text  # Chloé reads the portal in French
    own = chloe.get("/requests/")
    assert f'href="/requests/{request_id}"' not in own.text
    token = csrf_token(chloe.get("/").text)
    chloe.post(f"/requests/{request_id}/cancel", data={"csrf_token": token})
    assert request_status(database, request_id) == "submitted"

    theo = signed_in(app, "theo@logmein.example")
    follow(theo, act(theo, request_id, "claim"))
    assert request_status(database, request_id) == "in_review"

    tess = signed_in(app, "tess@logmein.example")
    task_url = f"/console/tasks/{request_id}"
    task = tess.get(task_url)
    assert "assigned to Théo Laurent" in task.text
    assert f'action="{task_url}/approve"' not in task.text
    assert f'action="{task_url}/claim"' not in task.text
    refused = follow(tess, act(tess, request_id, "approve", "Fine by me"))
    assert "This request is claimed by another technician." in flashes(refused.text)
    assert shown_status(refused.text) == "In review"
    assert request_status(database, request_id) == "in_review"
    with database.session() as session:
        row = session.get(BillingRequest, request_id)
        assert row is not None
        assert row.assignee_id == user_id(database, "theo@logmein.example")
        assert [event["event"] for event in row.timeline] == ["submitted", "claimed"]
