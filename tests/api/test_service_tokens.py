"""Service tokens: an account's, named and scoped, listed with their last use, revocable by the
billing contact; a scope is enforced on every endpoint, and the token outlives a change of
billing contact."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import Account, User
from tests.support import api_token

ALICE = "alice@acme.example"


def service_token(client: FlaskClient, owner: dict[str, str], *scopes: str) -> dict[str, Any]:
    made = client.post(
        "/api/v1/tokens", json={"name": "Coupa", "scopes": list(scopes)}, headers=owner
    )
    assert made.status_code == 201, made.json
    return dict(made.json)


def bearer(made: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {made['token']}"}


def test_a_read_token_reads_and_writes_nothing(client: FlaskClient, demo: None) -> None:
    alice = api_token(client, ALICE)
    made = service_token(client, alice, "read")
    assert (made["kind"], made["name"], made["scopes"]) == ("service", "Coupa", ["read"])
    reader = bearer(made)
    assert client.get("/api/v1/requests", headers=reader).status_code == 200
    assert client.get("/api/v1/invoices", headers=reader).status_code == 200
    body = {"type": "account_inquiry", "payload": {"topic": "contract_copy", "message": "m"}}
    refused = client.post("/api/v1/requests", json=body, headers=reader)
    assert (refused.status_code, refused.json["code"]) == (403, "insufficient_scope")
    assert "requests" in refused.json["error"]
    # Tokens are managed with a person's token only.
    assert client.get("/api/v1/tokens", headers=reader).status_code == 403
    again = client.post("/api/v1/tokens", json={"name": "x", "scopes": ["read"]}, headers=reader)
    assert again.status_code == 403

    listed = client.get("/api/v1/tokens", headers=alice).json["items"]
    [service] = [item for item in listed if item["kind"] == "service"]
    assert service["id"] == made["id"] and service["last_used_at"] is not None
    assert "token" not in service, "the secret is shown once"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": ["read"]}, "name"),
        ({"name": "", "scopes": ["read"]}, "name"),
        ({"name": "x" * 101, "scopes": ["read"]}, "name"),
        ({"name": "Coupa"}, "scopes"),
        ({"name": "Coupa", "scopes": []}, "scopes"),
        ({"name": "Coupa", "scopes": ["admin"]}, "scopes"),
        ({"name": "Coupa", "scopes": "read"}, "scopes"),
    ],
)
def test_a_bad_service_token_is_a_400_naming_the_field(
    client: FlaskClient, demo: None, body: dict[str, Any], field: str
) -> None:
    refused = client.post("/api/v1/tokens", json=body, headers=api_token(client, ALICE))
    assert refused.status_code == 400 and list(refused.json["fields"]) == [field]


def test_only_a_billing_contact_makes_them(client: FlaskClient, demo: None) -> None:
    for email in ("bob@acme.example", "tess@logmein.example"):
        refused = client.post(
            "/api/v1/tokens",
            json={"name": "Coupa", "scopes": ["read"]},
            headers=api_token(client, email),
        )
        assert refused.status_code == 403, email


def test_a_service_token_outlives_the_contact_and_is_revoked_by_the_account(
    client: FlaskClient, database: Database, demo: None
) -> None:
    alice = api_token(client, ALICE)
    made = service_token(client, alice, "read", "requests")
    with database.session() as session:
        # The account hands over to Bob (what an approved contact change does).
        acme = session.scalar(sa.select(Account).where(Account.name == "Acme Corporation"))
        bob = session.scalar(sa.select(User).where(User.email == "bob@acme.example"))
        alice_user = session.scalar(sa.select(User).where(User.email == ALICE))
        assert acme and bob and alice_user
        acme.billing_contact_id, bob.role, alice_user.role = bob.id, "billing_contact", "member"
        session.commit()
    me = client.get("/api/v1/me", headers=bearer(made))
    assert me.status_code == 200 and me.json["email"] == "bob@acme.example"

    chloe = api_token(client, "chloe@globex.example")
    assert client.delete(f"/api/v1/tokens/{made['id']}", headers=chloe).status_code == 404
    bob_token = api_token(client, "bob@acme.example")
    assert client.delete(f"/api/v1/tokens/{made['id']}", headers=bob_token).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(made)).status_code == 401
