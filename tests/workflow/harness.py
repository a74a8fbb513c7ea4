"""The request workflow's logic alone (samples-python's way): every activity is a fake registered
under the real name, recording its input in memory (fakes.py); the workflow runs on the
time-skipping dev server, with no database, no Flask and no portal code (beyond finding the
`temporal` binary).

Times are the workflow's own virtual clock (each workflow has one on this server); the tests
skip it with `env.fast_forward` only once the workflow waits on a timer and nothing else, and
they poll for what follows, never assert on how long it took."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.workflow.fakes import Fakes
from workflows import search
from workflows.lifecycle import Actor, Role, Status
from workflows.messages import (
    ClaimInput,
    RequestSnapshot,
    RequestTimers,
    StartRequestInput,
    workflow_id_for,
)
from workflows.request_workflow import RequestWorkflow
from workflows.subscription_workflow import SubscriptionEndWorkflow

HOUR = 3600
DAY = 24 * HOUR
# Long enough never to fire unless a test means them to.
QUIET = RequestTimers(
    review_sla_seconds=400 * DAY,
    escalation_sla_seconds=800 * DAY,
    info_timeout_seconds=14 * DAY,
    quote_reminder_seconds=7 * DAY,
    invitation_seconds=3 * DAY,
)

ACME, GLOBEX = 1, 2
ALICE = Actor(user_id=1, role=Role.BILLING_CONTACT, account_id=ACME, name="Alice")
BOB = Actor(user_id=2, role=Role.MEMBER, account_id=ACME, name="Bob")
CHLOE = Actor(user_id=3, role=Role.BILLING_CONTACT, account_id=GLOBEX, name="Chloé")
TESS = Actor(user_id=11, role=Role.TECHNICIAN, account_id=None, name="Tess")
THEO = Actor(user_id=12, role=Role.TECHNICIAN, account_id=None, name="Théo")
SAM = Actor(user_id=21, role=Role.SUPERVISOR, account_id=None, name="Sam")

PO_EDIT = {"purchase_order_id": 5, "changes": {"notes": "Ship to Lyon"}, "reason": "new site"}
QUOTE = {"items": [{"product": "GoToWebinar Pro", "seats": 2}], "term_months": 12, "reason": ""}
FREQUENCY = {"frequency": "monthly", "reason": "budget"}
CONTACT = {"new_contact_email": "dana@acme.example", "new_contact_name": "Dana", "reason": "x"}

_request_ids = itertools.count(1)


# -- the environment ---------------------------------------------------------------------------


@dataclass
class Harness:
    runner: asyncio.Runner
    env: WorkflowEnvironment

    def play(
        self, scenario: Callable[[Scene], Awaitable[None]], fakes: Fakes | None = None
    ) -> Fakes:
        """Run `scenario` with its own task queue and worker; return the fakes it used."""
        scene = Scene(self.env, fakes or Fakes(), f"logic-{uuid.uuid4().hex[:12]}")
        self.runner.run(scene.run(scenario))
        return scene.fakes


@dataclass
class Scene:
    env: WorkflowEnvironment
    fakes: Fakes
    task_queue: str

    async def run(self, scenario: Callable[[Scene], Awaitable[None]]) -> None:
        # The fakes are async: they run on the worker's event loop, no executor needed.
        async with Worker(
            self.env.client,
            task_queue=self.task_queue,
            workflows=[RequestWorkflow, SubscriptionEndWorkflow],
            activities=self.fakes.all(),
        ):
            await scenario(self)

    async def start(
        self,
        request_type: str,
        payload: dict[str, Any],
        requester: Actor = ALICE,
        timers: RequestTimers = QUIET,
        prepares_approval: bool = False,
    ) -> WorkflowHandle[RequestWorkflow, RequestSnapshot]:
        start = StartRequestInput(
            request_id=next(_request_ids),
            request_type=request_type,
            account_id=ACME,
            requester=requester,
            payload=payload,
            submitted_at=datetime.now(UTC).isoformat(),
            timers=timers,
            started_by_staff=requester.is_staff,
            prepares_approval=prepares_approval,
            clock_shift_seconds=0,
        )
        return await self.env.client.start_workflow(
            RequestWorkflow.run,
            start,
            id=f"{workflow_id_for(start.request_id)}-{uuid.uuid4().hex[:8]}",
            task_queue=self.task_queue,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(search.REQUEST_TYPE, request_type),
                    SearchAttributePair(search.REQUEST_STATUS, Status.SUBMITTED),
                    SearchAttributePair(search.ACCOUNT_ID, ACME),
                ]
            ),
        )

    async def claimed(
        self,
        request_type: str,
        payload: dict[str, Any],
        by: Actor = TESS,
        **options: Any,
    ) -> WorkflowHandle[RequestWorkflow, RequestSnapshot]:
        handle = await self.start(request_type, payload, **options)
        await handle.execute_update(RequestWorkflow.claim, ClaimInput(by))
        return handle

    async def now(self, handle: WorkflowHandle[Any, Any]) -> datetime:
        """The workflow's own virtual time."""
        return await self.env.get_current_time(handle)

    async def skip(self, handle: WorkflowHandle[Any, Any], seconds: float) -> None:
        """Move the workflow's clock on, once it waits on a timer (a timer started after the
        skip would count from the skipped-to time)."""
        await eventually(lambda: waiting_on_a_timer(handle), "the workflow to wait on a timer")
        await self.env.fast_forward(handle, timedelta(seconds=seconds))


async def eventually(check: Callable[[], Awaitable[bool] | bool], what: str) -> None:
    """Poll: a loaded machine is slower, never wrong (the deadline only ends a hang)."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        outcome = check()
        if outcome if isinstance(outcome, bool) else await outcome:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def waiting_on_a_timer(handle: WorkflowHandle[Any, Any]) -> bool:
    """True when the workflow has a timer running and no workflow task or activity pending."""
    description = (await handle.describe()).raw_description
    if description.pending_activities or description.HasField("pending_workflow_task"):
        return False
    timers: set[str] = set()
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            timers.add(event.timer_started_event_attributes.timer_id)
        elif event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            timers.discard(event.timer_fired_event_attributes.timer_id)
        elif event.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
            timers.discard(event.timer_canceled_event_attributes.timer_id)
    return bool(timers)


async def events(handle: WorkflowHandle[RequestWorkflow, Any]) -> list[str]:
    return [event.event for event in await handle.query(RequestWorkflow.timeline)]


async def refusal(update: Awaitable[Any]) -> tuple[str, str]:
    """The (kind, code) a validator refused an update with."""
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await update
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    assert cause.type is not None
    return cause.type, cause.message


def end_of_day(day: datetime) -> str:
    return f"{day.date().isoformat()}T23:59:59+00:00"
