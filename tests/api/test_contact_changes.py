"""Billing-contact changes through the JSON API: a successor named by the contact, or by a
technician and then decided by a supervisor."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import Account, Invitation, User
from tests.api.support import claim_and_approve, submit, submitted_id
from tests.conftest import WorkerThread
from tests.support import api_token, request_status, wait_for

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates


def test_contact_names_a_successor_who_becomes_billing_contact(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    same = submit(
        client,
        alice,
        "contact_change",
        {"new_contact_email": "alice@acme.example", "new_contact_name": "A", "reason": "r"},
    )
    assert same.status_code == 400 and "new_contact_email" in same.json["fields"]
    foreign = submit(
        client,
        alice,
        "contact_change",
        {"new_contact_email": "chloe@globex.example", "new_contact_name": "C", "reason": "r"},
    )
    assert foreign.status_code == 400 and "new_contact_email" in foreign.json["fields"]

    payload = {
        "new_contact_email": "Dana@Acme.example",
        "new_contact_name": "Dana Scully",
        "reason": "Alice moves to sales",
    }
    request_id = submitted_id(client, alice, "contact_change", payload)
    task = client.get(f"/api/v1/tasks/{request_id}", headers=tess).json
    assert task["proposed_change"][0]["before"] == "Alice Martin <alice@acme.example>"
    assert task["proposed_change"][0]["after"] == "Dana Scully <dana@acme.example>"
    assert claim_and_approve(client, tess, request_id).status_code == 200
    wait_for(lambda: request_status(database, request_id) == "completed", what="contact change")

    with database.session() as session:
        acme = session.scalar(sa.select(Account).where(Account.name == "Acme Corporation"))
        dana = session.scalar(sa.select(User).where(User.email == "dana@acme.example"))
        alice_user = session.scalar(sa.select(User).where(User.email == "alice@acme.example"))
        assert acme is not None and dana is not None and alice_user is not None
        assert acme.billing_contact_id == dana.id
        assert (dana.role, alice_user.role) == ("billing_contact", "member")
        invitation = session.scalar(sa.select(Invitation).where(Invitation.user_id == dana.id))
        assert invitation is not None and invitation.used_at is None
    # Alice is a member now: billing is no longer hers.
    assert client.get("/api/v1/requests", headers=alice).status_code == 403

    # The request still says whom it replaced, and whom it made contact.
    done = client.get(f"/api/v1/tasks/{request_id}", headers=tess).json
    assert done["proposed_change"][0] == {
        "field": "Billing contact",
        "before": "Alice Martin <alice@acme.example>",
        "after": "Dana Scully <dana@acme.example>",
        "applied": "Dana Scully <dana@acme.example>",
    }


def test_a_contact_change_a_technician_starts_is_decided_by_a_supervisor(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    tess, theo, sam = (
        api_token(client, f"{name}@logmein.example") for name in ("tess", "theo", "sam")
    )
    with database.session() as session:
        globex = session.scalar(sa.select(Account.id).where(Account.name == "Globex SARL"))
    payload = {
        "account_id": globex,
        "new_contact_email": "hugo@globex.example",
        "new_contact_name": "Hugo",
        "reason": "Chloé left",
    }
    request_id = submitted_id(client, tess, "contact_change", payload)

    assert (
        client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=tess).status_code == 403
    )
    refused = client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=theo)
    assert refused.status_code == 403
    assert "supervisor" in refused.json["error"]
    assert claim_and_approve(client, sam, request_id).status_code == 200
    wait_for(
        lambda: request_status(database, request_id) == "completed", what="four-eyes completion"
    )
    with database.session() as session:
        account = session.get(Account, globex)
        assert account is not None and account.billing_contact is not None
        assert account.billing_contact.email == "hugo@globex.example"

    not_corporate = submit(client, tess, "po_edit", {"account_id": globex})
    assert not_corporate.status_code == 403


@pytest.mark.parametrize(
    "address",
    [
        "chloe@globex.example",  # the billing contact of another account
        "tess@logmein.example",  # a LogMeIn technician
        '"Boss"<x@evil.example>',  # a display name: the envelope would differ
        "a,b@acme.example",  # a list
        "dana-at-acme",  # no address at all
        "dana@acme",  # no domain
    ],
)
def test_every_refused_address_gets_one_answer(
    client: FlaskClient, running: WorkerThread, database: Database, address: str
) -> None:
    """Whoever an address belongs to, the form says the same: nobody learns who has an account
    where by trying addresses."""
    alice = api_token(client, "alice@acme.example")
    payload = {"new_contact_email": address, "new_contact_name": "Dana", "reason": "r"}
    refused = submit(client, alice, "contact_change", payload)
    assert refused.status_code == 400, refused.json
    assert refused.json["fields"] == {
        "new_contact_email": "Give the work e-mail address of one person of your company."
    }
