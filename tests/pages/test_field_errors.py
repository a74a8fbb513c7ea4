"""A refused form tells, beside each field, which rule the entry broke, in the page's language;
the field is marked and what was typed stays in it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import User
from tests.pages.request_support import submit_new
from tests.pages.support import (
    field_errors,
    flashes,
    po_id_by_number,
    read_form,
    signed_in,
    submit_edit,
)
from tests.support import csrf_token

ALICE, PETER = "alice@acme.example", "peter@initech.example"


def in_french(database: Database, email: str) -> None:
    with database.session() as session:
        session.execute(sa.update(User).where(User.email == email).values(language="fr"))


@pytest.mark.parametrize("typed", ["0", "2.5", "abc", "-3", "1e3", "99999999999999999999"])
def test_a_po_quantity_that_breaks_the_rule_says_the_rule_in_french(
    app: Flask, database: Database, demo: None, typed: str
) -> None:
    in_french(database, ALICE)
    alice = signed_in(app, ALICE)
    po_id = po_id_by_number(alice, "ACME-PO-2026-001")
    refused = submit_edit(alice, po_id, reason="Moins de places", **{"lines-0-quantity": typed})
    assert refused.status_code == 400
    assert field_errors(refused.text) == {"lines-0-quantity": "Un nombre entier de 1 à 100000."}
    assert read_form(refused.text)["lines-0-quantity"] == typed
    assert "Veuillez corriger les champs signalés." in flashes(refused.text)


def test_wtforms_own_messages_are_in_the_page_language(
    app: Flask, database: Database, demo: None
) -> None:
    in_french(database, ALICE)
    alice = signed_in(app, ALICE)
    po_id = po_id_by_number(alice, "ACME-PO-2026-001")
    refused = submit_edit(alice, po_id, po_number="X" * 65, reason="Nouveau numéro")
    assert field_errors(refused.text) == {
        "po_number": "Le champ ne peut pas contenir plus de 64 caractères."
    }


def test_an_empty_billing_frequency_asks_to_choose(
    app: Flask, database: Database, demo: None
) -> None:
    alice = signed_in(app, ALICE)
    refused = submit_new(alice, "frequency_change", frequency="", reason="Budget")
    assert refused.status_code == 400
    assert field_errors(refused.text) == {"frequency": "Choose one from the list."}


def _post_billing(client: FlaskClient, path: str, fields: dict[str, str]) -> object:
    page = client.get("/billing/")
    return client.post(path, data={**fields, "csrf_token": csrf_token(page.text)})


@pytest.mark.parametrize("typed", ["-1", "0", "999999999", "dix"])
def test_seats_out_of_range_are_marked_and_kept_on_the_billing_page(
    app: Flask, database: Database, demo: None, typed: str
) -> None:
    from tests.test_billing_pages import subscription_id

    peter = signed_in(app, PETER)
    business = subscription_id(database, "Initech LLC", "GoToMeeting Business")
    prefix = f"s{business}-"
    page = peter.get("/billing/")
    refused = peter.post(
        f"/billing/subscriptions/{business}/preview",
        data={f"{prefix}seats": typed, f"{prefix}csrf_token": csrf_token(page.text)},
    )
    assert refused.status_code == 400
    assert field_errors(refused.text) == {f"{prefix}seats": "A whole number from 1 to 100000."}
    action = f"/billing/subscriptions/{business}/preview"
    assert read_form(refused.text, action)[f"{prefix}seats"] == typed


def test_a_preview_with_nothing_changed_marks_the_seats(
    app: Flask, database: Database, demo: None
) -> None:
    from tests.test_billing_pages import subscription_id

    peter = signed_in(app, PETER)
    business = subscription_id(database, "Initech LLC", "GoToMeeting Business")
    page = peter.get("/billing/")
    refused = peter.post(
        f"/billing/subscriptions/{business}/preview",
        data={f"s{business}-csrf_token": csrf_token(page.text)},
    )
    assert refused.status_code == 400
    assert list(field_errors(refused.text)) == [f"s{business}-seats"]


def test_adding_a_subscription_with_negative_seats_marks_them_and_keeps_them(
    app: Flask, database: Database, demo: None
) -> None:
    peter = signed_in(app, PETER)
    page = peter.get("/billing/")
    plan = re.search(r'<option value="([^"]+)"', page.text.split('name="plan"')[1]).group(1)
    refused = peter.post(
        "/billing/subscriptions",
        data={
            "plan": plan,
            "seats": "-2",
            "period": "monthly",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert refused.status_code == 400
    assert field_errors(refused.text) == {"seats": "A whole number from 1 to 100000."}
    assert read_form(refused.text, "/billing/subscriptions")["seats"] == "-2"
