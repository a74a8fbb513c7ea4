"""The rules of a request's steps through the API (403, 409, 400): claims, approvals,
cancellations, questions and reassignment, each time checking that nothing else changed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from flask.testing import FlaskClient

from portal.db import Database
from tests.api.support import (
    ALICE,
    SAM,
    TESS,
    THEO,
    act,
    assert_error,
    claimed_edit,
    revision_count,
    stored_request,
    submit_edit,
    token,
    user_id,
)
from tests.conftest import WorkerThread
from tests.support import request_status, wait_for


def test_technician_cannot_approve_a_task_claimed_by_another(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    theo = token(client, THEO)
    request_id = claimed_edit(client, alice, tess)
    before = stored_request(database, request_id)

    refused = act(client, theo, request_id, "approve", comment="Looks fine")
    assert_error(refused, 403)

    assert stored_request(database, request_id) == before
    assert request_status(database, request_id) == "in_review"
    detail = client.get(f"/api/v1/requests/{request_id}", headers=alice).json
    assert detail["status"] == "in_review"
    assert detail["assignee"]["name"] == "Tess Nguyen"
    assert "approved" not in [event["event"] for event in detail["timeline"]]


def test_approving_an_unclaimed_task_is_a_conflict(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    request_id = submit_edit(client, alice)
    revisions = revision_count(database)

    refused = assert_error(act(client, tess, request_id, "approve", comment="OK"), 409)
    assert "claim" in refused["error"].lower()

    after = stored_request(database, request_id)
    assert after["status"] == "submitted"
    assert after["assignee_id"] is None
    assert after["events"] == ["submitted"]
    assert revision_count(database) == revisions


def test_double_approval_gives_one_success_and_one_conflict(
    app: Flask, client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    request_id = claimed_edit(client, alice, tess)
    revisions = revision_count(database)

    def approve(_: int) -> int:
        response = act(app.test_client(), tess, request_id, "approve", comment="OK")
        if response.status_code != 200:
            assert_error(response, response.status_code)
        status: int = response.status_code
        return status

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(approve, range(2)))
    assert statuses == [200, 409]

    wait_for(lambda: request_status(database, request_id) == "completed", what="completion")
    events = stored_request(database, request_id)["events"]
    assert events.count("approved") == 1
    assert events.count("completed") == 1
    # The change was applied once: one new revision.
    assert revision_count(database) == revisions + 1


def test_cancel_after_approval_and_after_completion_is_a_conflict(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    request_id = claimed_edit(client, alice, tess)
    approved = act(client, tess, request_id, "approve", comment="OK")
    assert approved.status_code == 200, approved.json

    after_approval = client.post(f"/api/v1/requests/{request_id}/cancel", json={}, headers=alice)
    assert_error(after_approval, 409)

    wait_for(lambda: request_status(database, request_id) == "completed", what="completion")
    after_completion = client.post(
        f"/api/v1/requests/{request_id}/cancel", json={"reason": "Too late?"}, headers=alice
    )
    assert_error(after_completion, 409)

    detail = client.get(f"/api/v1/requests/{request_id}", headers=alice).json
    assert detail["status"] == "completed"
    assert "cancelled" not in [event["event"] for event in detail["timeline"]]


def test_contact_cancels_a_submitted_request_then_it_cannot_be_claimed(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    request_id = submit_edit(client, alice)

    cancelled = client.post(
        f"/api/v1/requests/{request_id}/cancel", json={"reason": "Not needed"}, headers=alice
    )
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == "cancelled"
    assert request_status(database, request_id) == "cancelled"
    assert cancelled.json["timeline"][-1]["event"] == "cancelled"
    assert cancelled.json["timeline"][-1]["note"] == "Not needed"

    refused = assert_error(act(client, tess, request_id, "claim"), 409)
    assert refused["error"] == "This request was cancelled: there is nothing left to decide."
    assert refused["code"] == "cancelled"  # the workflow's reason, stable for clients
    after = stored_request(database, request_id)
    assert after["status"] == "cancelled"
    assert after["assignee_id"] is None
    assert after["events"] == ["submitted", "cancelled"]


def test_reject_without_reason_is_refused(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    request_id = claimed_edit(client, alice, tess)
    before = stored_request(database, request_id)

    for body in ({}, {"reason": ""}, {"reason": "   "}):
        refused = act(client, tess, request_id, "reject", **body)
        error = assert_error(refused, 400)
        assert "reason" in error["fields"], error

    assert stored_request(database, request_id) == before
    assert before["status"] == "in_review"


def test_question_and_answer_round_trip(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    request_id = claimed_edit(client, alice, tess)

    asked = act(client, tess, request_id, "request-info", question="Which cost centre?")
    assert asked.status_code == 200, asked.json
    assert asked.json["status"] == "waiting_for_customer"
    assert request_status(database, request_id) == "waiting_for_customer"

    answered = client.post(
        f"/api/v1/requests/{request_id}/provide-info",
        json={"message": "Cost centre 4410"},
        headers=alice,
    )
    assert answered.status_code == 200, answered.json
    assert answered.json["status"] == "in_review"
    assert request_status(database, request_id) == "in_review"

    detail = client.get(f"/api/v1/requests/{request_id}", headers=alice).json
    timeline = {event["event"]: event for event in detail["timeline"]}
    assert timeline["info_requested"]["note"] == "Which cost centre?"
    assert timeline["info_requested"]["actor"] == "Tess Nguyen"
    assert timeline["info_provided"]["note"] == "Cost centre 4410"
    assert timeline["info_provided"]["actor"] == "Alice Martin"
    assert [event["event"] for event in detail["timeline"]] == [
        "submitted",
        "claimed",
        "info_requested",
        "info_provided",
    ]


def test_only_a_supervisor_can_reassign(
    client: FlaskClient, running: WorkerThread, database: Database
) -> None:
    alice = token(client, ALICE)
    tess = token(client, TESS)
    theo = token(client, THEO)
    sam = token(client, SAM)
    theo_id = user_id(client, theo)
    request_id = claimed_edit(client, alice, tess)
    before = stored_request(database, request_id)

    refused = assert_error(act(client, tess, request_id, "reassign", assignee=theo_id), 403)
    assert "supervisor" in refused["error"]
    assert stored_request(database, request_id) == before

    reassigned = act(client, sam, request_id, "reassign", assignee=theo_id)
    assert reassigned.status_code == 200, reassigned.json
    assert reassigned.json["assignee"] == {"id": theo_id, "name": "Théo Laurent"}
    assert reassigned.json["status"] == "in_review"
    after = stored_request(database, request_id)
    assert after["assignee_id"] == theo_id
    assert after["events"][-1] == "reassigned"
    task = client.get(f"/api/v1/tasks/{request_id}", headers=theo).json
    assert task["assignee"]["name"] == "Théo Laurent"
