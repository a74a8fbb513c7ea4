"""Idempotency keys as Stripe has them: the same key and body answer the first answer, even after
the change was applied; the same key with another body is a 409; an action's key belongs to the
one who acts."""

from __future__ import annotations

from flask.testing import FlaskClient

from portal.db import Database
from tests.api.support import ALICE, edit_payload, post_request, purchase_orders, token
from tests.conftest import WorkerThread
from tests.support import request_status, wait_for


def test_the_same_key_and_body_after_the_change_was_applied_answer_the_first_request(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice, tess = token(client, ALICE), token(client, "tess@logmein.example")
    po = purchase_orders(client, alice)[0]
    body = {"type": "po_edit", "payload": edit_payload(po), "idempotency_key": "edit-7"}
    first = post_request(client, alice, body)
    assert first.status_code == 202, first.json
    for verb in ("claim", "approve"):
        done = client.post(f"/api/v1/tasks/{first.json['id']}/{verb}", json={}, headers=tess)
        assert done.status_code == 200, done.json
    wait_for(lambda: request_status(database, first.json["id"]) == "completed", what="applied")

    again = post_request(client, alice, body)  # "nothing would change" now, were it new

    assert again.status_code == 202, again.json
    assert again.json["id"] == first.json["id"] and again.json["status"] == "completed"


def test_the_same_key_with_another_body_is_a_409(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    po = purchase_orders(client, alice)[0]
    body = {"type": "po_edit", "payload": edit_payload(po), "idempotency_key": "edit-8"}
    assert post_request(client, alice, body).status_code == 202
    other = {**body, "payload": edit_payload(po, reason="Another reason")}

    reused = post_request(client, alice, other)

    assert reused.status_code == 409, reused.json
    assert "idempotency_key" in reused.json["fields"]


def test_an_action_key_is_the_callers_own(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    """Tess claims with a key; Theo's claim with the same key is a click of his own, refused on
    its merits (claimed already), not answered with Tess's result."""
    alice = token(client, ALICE)
    tess, theo = token(client, "tess@logmein.example"), token(client, "theo@logmein.example")
    po = purchase_orders(client, alice)[0]
    created = post_request(client, alice, {"type": "po_edit", "payload": edit_payload(po)})
    url = f"/api/v1/tasks/{created.json['id']}/claim"
    key = {"Idempotency-Key": "claim-1"}

    first = client.post(url, json={}, headers={**tess, **key})
    again = client.post(url, json={}, headers={**tess, **key})
    other = client.post(url, json={}, headers={**theo, **key})

    assert (first.status_code, again.status_code) == (200, 200)
    assert other.status_code == 409, other.json
