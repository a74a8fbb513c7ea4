"""Fixtures of the security tests: the world the matrix walks (objects of several accounts,
every role's token), and a cheap dummy hash for unknown e-mails."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

import portal.accounts.security
from portal import clock
from portal.billing_centre.ledger import Line, draft, issue
from portal.config import VendorSettings
from portal.db import Database
from portal.documents import operations as documents
from portal.documents.pdf import render_vendor_form
from portal.models import Account, Invitation, Invoice, PurchaseOrder, Subscription, User
from tests.conftest import WorkerThread
from tests.security.gates import BOB, ROLES
from tests.security.support import World, json_of
from tests.support import api_token

# -- the world the matrix walks ----------------------------------------------------------------


QUOTE = {"items": [{"product": "GoToMeeting Business", "seats": 10}], "term_months": 12}


def _account_ids(session: Any) -> dict[str, int]:
    names = {"acme": "Acme Corporation", "globex": "Globex SARL", "initech": "Initech LLC"}
    return {
        key: session.scalar(sa.select(Account.id).where(Account.name == name))
        for key, name in names.items()
    }


def _first(session: Any, model: Any, account_id: int) -> int:
    found = session.scalar(
        sa.select(model.id).where(model.account_id == account_id).order_by(model.id).limit(1)
    )
    assert found is not None, (model, account_id)
    return int(found)


def _priced_quote(client: FlaskClient, contact: dict[str, str], staff: dict[str, str]) -> int:
    submitted = client.post(
        "/api/v1/requests", json={"type": "quote", "payload": QUOTE}, headers=contact
    )
    assert submitted.status_code == 202, submitted.json
    request_id = int(json_of(submitted)["id"])
    for verb in ("claim", "approve"):
        done = client.post(f"/api/v1/tasks/{request_id}/{verb}", json={}, headers=staff)
        assert done.status_code == 200, done.json
    assert json_of(done)["status"] == "quoted"
    return request_id


@pytest.fixture
def world(app: Flask, running: WorkerThread, database: Database) -> World:
    client = app.test_client()
    tokens = {who.name: api_token(client, who.email) for who in ROLES if who.email}
    acme_request = _priced_quote(client, tokens["contact"], tokens["technician"])
    globex_request = _priced_quote(client, tokens["other_contact"], tokens["technician"])
    invitation_token = "matrix-invitation-token"
    pdf = render_vendor_form(VendorSettings(), "Test", "for the matrix")
    with database.session() as session:
        accounts = _account_ids(session)
        objects: dict[str, dict[str, int]] = {
            "requests": {"acme": acme_request, "globex": globex_request},
            "accounts": dict(accounts),
            "purchase_orders": {
                key: _first(session, PurchaseOrder, accounts[key]) for key in ("acme", "globex")
            },
            "subscriptions": {
                key: _first(session, Subscription, accounts[key]) for key in accounts
            },
            "documents": {
                key: documents.store_document(
                    session, accounts[key], "vendor_form", f"{key}.pdf", pdf
                ).id
                for key in ("acme", "globex")
            },
        }
        globex = session.get(Account, accounts["globex"])
        assert globex is not None
        issue(session, globex, draft(globex, [Line("Consulting", 1, Decimal("100"))]), "charge")
        session.flush()
        objects["invoices"] = {key: _first(session, Invoice, accounts[key]) for key in accounts}
        bob = session.scalar(sa.select(User).where(User.email == BOB))
        assert bob is not None
        session.add(
            Invitation(
                user_id=bob.id,
                token_hash=hashlib.sha256(invitation_token.encode()).hexdigest(),
                expires_at=clock.now() + timedelta(days=1),
            )
        )
    return World(objects, tokens, invitation_token)


# -- unknown e-mails ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def cheap_unknown_email_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown e-mail is checked against a dummy hash made at import with production costs;
    the tests' cheap one keeps dozens of failures quick (both paths stay alike)."""
    monkeypatch.setattr(
        portal.accounts.security, "_DUMMY_HASH", portal.accounts.security.hash_password("x")
    )
