"""Durable timers of the request types, on the time-skipping dev server: a quote's reminder and
expiry, a frequency change's effective date, a new contact's invitation expiry."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from portal import clock
from portal.billing_requests.kinds import kind_of
from portal.billing_requests.kinds.contact_change import invitation_for
from portal.billing_requests.queries import actor_for
from portal.db import Database
from portal.errors import ValidationFailed
from portal.gateway import start_request_workflow
from portal.models import Account, BillingRequest, Invitation, OutboxMessage, User
from tests.test_workflow_timers import eventually, fast_forward, has_mail, with_time_skipping
from workflows.messages import (
    ApproveInput,
    ClaimInput,
    RequestTimers,
    StartRequestInput,
    workflow_id_for,
)
from workflows.request_workflow import RequestWorkflow

pytestmark = pytest.mark.dates  # `make test` runs these again at other dates

DAY = 86400
TIMERS = RequestTimers(
    review_sla_seconds=400 * DAY,
    escalation_sla_seconds=800 * DAY,
    info_timeout_seconds=14 * DAY,
    quote_reminder_seconds=7 * DAY,
    invitation_seconds=3 * DAY,
)


def user(database: Database, email: str) -> User:
    with database.session() as session:
        found = session.scalar(sa.select(User).where(User.email == email))
        assert found is not None
        return found


def stored_request(
    database: Database, request_type: str, payload: dict[str, Any]
) -> StartRequestInput:
    alice = user(database, "alice@acme.example")
    assert alice.account_id is not None
    kind = kind_of(request_type)
    assert kind is not None
    with database.session() as session:
        clean = kind.validate(session, alice.account_id, payload)
        row = BillingRequest(
            account_id=alice.account_id,
            requester_id=alice.id,
            type=request_type,
            payload=clean,
            timeline=[],
        )
        session.add(row)
        session.flush()
        return StartRequestInput(
            request_id=row.id,
            request_type=request_type,
            account_id=alice.account_id,
            requester=actor_for(alice),
            payload=clean,
            submitted_at=clock.now().isoformat(),
            clock_shift_seconds=clock.shift_seconds(),
            timers=TIMERS,
        )


async def approved_by_tess(
    env: WorkflowEnvironment, database: Database, start: StartRequestInput
) -> WorkflowHandle[Any, Any]:
    await start_request_workflow(env.client, "timers", start)
    handle = env.client.get_workflow_handle_for(
        RequestWorkflow.run, workflow_id_for(start.request_id)
    )
    tess = actor_for(user(database, "tess@logmein.example"))
    await handle.execute_update(RequestWorkflow.claim, ClaimInput(tess))
    await handle.execute_update(RequestWorkflow.approve, ApproveInput(tess, "OK"))
    return handle


async def events(handle: WorkflowHandle[Any, Any]) -> list[str]:
    return [event.event for event in await handle.query(RequestWorkflow.timeline)]


async def last_event_is(handle: WorkflowHandle[Any, Any], event: str) -> bool:
    return (await events(handle))[-1] == event


async def status_is(handle: WorkflowHandle[Any, Any], status: str) -> bool:
    return (await handle.query(RequestWorkflow.snapshot)).status == status


def mails(database: Database, request_id: int) -> list[tuple[str, str]]:
    with database.session() as session:
        rows = session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.request_id == request_id)
        )
        return [(row.recipient_email, row.subject) for row in rows]


def test_quote_reminds_the_contact_then_expires(database: Database, demo: None) -> None:
    start = stored_request(
        database,
        "quote",
        {"items": [{"product": "GoToWebinar Pro", "seats": 2}], "term_months": 12},
    )

    async def scenario(env: WorkflowEnvironment) -> None:
        handle = await approved_by_tess(env, database, start)
        assert (await handle.query(RequestWorkflow.snapshot)).status == "quoted"
        # Valid through day 30: the reminder comes 7 days before, in the course of day 23.
        await fast_forward(env, handle, 22 * DAY)
        assert (await events(handle))[-1] == "quoted"
        await fast_forward(env, handle, 2 * DAY)
        await eventually(lambda: last_event_is(handle, "quote_expiring"), "the quote reminder")
        await eventually(
            lambda: has_mail(database, start.request_id, "alice@acme.example"), "the mail"
        )
        assert (await handle.query(RequestWorkflow.snapshot)).status == "quoted"
        await fast_forward(env, handle, 7 * DAY)
        result = await handle.result()
        assert result.status == "expired"

    asyncio.run(with_time_skipping(database, scenario))
    with database.session() as session:
        row = session.get(BillingRequest, start.request_id)
        assert row is not None and row.status == "expired"
    assert any(
        email == "alice@acme.example" for email, _subject in mails(database, start.request_id)
    )


def test_frequency_change_takes_effect_at_the_renewal(database: Database, demo: None) -> None:
    start = stored_request(
        database, "frequency_change", {"frequency": "monthly", "reason": "budget"}
    )
    with database.session() as session:
        acme = session.get(Account, start.account_id)
        assert acme is not None and acme.next_renewal is not None
        days_to_renewal = (acme.next_renewal - clock.now().date()).days

    async def scenario(env: WorkflowEnvironment) -> None:
        handle = await approved_by_tess(env, database, start)
        assert (await handle.query(RequestWorkflow.snapshot)).status == "scheduled"
        await fast_forward(env, handle, (days_to_renewal - 1) * DAY)
        assert (await handle.query(RequestWorkflow.snapshot)).status == "scheduled"
        with database.session() as session:
            account = session.get(Account, start.account_id)
            assert account is not None and account.billing_frequency == "annual"
        await fast_forward(env, handle, 2 * DAY)
        assert (await handle.result()).status == "completed"

    asyncio.run(with_time_skipping(database, scenario))
    with database.session() as session:
        account = session.get(Account, start.account_id)
        assert account is not None and account.billing_frequency == "monthly"


def test_unused_invitation_expires_after_its_time(database: Database, demo: None) -> None:
    start = stored_request(
        database,
        "contact_change",
        {
            "new_contact_email": "dana@acme.example",
            "new_contact_name": "Dana",
            "reason": "handover",
        },
    )

    async def scenario(env: WorkflowEnvironment) -> None:
        handle = await approved_by_tess(env, database, start)
        await fast_forward(env, handle, 60)
        await eventually(lambda: status_is(handle, "completed"), "completion")
        with database.session() as session:
            invitation = session.scalar(sa.select(Invitation))
            assert invitation is not None and invitation.revoked_at is None
        await fast_forward(env, handle, 3 * DAY + 60)
        await handle.result()
        await eventually(lambda: last_event_is(handle, "invitation_expired"), "the expiry")

    asyncio.run(with_time_skipping(database, scenario))
    with database.session() as session:
        invitation = session.scalar(sa.select(Invitation))
        assert invitation is not None and invitation.revoked_at is not None
    with database.session() as session, pytest.raises(ValidationFailed):
        invitation_for(session, "any-token-is-refused-now")
