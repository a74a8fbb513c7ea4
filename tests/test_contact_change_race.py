"""Two accounts name the same new person as billing contact and both are approved at once: one
account gets the person, the other's request fails with the reason and keeps its contact. No
account is left without a usable billing contact of its own."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import Account, User
from tests.conftest import WorkerThread
from tests.support import api_token, request_status, wait_for

FINAL = ("completed", "failed")


def test_two_accounts_racing_for_one_new_contact(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    tess = api_token(client, "tess@logmein.example")
    asked = []
    for contact in ("alice@acme.example", "chloe@globex.example"):
        payload = {
            "new_contact_email": "dana@shared.example",
            "new_contact_name": "Dana Ross",
            "reason": "She runs accounts payable now",
        }
        created = client.post(
            "/api/v1/requests",
            json={"type": "contact_change", "payload": payload},
            headers=api_token(client, contact),
        )
        assert created.status_code == 202, created.json
        asked.append(created.json["id"])
        claimed = client.post(f"/api/v1/tasks/{created.json['id']}/claim", json={}, headers=tess)
        assert claimed.status_code == 200, claimed.json

    def approve(request_id: int) -> int:
        answer = app.test_client().post(
            f"/api/v1/tasks/{request_id}/approve", json={}, headers=tess
        )
        return answer.status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(approve, asked)) == [200, 200]
    wait_for(
        lambda: all(request_status(database, rid) in FINAL for rid in asked),
        timeout=60,
        what="both decided",
    )

    outcomes = sorted(request_status(database, rid) for rid in asked)
    assert outcomes == ["completed", "failed"]
    failed = next(rid for rid in asked if request_status(database, rid) == "failed")
    timeline = client.get(f"/api/v1/requests/{failed}", headers=tess).json["timeline"]
    assert any("another account" in (entry["note"] or "") for entry in timeline)
    with database.session() as session:
        for account in session.scalars(
            sa.select(Account).where(Account.name.in_(["Acme Corporation", "Globex SARL"]))
        ):
            contact = session.get(User, account.billing_contact_id)
            assert contact is not None and contact.account_id == account.id, account.name
            assert contact.role == "billing_contact"
        dana = session.scalar(sa.select(User).where(User.email == "dana@shared.example"))
        assert dana is not None
