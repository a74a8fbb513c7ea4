"""No text or data can leave a request stuck: a client that calls Temporal itself is refused
by the workflow's validators, what a history already holds is shown readable, and a change
whose data cannot be applied fails at once with its reason instead of retrying."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.requests import RequestActivities
from portal.config import TemporalSettings
from portal.db import Database
from portal.models import BillingRequest, PurchaseOrder, User
from portal.notifications.delivery import OutboxSender
from tests.conftest import WorkerThread, make_settings
from tests.support import api_token, request_status, wait_for
from workflows.lifecycle import Actor
from workflows.messages import (
    ChangeInput,
    ProvideInfoInput,
    RequestSnapshot,
    TimelineEvent,
    workflow_id_for,
)
from workflows.readable import readable, scrubbed, unreadable_field
from workflows.request_process import REFUSED
from workflows.request_workflow import RequestWorkflow

BROKEN = ["\ud800", "a\udfffb", "nul\x00", "bell\x07"]


def asked_for_information(client: FlaskClient, database: Database) -> int:
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    po = client.get("/api/v1/purchase-orders", headers=alice).json["items"][0]
    body = {"purchase_order_id": po["id"], "changes": {"notes": "Lyon"}, "reason": "New office"}
    submitted = client.post(
        "/api/v1/requests", json={"type": "po_edit", "payload": body}, headers=alice
    )
    assert submitted.status_code == 202, submitted.json
    request_id: int = submitted.json["id"]
    assert (
        client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=tess).status_code == 200
    )
    asked = client.post(
        f"/api/v1/tasks/{request_id}/request-info", json={"question": "Which?"}, headers=tess
    )
    assert asked.status_code == 200, asked.json
    wait_for(lambda: request_status(database, request_id) == "waiting_for_customer")
    return request_id


def alice_actor(database: Database) -> Actor:
    with database.session() as session:
        alice = session.scalar(sa.select(User).where(User.email == "alice@acme.example"))
        assert alice is not None
        return Actor(alice.id, alice.role, alice.account_id, alice.name)


@pytest.mark.parametrize("text", BROKEN)
def test_an_answer_sent_straight_to_temporal_with_broken_text_is_refused(
    client: FlaskClient,
    running: WorkerThread,
    database: Database,
    temporal_settings: TemporalSettings,
    text: str,
) -> None:
    request_id = asked_for_information(client, database)

    async def answer(message: str) -> None:
        temporal = await Client.connect(temporal_settings.address)
        handle = temporal.get_workflow_handle(workflow_id_for(request_id))
        await handle.execute_update(
            RequestWorkflow.provide_info, ProvideInfoInput(alice_actor(database), message)
        )

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        asyncio.run(answer(f"Lyon {text}"))
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.message == "message: text with characters that cannot be stored"

    # Nothing moved; the request still reads and still takes a readable answer.
    alice = api_token(client, "alice@acme.example")
    detail = client.get(f"/api/v1/requests/{request_id}", headers=alice)
    assert detail.status_code == 200
    assert detail.json["status"] == "waiting_for_customer"
    asyncio.run(answer("The Lyon office"))
    wait_for(lambda: request_status(database, request_id) == "in_review", what="the answer")


def test_broken_text_a_history_already_holds_is_shown_readable(
    client: FlaskClient,
    running: WorkerThread,
    database: Database,
    database_url: str,
    temporal_settings: TemporalSettings,
    tmp_path: Path,
) -> None:
    request_id = asked_for_information(client, database)
    with database.session() as session:
        item = session.get(BillingRequest, request_id)
        assert item is not None
        version, status = item.version, item.status
    # As a workflow started before the validators refused it would project it.
    note = "Lyon \ud800 office\x00"
    snapshot = RequestSnapshot(
        request_id=request_id,
        version=version + 1,
        status=status,
        assignee_id=None,
        escalated=False,
        timeline=[TimelineEvent("2027-01-05T10:00:00+00:00", None, "Alice", "info_provided", note)],
    )
    settings = make_settings(database_url, temporal_settings, tmp_path)
    activities = RequestActivities(database, settings, OutboxSender(database, settings.smtp))
    ActivityEnvironment().run(activities.project_request, snapshot)

    alice = api_token(client, "alice@acme.example")
    detail = client.get(f"/api/v1/requests/{request_id}", headers=alice)
    assert detail.status_code == 200
    assert detail.json["timeline"][-1]["note"] == "Lyon \ufffd office"


def test_a_change_whose_data_cannot_be_applied_is_refused_at_the_first_attempt(
    client: FlaskClient,
    database: Database,
    database_url: str,
    temporal_settings: TemporalSettings,
    tmp_path: Path,
    demo: None,
) -> None:
    with database.session() as session:
        po = session.scalar(sa.select(PurchaseOrder).order_by(PurchaseOrder.id))
        assert po is not None
        po_id, account_id = po.id, po.account_id
    tess = Actor(0, "technician", None, "Tess")
    # A line without its quantity: what the portal never sends, but a history might hold.
    payload = {"purchase_order_id": po_id, "changes": {"lines": [{"line_id": 1}]}, "reason": "r"}
    change = ChangeInput(1, "po_edit", account_id, payload, tess)
    settings = make_settings(database_url, temporal_settings, tmp_path)
    activities = RequestActivities(database, settings, OutboxSender(database, settings.smtp))
    with pytest.raises(ApplicationError) as refused:
        ActivityEnvironment().run(activities.apply_change, change)
    assert refused.value.type == REFUSED
    assert refused.value.non_retryable
    assert refused.value.message.startswith("KeyError")
    with database.session() as session:
        assert session.get(PurchaseOrder, po_id).current.number == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "shown"), list(zip(BROKEN, ["\ufffd", "a\ufffdb", "nul", "bell"], strict=True))
)
def test_every_string_of_a_message_is_checked_and_scrubbed(text: str, shown: str) -> None:
    event = TimelineEvent("2027-01-05T10:00:00+00:00", 1, "Alice", "info_provided", text)
    snapshot = RequestSnapshot(1, 2, "in_review", None, False, [event], {"k": [text]})
    assert unreadable_field(snapshot) in {"timeline.0.note", "result.k.0"}
    clean = scrubbed(snapshot)
    assert unreadable_field(clean) is None
    assert clean.timeline[0].note == readable(text) == shown
    assert clean.result == {"k": [shown]}
    assert snapshot.timeline[0].note == text, "the message itself is left as it was"
