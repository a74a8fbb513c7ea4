"""SLA reminder, escalation and the unanswered-question timeout, on the real dev server with
time skipping (start_time_skipping_v2) and the real activities writing to the database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.worker import build_worker
from portal import clock
from portal.billing_requests.kinds import KINDS
from portal.billing_requests.queries import actor_for
from portal.db import Database
from portal.gateway import start_request_workflow
from portal.models import BillingRequest, OutboxMessage, PurchaseOrder, User
from tests.support import time_skipping_server
from workflows.messages import (
    ClaimInput,
    RequestInfoInput,
    RequestTimers,
    StartRequestInput,
    workflow_id_for,
)
from workflows.request_workflow import RequestWorkflow

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates

HOUR = 3600
TIMERS = RequestTimers(
    review_sla_seconds=HOUR, escalation_sla_seconds=4 * HOUR, info_timeout_seconds=3 * 86400
)


def store_request(database: Database) -> tuple[StartRequestInput, int]:
    with database.session() as session:
        alice = session.scalar(sa.select(User).where(User.email == "alice@acme.example"))
        assert alice is not None and alice.account_id is not None
        po = session.scalar(
            sa.select(PurchaseOrder).where(PurchaseOrder.account_id == alice.account_id)
        )
        assert po is not None
        payload = KINDS["po_edit"].validate(
            session,
            alice.account_id,
            {"purchase_order_id": po.id, "changes": {"notes": "x"}, "reason": "r"},
        )
        row = BillingRequest(
            account_id=alice.account_id,
            requester_id=alice.id,
            type="po_edit",
            payload=payload,
            timeline=[],
        )
        session.add(row)
        session.flush()
        start = StartRequestInput(
            request_id=row.id,
            request_type="po_edit",
            account_id=alice.account_id,
            requester=actor_for(alice),
            payload=payload,
            submitted_at=clock.now().isoformat(),
            clock_shift_seconds=clock.shift_seconds(),
            timers=TIMERS,
        )
        tess = session.scalar(sa.select(User).where(User.email == "tess@logmein.example"))
        assert tess is not None
        return start, tess.id


async def has_mail(database: Database, request_id: int, email: str) -> bool:
    return any(mail.recipient_email == email for mail in stored(database, request_id)[1])


def stored(database: Database, request_id: int) -> tuple[BillingRequest, list[OutboxMessage]]:
    with database.session() as session:
        row = session.get(BillingRequest, request_id)
        assert row is not None
        mails = list(
            session.scalars(sa.select(OutboxMessage).where(OutboxMessage.request_id == request_id))
        )
        return row, mails


async def with_time_skipping(database: Database, scenario: Any) -> None:
    # Virtual time moves only when a test fast-forwards it, never on its own.
    env = await time_skipping_server()
    try:
        async with build_worker(env.client, database, "timers"):
            await scenario(env)
    finally:
        await env.shutdown()


async def started(env: WorkflowEnvironment, start: StartRequestInput) -> WorkflowHandle[Any, Any]:
    await start_request_workflow(env.client, "timers", start)
    return env.client.get_workflow_handle_for(
        RequestWorkflow.run, workflow_id_for(start.request_id)
    )


async def eventually(
    check: Callable[[], Awaitable[bool]], what: str, timeout: float = 15.0
) -> None:
    """Poll until the workflow (and its activities) got there: a loaded machine is slower."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def timeline_is(handle: WorkflowHandle[Any, Any], expected: list[str]) -> bool:
    return [event.event for event in await handle.query(RequestWorkflow.timeline)] == expected


async def fast_forward(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], seconds: int
) -> None:
    result = env.fast_forward(handle, timedelta(seconds=seconds))
    if asyncio.iscoroutine(result):
        result = await result
    await asyncio.sleep(0.5)


def test_unclaimed_request_reminds_technicians_then_escalates_to_supervisors(
    database: Database, demo: None
) -> None:
    start, _ = store_request(database)

    async def scenario(env: WorkflowEnvironment) -> None:
        handle = await started(env, start)
        await fast_forward(env, handle, HOUR - 60)
        events = [event.event for event in await handle.query(RequestWorkflow.timeline)]
        assert events == ["submitted"], "no reminder before the SLA"

        await fast_forward(env, handle, 120)
        await eventually(lambda: timeline_is(handle, ["submitted", "sla_reminder"]), "the reminder")

        await fast_forward(env, handle, 3 * HOUR)
        expected = ["submitted", "sla_reminder", "escalated"]
        await eventually(lambda: timeline_is(handle, expected), "the escalation")
        await eventually(
            lambda: has_mail(database, start.request_id, "sam@logmein.example"), "the mail"
        )

    asyncio.run(with_time_skipping(database, scenario))
    row, mails = stored(database, start.request_id)
    assert row.escalated is True
    assert row.status == "submitted"
    recipients = {(mail.recipient_email, mail.subject.split(":")[0].strip()) for mail in mails}
    assert ("tess@logmein.example", "Reminder") in recipients
    assert ("theo@logmein.example", "Rappel") in recipients  # Théo reads French
    assert ("sam@logmein.example", "Escalation") in recipients


def test_claimed_request_reminds_only_its_assignee(database: Database, demo: None) -> None:
    start, tess_id = store_request(database)

    async def scenario(env: WorkflowEnvironment) -> None:
        handle = await started(env, start)
        with database.session() as session:
            tess = session.get(User, tess_id)
            assert tess is not None
            actor = actor_for(tess)
        await handle.execute_update(RequestWorkflow.claim, ClaimInput(actor))
        await fast_forward(env, handle, HOUR + 60)
        expected = ["submitted", "claimed", "sla_reminder"]
        await eventually(lambda: timeline_is(handle, expected), "the reminder")
        await eventually(
            lambda: has_mail(database, start.request_id, "tess@logmein.example"), "the mail"
        )

    asyncio.run(with_time_skipping(database, scenario))
    row, mails = stored(database, start.request_id)
    assert row.status == "in_review"
    assert [mail.recipient_email for mail in mails if mail.subject.startswith("Reminder")] == [
        "tess@logmein.example"
    ]


def test_unanswered_question_expires_the_request(database: Database, demo: None) -> None:
    start, tess_id = store_request(database)

    async def scenario(env: WorkflowEnvironment) -> None:
        handle = await started(env, start)
        with database.session() as session:
            tess = session.get(User, tess_id)
            assert tess is not None
            actor = actor_for(tess)
        await handle.execute_update(RequestWorkflow.claim, ClaimInput(actor))
        await handle.execute_update(
            RequestWorkflow.request_info, RequestInfoInput(actor, "Which office?")
        )
        await fast_forward(env, handle, 3 * 86400 - 60)
        assert (await handle.query(RequestWorkflow.snapshot)).status == "waiting_for_customer"
        await fast_forward(env, handle, 120)
        result = await handle.result()
        assert result.status == "expired"
        await eventually(
            lambda: has_mail(database, start.request_id, "alice@acme.example"), "the mail"
        )

    asyncio.run(with_time_skipping(database, scenario))
    row, mails = stored(database, start.request_id)
    assert row.status == "expired"
    assert [e["event"] for e in row.timeline][-1] == "expired"
    assert any(
        m.recipient_email == "alice@acme.example" and "without an answer" in m.subject
        for m in mails
    )
