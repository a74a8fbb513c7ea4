"""The development outbox page: each user's own mails, in their language, never outside
development."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from portal.db import Database
from tests.mail.support import APOSTROPHE, new_request, notify, outbox_app
from tests.support import login


@pytest.fixture
def dev_client(database: Database, database_url: str, tmp_path: Path) -> FlaskClient:
    return outbox_app(database, database_url, tmp_path, development=True).test_client()


def test_the_outbox_page_shows_a_user_their_own_mails(
    database: Database, demo: None, dev_client: FlaskClient
) -> None:
    alice_request = new_request(database, "alice@acme.example")
    chloe_request = new_request(database, "chloe@globex.example")
    notify(database, alice_request, "rejected", "Not for Chloé.")
    notify(database, chloe_request, "completed", "Pour Chloé.")
    notify(database, alice_request, "completed", "Done.")

    login(dev_client, "alice@acme.example")
    page = dev_client.get("/outbox/")
    assert page.status_code == 200
    assert 'href="/outbox/"' in page.text  # the nav link, in development
    assert f"Request #{alice_request} was rejected" in page.text
    assert "Not for Chloé." in page.text
    assert "Pour Chloé." not in page.text and "chloe@globex.example" not in page.text
    # Newest first.
    assert page.text.index(f"Request #{alice_request} is complete") < page.text.index(
        f"Request #{alice_request} was rejected"
    )

    staff = dev_client.application.test_client()
    login(staff, "tess@logmein.example")
    page = staff.get("/outbox/")
    assert "Pour Chloé." in page.text and "Not for Chloé." in page.text


def test_the_outbox_page_is_in_french_for_chloe(
    database: Database, demo: None, dev_client: FlaskClient
) -> None:
    login(dev_client, "chloe@globex.example")
    page = dev_client.get("/outbox/")
    assert page.status_code == 200
    assert f"Boîte d{APOSTROPHE}envoi" in page.text
    assert f"Aucun e-mail pour l{APOSTROPHE}instant." in page.text


def test_the_outbox_page_needs_a_sign_in(dev_client: FlaskClient, demo: None) -> None:
    response = dev_client.get("/outbox/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_outbox_page_does_not_exist_outside_development(
    database: Database, database_url: str, demo: None, tmp_path: Path
) -> None:
    client = outbox_app(database, database_url, tmp_path, development=False).test_client()
    assert client.get("/outbox/").status_code == 404
    login(client, "alice@acme.example")
    assert client.get("/outbox/").status_code == 404
    home = client.get("/")
    assert home.status_code == 200 and 'href="/outbox/"' not in home.text
