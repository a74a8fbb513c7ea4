"""Faults, for real: a worker killed mid-flight, the Temporal server restarted, the database
failing inside the apply activity, technicians racing. Nothing lost, nothing applied twice."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal import clock
from portal.accounts.operations import create_user
from portal.app import create_app
from portal.billing_requests.kinds import KINDS
from portal.config import TemporalSettings
from portal.db import Database
from portal.demo import DEMO_PASSWORD
from portal.devserver import start_temporal
from portal.gateway import TemporalBridge
from portal.models import BillingRequest, PurchaseOrderRevision
from tests.conftest import WorkerThread, free_port, make_settings
from tests.support import api_token, wait_for
from tests.test_serving import environment


def start_worker(
    database_url: str, temporal: TemporalSettings, data_dir: Path
) -> subprocess.Popen[str]:
    # Output to a file: a pipe nobody reads would fill and freeze the worker.
    log = (data_dir / f"worker-{uuid.uuid4().hex[:6]}.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "worker", "--concurrency", "8"],
        env={
            **environment(database_url, temporal, data_dir),
            "PORTAL_TEMPORAL_TASK_QUEUE": temporal.task_queue,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_for(
        lambda: "worker polling task queue" in Path(log.name).read_text(),
        timeout=30,
        what="the worker",
    )
    return worker


def app_on(
    database: Database, database_url: str, temporal: TemporalSettings, tmp_path: Path
) -> Flask:
    return create_app(
        make_settings(database_url, temporal, tmp_path),
        database=database,
        bridge=TemporalBridge(temporal),
    )


def submit_edits(client: FlaskClient, alice: dict[str, str], count: int) -> list[int]:
    orders = client.get("/api/v1/purchase-orders", headers=alice).json["items"]
    ids = []
    for index in range(count):
        po = orders[index % len(orders)]
        body = {
            "type": "po_edit",
            "payload": {
                "purchase_order_id": po["id"],
                "changes": {"notes": f"note {index}"},
                "reason": "load",
            },
        }
        response = client.post("/api/v1/requests", json=body, headers=alice)
        assert response.status_code == 202, response.json
        ids.append(response.json["id"])
    return ids


def claim_and_approve(client: FlaskClient, tess: dict[str, str], request_id: int) -> None:
    assert (
        client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=tess).status_code == 200
    )
    assert (
        client.post(f"/api/v1/tasks/{request_id}/approve", json={}, headers=tess).status_code == 200
    )


def statuses(database: Database, ids: list[int]) -> dict[int, str]:
    with database.session() as session:
        rows = session.execute(
            sa.select(BillingRequest.id, BillingRequest.status).where(BillingRequest.id.in_(ids))
        )
        return {row_id: status for row_id, status in rows}


def revisions_by_request(database: Database, ids: list[int]) -> list[int]:
    with database.session() as session:
        query = sa.select(PurchaseOrderRevision.request_id).where(
            PurchaseOrderRevision.request_id.in_(ids)
        )
        return [row for row in session.scalars(query) if row is not None]


def stop(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    process.communicate(timeout=40)


def test_worker_killed_mid_flight_loses_nothing_and_applies_once(
    database: Database,
    database_url: str,
    temporal_settings: TemporalSettings,
    demo: None,
    tmp_path: Path,
) -> None:
    temporal = dataclasses.replace(temporal_settings, task_queue=f"faults-{uuid.uuid4().hex[:6]}")
    client = app_on(database, database_url, temporal, tmp_path).test_client()
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    ids = submit_edits(client, alice, 50)
    worker = start_worker(database_url, temporal, tmp_path)
    try:
        for request_id in ids:
            claim_and_approve(client, tess, request_id)
    finally:
        worker.send_signal(signal.SIGKILL)  # no goodbye: activities die half-way
        stop(worker, signal.SIGKILL)
    unfinished = [i for i, status in statuses(database, ids).items() if status != "completed"]
    worker = start_worker(database_url, temporal, tmp_path)
    try:
        wait_for(
            lambda: set(statuses(database, ids).values()) == {"completed"},
            timeout=90,
            what="all 50",
        )
    finally:
        stop(worker)
    applied = revisions_by_request(database, ids)
    assert sorted(applied) == sorted(ids), "each approved change applied exactly once"
    print(f"{len(unfinished)} of 50 were unfinished when the worker was killed")


def test_temporal_restarted_on_its_database_file_loses_nothing(
    database: Database, database_url: str, demo: None, tmp_path: Path
) -> None:
    port = free_port()
    db_file = tmp_path / "temporal.db"
    server = start_temporal(port, None, db_file)
    temporal = TemporalSettings(
        address=f"127.0.0.1:{port}", task_queue="restart", rpc_timeout_seconds=3
    )
    client = app_on(database, database_url, temporal, tmp_path).test_client()
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    worker = start_worker(database_url, temporal, tmp_path)
    try:
        ids = submit_edits(client, alice, 10)
        for request_id in ids[:5]:
            claim_and_approve(client, tess, request_id)
        server.terminate()
        server.wait(timeout=20)
        down = client.post(f"/api/v1/tasks/{ids[5]}/claim", json={}, headers=tess)
        assert down.status_code == 503, down.json
        server = start_temporal(port, None, db_file)
        wait_for(
            lambda: client.get("/healthz").status_code == 200, timeout=30, what="Temporal back"
        )
        for request_id in ids[5:]:
            claim_and_approve(client, tess, request_id)
        wait_for(
            lambda: set(statuses(database, ids).values()) == {"completed"},
            timeout=90,
            what="all 10",
        )
        assert sorted(revisions_by_request(database, ids)) == sorted(ids)
    finally:
        stop(worker)
        server.terminate()
        server.wait(timeout=20)


def test_database_failing_in_apply_is_retried_then_failed_then_retried_by_a_technician(
    database: Database,
    database_url: str,
    temporal_settings: TemporalSettings,
    bridge: TemporalBridge,
    running: WorkerThread,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = make_settings(database_url, temporal_settings, tmp_path)
    settings = dataclasses.replace(
        settings, timers=dataclasses.replace(settings.timers, apply_attempts=2)
    )
    client = create_app(settings, database=database, bridge=bridge).test_client()
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    calls: list[int] = []

    def database_down(*_args: Any) -> dict[str, Any]:
        calls.append(1)
        raise sa.exc.OperationalError("INSERT", {}, Exception("database is unavailable"))

    monkeypatch.setattr(KINDS["po_edit"], "apply", database_down)
    [request_id] = submit_edits(client, alice, 1)
    claim_and_approve(client, tess, request_id)
    wait_for(
        lambda: statuses(database, [request_id])[request_id] == "failed", timeout=30, what="failed"
    )
    assert len(calls) == 2, "retried, up to the configured attempts"
    failed = client.get("/api/v1/tasks?status=failed", headers=tess).json["items"]
    assert [item["id"] for item in failed] == [request_id]
    task = client.get(f"/api/v1/tasks/{request_id}", headers=tess).json
    assert task["timeline"][-1]["event"] == "failed"
    assert "database is unavailable" in task["timeline"][-1]["note"]

    monkeypatch.undo()  # the database is back
    alice_retry = client.post(f"/api/v1/tasks/{request_id}/retry", json={}, headers=alice)
    assert alice_retry.status_code == 403
    retried = client.post(f"/api/v1/tasks/{request_id}/retry", json={}, headers=tess)
    assert retried.status_code == 200, retried.json
    wait_for(
        lambda: statuses(database, [request_id])[request_id] == "completed",
        timeout=30,
        what="retry",
    )
    assert revisions_by_request(database, [request_id]) == [request_id]
    again = client.post(f"/api/v1/tasks/{request_id}/retry", json={}, headers=tess)
    assert again.status_code == 409


def test_eight_technicians_race_to_claim_and_approve_exactly_one_wins(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    secret = pyotp.random_base32()
    with database.session() as session:
        for index in range(8):
            technician = create_user(
                session,
                f"tech{index}@logmein.example",
                f"Tech {index}",
                "technician",
                DEMO_PASSWORD,
            )
            technician.totp_secret, technician.totp_enabled_at = secret, clock.now()
        session.commit()
    technicians = [api_token(client, f"tech{index}@logmein.example", secret) for index in range(8)]
    alice = api_token(client, "alice@acme.example")
    [request_id] = submit_edits(client, alice, 1)

    def post(headers: dict[str, str], verb: str) -> int:
        # Each thread gets its own test client: like eight browsers.
        response = client.application.test_client().post(
            f"/api/v1/tasks/{request_id}/{verb}", json={}, headers=headers
        )
        return int(response.status_code)

    with ThreadPoolExecutor(8) as pool:
        claims = list(pool.map(lambda headers: post(headers, "claim"), technicians))
    assert sorted(claims) == [200] + [409] * 7
    winner = technicians[claims.index(200)]
    with ThreadPoolExecutor(8) as pool:
        approvals = list(pool.map(lambda _: post(winner, "approve"), range(8)))
    assert sorted(approvals) == [200] + [409] * 7
    wait_for(lambda: statuses(database, [request_id])[request_id] == "completed", what="completion")
    assert revisions_by_request(database, [request_id]) == [request_id]


@pytest.fixture(autouse=True)
def _no_stray_processes() -> Iterator[None]:
    yield


def test_an_approval_left_unanswered_says_it_may_still_happen_and_it_does(
    database: Database, database_url: str, demo: None, tmp_path: Path
) -> None:
    """No worker when the technician approves: the Update reaches Temporal but no answer comes
    in time. The answer must not be "nothing was saved": a worker that starts later applies it."""
    port = free_port()
    server = start_temporal(port, None, None)
    temporal = TemporalSettings(
        address=f"127.0.0.1:{port}", task_queue="unanswered", rpc_timeout_seconds=1
    )
    client = app_on(database, database_url, temporal, tmp_path).test_client()
    alice, tess = api_token(client, "alice@acme.example"), api_token(client, "tess@logmein.example")
    worker = start_worker(database_url, temporal, tmp_path)
    try:
        [request_id] = submit_edits(client, alice, 1)
        claimed = client.post(f"/api/v1/tasks/{request_id}/claim", json={}, headers=tess)
        assert claimed.status_code == 200
        stop(worker)

        approved = client.post(f"/api/v1/tasks/{request_id}/approve", json={}, headers=tess)

        assert approved.status_code == 503
        assert "may still go through" in approved.json["error"]
        assert "Nothing was saved" not in approved.json["error"]
        worker = start_worker(database_url, temporal, tmp_path)
        wait_for(
            lambda: statuses(database, [request_id])[request_id] == "completed",
            timeout=60,
            what="the approval applied",
        )
    finally:
        stop(worker)
        server.terminate()
        server.wait(timeout=20)
