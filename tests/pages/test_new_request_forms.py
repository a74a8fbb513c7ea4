"""The new-request forms: one per type, for billing contacts only."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import WorkerThread
from tests.pages.request_support import new_page
from tests.pages.support import signed_in
from tests.support import login

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


def test_new_request_pages_exist_per_type_for_billing_contacts_only(
    app: Flask, client: FlaskClient, running: WorkerThread
) -> None:
    login(client, "alice@acme.example")
    home = client.get("/")
    for request_type in (
        "quote",
        "contact_change",
        "frequency_change",
        "form_request",
        "account_inquiry",
    ):
        assert f'href="/requests/new/{request_type}"' in home.text
        page = new_page(client, request_type)
        assert 'name="csrf_token"' in page.text
    assert client.get("/requests/new/po_edit").status_code == 404
    assert client.get("/requests/new/nonsense").status_code == 404
    # Without the CSRF token nothing is accepted.
    assert client.post("/requests/new/account_inquiry", data={}).status_code == 400

    bob = signed_in(app, "bob@acme.example")
    assert bob.get("/requests/new/quote").status_code == 403
    assert 'href="/requests/new/quote"' not in bob.get("/").text
    tess = signed_in(app, "tess@logmein.example")
    assert tess.get("/requests/new/quote").status_code == 403
    assert alice_cannot_open_console(client)


def alice_cannot_open_console(client: FlaskClient) -> bool:
    return client.get("/console/contact-change/new").status_code == 403
