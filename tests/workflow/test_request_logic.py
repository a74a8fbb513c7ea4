"""The request workflow's logic alone (samples-python's way): every activity is a fake registered
under the real name, recording its input in memory; the workflow runs on the time-skipping dev
server, with no database, no Flask and no portal code (beyond finding the `temporal` binary).

Times are the workflow's own virtual clock (each workflow has one on this server); the tests
skip it with `env.fast_forward` only once the workflow waits on a timer and nothing else, and
they poll for what follows, never assert on how long it took."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError
from temporalio.testing import TimeSkippingConfig, WorkflowEnvironment
from temporalio.worker import Worker

from portal.billing_requests.events import EVENTS, Audience
from portal.devserver import temporal_binary
from workflows import search
from workflows.lifecycle import CONFLICT, FORBIDDEN, Actor, Event, RequestType, Role, Status
from workflows.messages import (
    APPLY_CHANGE,
    EXPIRE_INVITATION,
    EXTEND_QUOTE,
    LAPSE,
    LAPSE_CHANGE,
    PREPARE_APPROVAL,
    PROJECT_REQUEST,
    QUEUE_NOTIFICATION,
    AcceptQuoteInput,
    ApprovalPlan,
    ApproveInput,
    CancelInput,
    ChangeInput,
    ClaimInput,
    ExpireInvitationInput,
    ExtendQuoteActivityInput,
    ExtendQuoteInput,
    LapseInput,
    ProvideInfoInput,
    QueueNotificationInput,
    ReassignInput,
    RejectInput,
    RequestInfoInput,
    RequestSnapshot,
    RequestTimers,
    RetryInput,
    StartRequestInput,
    workflow_id_for,
)
from workflows.request_workflow import RequestWorkflow
from workflows.subscription_workflow import (
    END_SUBSCRIPTION,
    EndSubscriptionInput,
    SubscriptionEndWorkflow,
    end_workflow_id,
)

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


# -- the fakes -------------------------------------------------------------------------------


@dataclass
class Fakes:
    """Every activity of the worker, recording what it was asked in memory."""

    plan: ApprovalPlan = field(default_factory=lambda: ApprovalPlan(Status.APPROVED, {}))
    apply_result: dict[str, Any] = field(default_factory=lambda: {"revision": 2})
    # Raised by the next calls of apply, one each, before it succeeds.
    apply_failures: list[BaseException] = field(default_factory=list)
    projections: list[RequestSnapshot] = field(default_factory=list)
    prepared: list[ChangeInput] = field(default_factory=list)
    applied: list[ChangeInput] = field(default_factory=list)
    extended: list[ExtendQuoteActivityInput] = field(default_factory=list)
    expired_invitations: list[ExpireInvitationInput] = field(default_factory=list)
    lapsed: list[LapseInput] = field(default_factory=list)
    queued: list[QueueNotificationInput] = field(default_factory=list)
    ended: list[EndSubscriptionInput] = field(default_factory=list)

    @activity.defn(name=PROJECT_REQUEST)
    async def project_request(self, snapshot: RequestSnapshot) -> None:
        self.projections.append(snapshot)

    @activity.defn(name=PREPARE_APPROVAL)
    async def prepare_approval(self, change: ChangeInput) -> ApprovalPlan:
        self.prepared.append(change)
        return self.plan

    @activity.defn(name=APPLY_CHANGE)
    async def apply_change(self, change: ChangeInput) -> dict[str, Any]:
        self.applied.append(change)
        if self.apply_failures:
            raise self.apply_failures.pop(0)
        return dict(self.apply_result)

    @activity.defn(name=EXTEND_QUOTE)
    async def extend_quote(self, extension: ExtendQuoteActivityInput) -> dict[str, Any]:
        self.extended.append(extension)
        return {**self.plan.result, "valid_until": extension.valid_until}

    @activity.defn(name=EXPIRE_INVITATION)
    async def expire_invitation(self, expiry: ExpireInvitationInput) -> bool:
        self.expired_invitations.append(expiry)
        return True

    @activity.defn(name=LAPSE_CHANGE)
    async def lapse_change(self, lapse: LapseInput) -> str:
        self.lapsed.append(lapse)
        return Event.INVITATION_EXPIRED

    @activity.defn(name=QUEUE_NOTIFICATION)
    async def queue_notification(self, notification: QueueNotificationInput) -> int:
        self.queued.append(notification)
        return 1

    @activity.defn(name=END_SUBSCRIPTION)
    async def end_subscription(self, end: EndSubscriptionInput) -> bool:
        self.ended.append(end)
        return True

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.project_request,
            self.prepare_approval,
            self.apply_change,
            self.extend_quote,
            self.expire_invitation,
            self.lapse_change,
            self.queue_notification,
            self.end_subscription,
        ]

    # What a user would read.

    def row(self) -> RequestSnapshot:
        """The request row as the real projection leaves it: the newest version wins."""
        return max(self.projections, key=lambda snapshot: snapshot.version)

    def statuses(self) -> list[str]:
        """The statuses projected, in the workflow's order (its versions: a projection may run
        beside an apply, and the real one ignores a late older snapshot)."""
        ordered = sorted(self.projections, key=lambda snapshot: snapshot.version)
        return [snapshot.status for snapshot in ordered]

    def notices(self) -> list[tuple[str, str, str]]:
        """The mails the projections carry: (event, whom it tells, note), in order; the event
        decides whom (portal/billing_requests/events.py), events that tell nobody are left out."""
        ordered = sorted(self.projections, key=lambda snapshot: snapshot.version)
        mails = []
        for snapshot in ordered:
            notice = snapshot.notice
            tells = EVENTS[Event(notice.event)].tells if notice is not None else None
            if notice is not None and tells is not None:
                mails.append((notice.event, tells, notice.note))
        return mails


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


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    """One time-skipping dev server for the module, on one event loop that every test reuses."""
    with asyncio.Runner() as runner:
        env = runner.run(
            WorkflowEnvironment.start_time_skipping_v2(
                # Virtual time moves only when a test fast-forwards it, never on its own.
                ts_config=TimeSkippingConfig(enabled=False),
                dev_server_existing_path=temporal_binary(),
                dev_server_extra_args=[
                    "--headless",
                    "--dynamic-config-value",
                    "frontend.WorkflowTimeSkippingEnabled=true",
                    *search.dev_server_flags(),
                ],
            )
        )
        try:
            yield Harness(runner, env)
        finally:
            runner.run(env.shutdown())


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


# -- approve, apply, complete ------------------------------------------------------------------


def test_approved_request_is_applied_once_and_completed(harness: Harness) -> None:
    async def scenario(scene: Scene) -> None:
        handle = await scene.start(RequestType.PO_EDIT, PO_EDIT)
        claimed = await handle.execute_update(RequestWorkflow.claim, ClaimInput(TESS))
        assert (claimed.status, claimed.assignee_id) == (Status.IN_REVIEW, TESS.user_id)
        approved = await handle.execute_update(
            RequestWorkflow.approve, ApproveInput(TESS, "Looks right")
        )
        assert approved.status == Status.APPROVED
        result = await handle.result()
        assert result.status == Status.COMPLETED
        assert [(e.event, e.actor_name, e.note) for e in result.timeline] == [
            ("submitted", "Alice", "new site"),
            ("claimed", "Tess", ""),
            ("approved", "Tess", "Looks right"),
            ("completed", "Portal", "Looks right"),
        ]
        assert result.timeline[-1].actor_id is None
        assert result.result == {"revision": 2}

    fakes = harness.play(scenario)
    assert fakes.statuses() == [Status.IN_REVIEW, Status.APPROVED, Status.COMPLETED]
    row = fakes.row()
    assert (row.status, row.assignee_id, row.result) == (
        Status.COMPLETED,
        TESS.user_id,
        {"revision": 2},
    )
    assert [e.event for e in row.timeline] == ["submitted", "claimed", "approved", "completed"]
    assert fakes.notices() == [("completed", Audience.REQUESTER, "Looks right")]
    assert fakes.queued == [], "the mail travels with the projection, not on its own"
    assert fakes.prepared == [], "a PO edit applies on approval, nothing to prepare"
    [change] = fakes.applied
    assert change.approved_by == TESS
    assert change.comment == "Looks right"
    assert (change.request_type, change.account_id, change.payload) == (
        RequestType.PO_EDIT,
        ACME,
        PO_EDIT,
    )


# -- refusals -----------------------------------------------------------------------------------


def test_refused_updates_change_nothing(harness: Harness) -> None:
    async def scenario(scene: Scene) -> None:
        in_30_days = datetime.now(UTC) + timedelta(days=30)
        scene.fakes.plan = ApprovalPlan(
            Status.SCHEDULED, {"frequency": "monthly"}, due_at=f"{in_30_days.date()}T00:00:00+00:00"
        )
        handle = await scene.start(RequestType.FREQUENCY_CHANGE, FREQUENCY, prepares_approval=True)
        before = await handle.query(RequestWorkflow.snapshot)
        refused = [
            await refusal(handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS))),
            await refusal(
                handle.execute_update(RequestWorkflow.request_info, RequestInfoInput(TESS, "?"))
            ),
            await refusal(handle.execute_update(RequestWorkflow.claim, ClaimInput(ALICE))),
            await refusal(handle.execute_update(RequestWorkflow.cancel, CancelInput(CHLOE))),
            await refusal(handle.execute_update(RequestWorkflow.cancel, CancelInput(BOB))),
        ]
        assert refused == [
            (CONFLICT, "not_claimed"),
            (CONFLICT, "not_claimed"),
            (FORBIDDEN, "staff_only"),
            (FORBIDDEN, "not_your_request"),
            (FORBIDDEN, "not_your_request"),
        ]
        assert await handle.query(RequestWorkflow.snapshot) == before
        assert scene.fakes.projections == []

        await handle.execute_update(RequestWorkflow.claim, ClaimInput(TESS))
        claimed = await handle.query(RequestWorkflow.snapshot)
        refused = [
            await refusal(handle.execute_update(RequestWorkflow.claim, ClaimInput(THEO))),
            await refusal(handle.execute_update(RequestWorkflow.approve, ApproveInput(THEO))),
            await refusal(handle.execute_update(RequestWorkflow.reject, RejectInput(TESS, " "))),
            await refusal(
                handle.execute_update(RequestWorkflow.provide_info, ProvideInfoInput(ALICE, "hi"))
            ),
        ]
        assert refused == [
            (CONFLICT, "already_claimed"),
            (FORBIDDEN, "claimed_by_other"),
            ("Invalid", "A reason is required"),
            (CONFLICT, "no_question_pending"),
        ]
        assert await handle.query(RequestWorkflow.snapshot) == claimed

        await handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS, "yes"))
        scheduled = await handle.query(RequestWorkflow.snapshot)
        assert scheduled.status == Status.SCHEDULED
        # A second decision, either way, is refused.
        refused = [
            await refusal(handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS))),
            await refusal(
                handle.execute_update(RequestWorkflow.reject, RejectInput(TESS, "changed"))
            ),
        ]
        assert refused == [(CONFLICT, "already_decided"), (CONFLICT, "already_decided")]
        after = await handle.query(RequestWorkflow.snapshot)
        assert (after.status, after.version, after.timeline) == (
            Status.SCHEDULED,
            scheduled.version,
            scheduled.timeline,
        )
        assert len(scene.fakes.prepared) == 1
        await handle.execute_update(RequestWorkflow.cancel, CancelInput(ALICE))
        await handle.result()

    fakes = harness.play(scenario)
    assert fakes.statuses() == [Status.IN_REVIEW, Status.SCHEDULED, Status.CANCELLED]
    assert fakes.applied == []


def test_a_request_a_technician_started_is_decided_by_a_supervisor(harness: Harness) -> None:
    async def scenario(scene: Scene) -> None:
        handle = await scene.start(RequestType.CONTACT_CHANGE, CONTACT, requester=TESS)
        refused = [
            await refusal(handle.execute_update(RequestWorkflow.claim, ClaimInput(TESS))),
            await refusal(handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS))),
            await refusal(handle.execute_update(RequestWorkflow.claim, ClaimInput(THEO))),
            await refusal(
                handle.execute_update(RequestWorkflow.reassign, ReassignInput(SAM, THEO))
            ),
        ]
        assert refused == [
            (FORBIDDEN, "own_request"),
            (FORBIDDEN, "own_request"),
            (FORBIDDEN, "supervisor_decides"),
            (CONFLICT, "assignee_not_supervisor"),
        ]
        assert await events(handle) == ["submitted"]
        await handle.execute_update(RequestWorkflow.reassign, ReassignInput(SAM, SAM))
        assert await refusal(
            handle.execute_update(RequestWorkflow.approve, ApproveInput(THEO))
        ) == (FORBIDDEN, "supervisor_decides")
        await handle.execute_update(RequestWorkflow.approve, ApproveInput(SAM, "Checked"))
        assert (await handle.result()).status == Status.COMPLETED

    fakes = harness.play(scenario)
    assert fakes.statuses() == [Status.IN_REVIEW, Status.APPROVED, Status.COMPLETED]
    assert fakes.notices() == [
        ("reassigned", Audience.ASSIGNEE, ""),
        ("completed", Audience.REQUESTER, "Checked"),
    ]
    assert [change.approved_by for change in fakes.applied] == [SAM]


# -- questions to the customer -----------------------------------------------------------------


def test_a_question_waits_for_the_customer_and_expires_unanswered(harness: Harness) -> None:
    timers = RequestTimers(
        review_sla_seconds=400 * DAY, escalation_sla_seconds=800 * DAY, info_timeout_seconds=3 * DAY
    )

    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(RequestType.PO_EDIT, PO_EDIT, timers=timers)
        asked = await handle.execute_update(
            RequestWorkflow.request_info, RequestInfoInput(TESS, "Which cost centre?")
        )
        assert asked.status == Status.WAITING_FOR_CUSTOMER
        answered = await handle.execute_update(
            RequestWorkflow.provide_info, ProvideInfoInput(ALICE, "CC-42")
        )
        assert (answered.status, answered.assignee_id) == (Status.IN_REVIEW, TESS.user_id)
        await handle.execute_update(
            RequestWorkflow.request_info, RequestInfoInput(TESS, "And the PO line?")
        )
        await scene.skip(handle, 3 * DAY - HOUR)
        snapshot = await handle.query(RequestWorkflow.snapshot)
        assert snapshot.status == Status.WAITING_FOR_CUSTOMER, "not before the timeout"
        await scene.skip(handle, 2 * HOUR)
        result = await handle.result()
        assert result.status == Status.EXPIRED
        assert [(e.event, e.note) for e in result.timeline] == [
            ("submitted", "new site"),
            ("claimed", ""),
            ("info_requested", "Which cost centre?"),
            ("info_provided", "CC-42"),
            ("info_requested", "And the PO line?"),
            ("expired", ""),
        ]

    fakes = harness.play(scenario)
    assert fakes.statuses() == [
        Status.IN_REVIEW,
        Status.WAITING_FOR_CUSTOMER,
        Status.IN_REVIEW,
        Status.WAITING_FOR_CUSTOMER,
        Status.EXPIRED,
    ]
    assert fakes.notices() == [
        ("info_requested", Audience.REQUESTER, "Which cost centre?"),
        ("info_provided", Audience.ASSIGNEE, "CC-42"),
        ("info_requested", Audience.REQUESTER, "And the PO line?"),
        ("expired", Audience.REQUESTER, ""),
    ]
    assert fakes.applied == []


# -- service levels ----------------------------------------------------------------------------


def test_a_slow_review_reminds_the_assignee_then_escalates(harness: Harness) -> None:
    timers = RequestTimers(
        review_sla_seconds=HOUR, escalation_sla_seconds=4 * HOUR, info_timeout_seconds=3 * DAY
    )

    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(RequestType.PO_EDIT, PO_EDIT, timers=timers)
        await scene.skip(handle, HOUR - 10 * 60)
        assert await events(handle) == ["submitted", "claimed"], "no reminder before the SLA"
        await scene.skip(handle, 20 * 60)
        await eventually(lambda: len(scene.fakes.projections) == 2, "the reminder")
        assert await events(handle) == ["submitted", "claimed", "sla_reminder"]
        await scene.skip(handle, 3 * HOUR + 30 * 60)
        await eventually(lambda: len(scene.fakes.projections) == 3, "the escalation")
        snapshot = await handle.query(RequestWorkflow.snapshot)
        assert [e.event for e in snapshot.timeline] == [
            "submitted",
            "claimed",
            "sla_reminder",
            "escalated",
        ]
        assert (snapshot.status, snapshot.escalated) == (Status.IN_REVIEW, True)

    fakes = harness.play(scenario)
    assert fakes.statuses() == [Status.IN_REVIEW, Status.IN_REVIEW, Status.IN_REVIEW]
    assert fakes.notices() == [
        ("sla_reminder", Audience.ASSIGNEE, ""),
        ("escalated", Audience.SUPERVISORS, ""),
    ]
    reminder, escalation = fakes.projections[1:]
    assert (reminder.assignee_id, reminder.escalated) == (TESS.user_id, False)
    assert (escalation.assignee_id, escalation.escalated) == (TESS.user_id, True)
    assert [(e.actor_id, e.actor_name) for e in escalation.timeline[2:]] == [
        (None, "Portal"),
        (None, "Portal"),
    ]


# -- quotes -------------------------------------------------------------------------------------


def quoted_plan(valid_through: datetime) -> ApprovalPlan:
    result = {"quote_id": 9, "total": "1080.00", "valid_until": valid_through.date().isoformat()}
    return ApprovalPlan(Status.QUOTED, result, due_at=end_of_day(valid_through))


def test_an_unanswered_quote_reminds_the_contact_then_expires(harness: Harness) -> None:
    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(RequestType.QUOTE, QUOTE, prepares_approval=True)
        valid_through = await scene.now(handle) + timedelta(days=30)
        scene.fakes.plan = quoted_plan(valid_through)
        pricing = {"lines": [], "discount_pct": "10", "valid_days": 30}
        quoted = await handle.execute_update(
            RequestWorkflow.approve, ApproveInput(TESS, "Priced", pricing=pricing)
        )
        assert (quoted.status, quoted.result) == (Status.QUOTED, scene.fakes.plan.result)
        # Valid through day 30: reminded 7 days before its end, in the course of day 23.
        await scene.skip(handle, 22 * DAY)
        assert (await events(handle))[-1] == "quoted"
        await scene.skip(handle, 2 * DAY)
        await eventually(lambda: len(scene.fakes.projections) == 3, "the quote reminder")
        assert (await handle.query(RequestWorkflow.snapshot)).status == Status.QUOTED
        await scene.skip(handle, 7 * DAY)
        result = await handle.result()
        assert result.status == Status.EXPIRED
        assert [e.event for e in result.timeline] == [
            "submitted",
            "claimed",
            "approved",
            "quoted",
            "quote_expiring",
            "expired",
        ]

    fakes = harness.play(scenario)
    [prepared] = fakes.prepared
    assert (prepared.approved_by, prepared.comment) == (TESS, "Priced")
    assert prepared.pricing == {"lines": [], "discount_pct": "10", "valid_days": 30}
    assert fakes.statuses() == [Status.IN_REVIEW, Status.QUOTED, Status.QUOTED, Status.EXPIRED]
    assert fakes.notices() == [
        ("quoted", Audience.REQUESTER, "Priced"),
        ("quote_expiring", Audience.REQUESTER, fakes.plan.result["valid_until"]),
        ("expired", Audience.REQUESTER, ""),
    ]
    assert fakes.applied == []


def test_an_extended_quote_outlives_its_first_date_and_is_accepted(harness: Harness) -> None:
    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(RequestType.QUOTE, QUOTE, prepares_approval=True)
        now = await scene.now(handle)
        first_date = (now + timedelta(days=10)).date().isoformat()
        scene.fakes.plan = quoted_plan(now + timedelta(days=10))
        await handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS, "Priced"))
        # Valid through day 10: reminded in the course of day 3.
        await scene.skip(handle, 4 * DAY)
        await eventually(lambda: len(scene.fakes.projections) == 3, "the first reminder")
        new_date = (now + timedelta(days=40)).date().isoformat()
        extended = await handle.execute_update(
            RequestWorkflow.extend_quote, ExtendQuoteInput(TESS, new_date)
        )
        assert (extended.status, extended.result) == (
            Status.QUOTED,
            {**scene.fakes.plan.result, "valid_until": new_date},
        )
        assert scene.fakes.extended == [ExtendQuoteActivityInput(extended.request_id, new_date)]
        # Past the first date: still open, and not reminded again yet.
        await scene.skip(handle, 8 * DAY)
        assert (await events(handle))[-1] == "quote_extended"
        assert (await handle.query(RequestWorkflow.snapshot)).status == Status.QUOTED
        # Reminded afresh 7 days before the new date (in the course of day 33).
        await scene.skip(handle, 22 * DAY)
        await eventually(lambda: len(scene.fakes.projections) == 5, "the new reminder")
        accepted = await handle.execute_update(
            RequestWorkflow.accept_quote, AcceptQuoteInput(ALICE, "PO-7788")
        )
        assert accepted.status == Status.ACCEPTED
        result = await handle.result()
        assert result.status == Status.COMPLETED
        assert [(e.event, e.note) for e in result.timeline] == [
            ("submitted", ""),
            ("claimed", ""),
            ("approved", "Priced"),
            ("quoted", ""),
            ("quote_expiring", first_date),
            ("quote_extended", new_date),
            ("quote_expiring", new_date),
            ("quote_accepted", "PO-7788"),
            ("completed", "Priced"),
        ]

    fakes = harness.play(scenario)
    [extension] = fakes.extended
    assert fakes.statuses() == [
        Status.IN_REVIEW,
        Status.QUOTED,
        Status.QUOTED,
        Status.QUOTED,
        Status.QUOTED,
        Status.ACCEPTED,
        Status.COMPLETED,
    ]
    assert fakes.notices() == [
        ("quoted", Audience.REQUESTER, "Priced"),
        ("quote_expiring", Audience.REQUESTER, fakes.plan.result["valid_until"]),
        # The contact hears of the new date, and is reminded again before it.
        ("quote_extended", Audience.REQUESTER, extension.valid_until),
        ("quote_expiring", Audience.REQUESTER, extension.valid_until),
        ("quote_accepted", Audience.ASSIGNEE, "PO-7788"),
        ("completed", Audience.REQUESTER, "Priced"),
    ]
    [change] = fakes.applied
    assert (change.po_number, change.approved_by, change.comment) == ("PO-7788", TESS, "Priced")
    assert fakes.row().result == {"revision": 2}


# -- scheduled changes ---------------------------------------------------------------------------


def scheduled_plan(effective: datetime) -> ApprovalPlan:
    day = effective.date().isoformat()
    return ApprovalPlan(
        Status.SCHEDULED,
        {"effective_on": day, "frequency": "monthly"},
        due_at=f"{day}T00:00:00+00:00",
    )


def test_a_frequency_change_is_applied_at_its_date(harness: Harness) -> None:
    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(
            RequestType.FREQUENCY_CHANGE, FREQUENCY, prepares_approval=True
        )
        # At 00:00 of day 10: between 9 and 10 days from now.
        scene.fakes.plan = scheduled_plan(await scene.now(handle) + timedelta(days=10))
        scheduled = await handle.execute_update(
            RequestWorkflow.approve, ApproveInput(TESS, "At the renewal")
        )
        assert scheduled.status == Status.SCHEDULED
        await scene.skip(handle, 8 * DAY)
        assert (await handle.query(RequestWorkflow.snapshot)).status == Status.SCHEDULED
        assert scene.fakes.applied == [], "not before its date"
        await scene.skip(handle, 3 * DAY)
        assert (await handle.result()).status == Status.COMPLETED

    fakes = harness.play(scenario)
    assert fakes.statuses() == [Status.IN_REVIEW, Status.SCHEDULED, Status.COMPLETED]
    assert fakes.notices() == [
        ("scheduled", Audience.REQUESTER, "At the renewal"),
        ("completed", Audience.REQUESTER, "At the renewal"),
    ]
    [change] = fakes.applied
    assert (change.approved_by, change.comment, change.payload) == (
        TESS,
        "At the renewal",
        FREQUENCY,
    )
    assert fakes.row().result == {"revision": 2}


def test_a_scheduled_change_cancelled_is_never_applied(harness: Harness) -> None:
    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(
            RequestType.FREQUENCY_CHANGE, FREQUENCY, prepares_approval=True
        )
        scene.fakes.plan = scheduled_plan(await scene.now(handle) + timedelta(days=10))
        await handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS))
        cancelled = await handle.execute_update(
            RequestWorkflow.cancel, CancelInput(ALICE, "Staying annual")
        )
        assert cancelled.status == Status.CANCELLED
        result = await handle.result()
        assert result.status == Status.CANCELLED
        assert [(e.event, e.actor_name, e.note) for e in result.timeline][-1] == (
            "cancelled",
            "Alice",
            "Staying annual",
        )

    fakes = harness.play(scenario)
    assert fakes.statuses() == [Status.IN_REVIEW, Status.SCHEDULED, Status.CANCELLED]
    assert fakes.applied == []


# -- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "attempts", "cause"),
    [
        pytest.param(
            [ApplicationError("The PO is closed", type="ChangeRefused", non_retryable=True)],
            5,
            "The PO is closed",
            id="refused",
        ),
        pytest.param(
            [RuntimeError("database is locked"), RuntimeError("database is locked")],
            2,
            "database is locked",
            id="out-of-attempts",
        ),
    ],
)
def test_a_failed_change_is_retried_by_a_technician(
    harness: Harness, failures: list[BaseException], attempts: int, cause: str
) -> None:
    timers = RequestTimers(
        review_sla_seconds=400 * DAY,
        escalation_sla_seconds=800 * DAY,
        info_timeout_seconds=14 * DAY,
        apply_max_attempts=attempts,
    )
    tries = len(failures)

    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(RequestType.PO_EDIT, PO_EDIT, timers=timers)
        await handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS, "OK"))
        await eventually(lambda: scene.fakes.row().status == Status.FAILED, "the failure")
        assert len(scene.fakes.applied) == tries
        snapshot = await handle.query(RequestWorkflow.snapshot)
        assert (snapshot.status, snapshot.timeline[-1].event, snapshot.timeline[-1].note) == (
            Status.FAILED,
            "failed",
            cause,
        )
        assert await refusal(handle.execute_update(RequestWorkflow.retry, RetryInput(ALICE))) == (
            FORBIDDEN,
            "staff_only",
        )
        retried = await handle.execute_update(RequestWorkflow.retry, RetryInput(THEO))
        assert retried.status == Status.APPROVED
        result = await handle.result()
        assert result.status == Status.COMPLETED
        assert [e.event for e in result.timeline][-4:] == [
            "approved",
            "failed",
            "retried",
            "completed",
        ]

    fakes = harness.play(scenario, Fakes(apply_failures=list(failures)))
    assert fakes.statuses() == [
        Status.IN_REVIEW,
        Status.APPROVED,
        Status.FAILED,
        Status.APPROVED,
        Status.COMPLETED,
    ]
    assert fakes.notices() == [
        ("failed", Audience.ASSIGNEE, cause),
        ("completed", Audience.REQUESTER, "OK"),
    ]
    # The retry applies the same approval again: the approver stays the one who decided.
    assert len(fakes.applied) == tries + 1
    assert {(change.approved_by, change.comment) for change in fakes.applied} == {(TESS, "OK")}


# -- a new contact's invitation -------------------------------------------------------------------


def test_what_a_change_handed_out_lapses_after_the_time_its_result_names(
    harness: Harness,
) -> None:
    result = {"invitation_id": 42, LAPSE: {"after_seconds": 3 * DAY}}
    fakes = Fakes(apply_result=result)

    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(RequestType.CONTACT_CHANGE, CONTACT)
        await handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS, "Welcome"))
        await eventually(lambda: scene.fakes.row().status == Status.COMPLETED, "completion")
        await scene.skip(handle, 3 * DAY - HOUR)
        assert scene.fakes.lapsed == [], "not before its time"
        await scene.skip(handle, 2 * HOUR)
        finished = await handle.result()
        assert finished.timeline[-1].event == Event.INVITATION_EXPIRED

    harness.play(scenario, fakes)
    assert [(lapse.request_type, lapse.result) for lapse in fakes.lapsed] == [
        (RequestType.CONTACT_CHANGE, result)
    ]
    assert fakes.expired_invitations == [], "the name of the legacy activity is not asked"
    # The contact who named the successor hears that the link went unused.
    assert fakes.notices()[-1] == ("invitation_expired", Audience.REQUESTER, "")


def test_a_new_contacts_invitation_expires_after_its_time(harness: Harness) -> None:
    """Results written before LAPSE existed name only the invitation: the legacy branch."""
    fakes = Fakes(apply_result={"invitation_id": 42, "new_contact_email": "dana@acme.example"})

    async def scenario(scene: Scene) -> None:
        handle = await scene.claimed(RequestType.CONTACT_CHANGE, CONTACT)
        await handle.execute_update(RequestWorkflow.approve, ApproveInput(TESS, "Welcome"))
        await eventually(lambda: scene.fakes.row().status == Status.COMPLETED, "completion")
        await scene.skip(handle, 3 * DAY - HOUR)
        assert scene.fakes.expired_invitations == [], "not before its time"
        await scene.skip(handle, 2 * HOUR)
        result = await handle.result()
        assert (result.status, result.timeline[-1].event) == (
            Status.COMPLETED,
            "invitation_expired",
        )

    harness.play(scenario, fakes)
    assert fakes.expired_invitations == [ExpireInvitationInput(42)]
    assert fakes.statuses() == [
        Status.IN_REVIEW,
        Status.APPROVED,
        Status.COMPLETED,
        Status.COMPLETED,
    ]
    assert [e.event for e in fakes.row().timeline][-2:] == ["completed", "invitation_expired"]
    assert fakes.notices() == [
        ("completed", Audience.REQUESTER, "Welcome"),
        ("invitation_expired", Audience.REQUESTER, ""),
    ]


# -- the end of a cancelled subscription -------------------------------------------------------


def test_a_cancelled_subscription_ends_at_the_end_of_its_period(harness: Harness) -> None:
    # 00:00 UTC of the fifth day from today: between 4 and 5 days away.
    ends_on = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    end = EndSubscriptionInput(subscription_id=7, ends_on=ends_on, clock_shift_seconds=0)

    async def scenario(scene: Scene) -> None:
        handle = await scene.env.client.start_workflow(
            SubscriptionEndWorkflow.run,
            end,
            id=f"{end_workflow_id(end.subscription_id, ends_on)}-{uuid.uuid4().hex[:8]}",
            task_queue=scene.task_queue,
        )
        await scene.skip(handle, 4 * DAY - HOUR)
        assert scene.fakes.ended == [], "not before the end of the period"
        await scene.skip(handle, 2 * DAY)
        assert await handle.result() is True

    fakes = harness.play(scenario)
    assert fakes.ended == [end]
