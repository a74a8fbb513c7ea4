"""After a billing-contact change, mail about the account's other requests reaches the new
contact, not the former one (now a member, who could open none of the links)."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient

from portal.db import Database
from portal.models import OutboxMessage
from tests.conftest import WorkerThread
from tests.support import api_token, request_status, wait_for


def recipients_of(database: Database, request_id: int) -> set[str]:
    with database.session() as session:
        return set(
            session.scalars(
                sa.select(OutboxMessage.recipient_email).where(
                    OutboxMessage.request_id == request_id
                )
            )
        )


def test_mail_about_an_older_request_goes_to_the_new_contact(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    po = client.get("/api/v1/purchase-orders", headers=alice).json["items"][0]
    edit = client.post(
        "/api/v1/requests",
        json={
            "type": "po_edit",
            "payload": {"purchase_order_id": po["id"], "changes": {"notes": "x"}, "reason": "r"},
        },
        headers=alice,
    ).json["id"]
    handover = client.post(
        "/api/v1/requests",
        json={
            "type": "contact_change",
            "payload": {
                "new_contact_email": "dana@acme.example",
                "new_contact_name": "Dana Ross",
                "reason": "Alice moves to sales",
            },
        },
        headers=alice,
    ).json["id"]
    for verb in ("claim", "approve"):
        assert (
            client.post(f"/api/v1/tasks/{handover}/{verb}", json={}, headers=tess).status_code
            == 200
        )
    wait_for(lambda: request_status(database, handover) == "completed", what="handed over")
    before = recipients_of(database, edit)

    assert client.post(f"/api/v1/tasks/{edit}/claim", json={}, headers=tess).status_code == 200
    asked = client.post(
        f"/api/v1/tasks/{edit}/request-info", json={"question": "Which office?"}, headers=tess
    )
    assert asked.status_code == 200, asked.json
    wait_for(
        lambda: "dana@acme.example" in recipients_of(database, edit) - before,
        what="the question mailed to Dana",
    )
    assert "alice@acme.example" not in recipients_of(database, edit) - before
