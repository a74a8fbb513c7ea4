"""Submission is all or nothing: never a request row without its workflow, or the reverse."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy import orm
from temporalio.client import Client, WorkflowExecutionStatus

import portal.gateway as gateway
from portal.app import create_app
from portal.config import TemporalSettings
from portal.db import Database
from portal.gateway import TemporalBridge
from portal.models import BillingRequest
from tests.conftest import WorkerThread, free_port, make_settings
from tests.support import api_token
from workflows.messages import StartRequestInput, workflow_id_for


def edit_payload(client: FlaskClient, headers: dict[str, str]) -> dict:
    po = client.get("/api/v1/purchase-orders", headers=headers).json["items"][0]
    return {
        "type": "po_edit",
        "payload": {
            "purchase_order_id": po["id"],
            "changes": {"notes": "Ship to Lyon"},
            "reason": "New site",
        },
    }


def request_count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(sa.select(sa.func.count(BillingRequest.id))) or 0


def test_temporal_down_gives_503_and_stores_nothing(
    database: Database, database_url: str, demo: None, tmp_path: Path
) -> None:
    nowhere = TemporalSettings(address=f"127.0.0.1:{free_port()}", rpc_timeout_seconds=1.0)
    app = create_app(
        make_settings(database_url, nowhere, tmp_path),
        database=database,
        bridge=TemporalBridge(nowhere),
    )
    client = app.test_client()
    alice = api_token(client, "alice@acme.example")

    response = client.post("/api/v1/requests", json=edit_payload(client, alice), headers=alice)

    assert response.status_code == 503
    assert "Nothing was saved" in response.json["error"]
    assert response.json["code"] == "service_unavailable"
    assert int(response.headers["Retry-After"]) > 0
    assert request_count(database) == 0
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json["temporal"] == "down"
    assert health.json["database"] == "ok"


def test_healthz_is_ok_when_both_answer(client: FlaskClient, running: WorkerThread) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"database": "ok", "temporal": "ok"}


def test_failed_commit_terminates_the_started_workflow(
    client: FlaskClient,
    running: WorkerThread,
    database: Database,
    temporal_settings: TemporalSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice = api_token(client, "alice@acme.example")
    body = edit_payload(client, alice)
    started: list[int] = []
    real_start = gateway.start_request_workflow

    async def recording_start(client: Client, task_queue: str, start: StartRequestInput) -> None:
        started.append(start.request_id)
        await real_start(client, task_queue, start)

    def failing_commit(self: orm.Session) -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("database went away"))

    monkeypatch.setattr(gateway, "start_request_workflow", recording_start)
    monkeypatch.setattr(orm.Session, "commit", failing_commit)
    with pytest.raises(sa.exc.OperationalError):
        client.post("/api/v1/requests", json=body, headers=alice)
    monkeypatch.undo()

    assert len(started) == 1
    assert request_count(database) == 0

    async def workflow_status() -> WorkflowExecutionStatus | None:
        temporal = await Client.connect(temporal_settings.address)
        return (await temporal.get_workflow_handle(workflow_id_for(started[0])).describe()).status

    assert asyncio.run(workflow_status()) == WorkflowExecutionStatus.TERMINATED

    # The next submission works, even where SQLite hands out the rolled-back id again.
    again = client.post("/api/v1/requests", json=body, headers=alice)
    assert again.status_code == 202, again.json
    tess = api_token(client, "tess@logmein.example")
    claimed = client.post(f"/api/v1/tasks/{again.json['id']}/claim", json={}, headers=tess)
    assert claimed.status_code == 200, claimed.json
    assert claimed.json["status"] == "in_review"
