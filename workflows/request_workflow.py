"""One workflow per billing request: await a technician's decision, apply it once, tell people.
The steps between decisions (timers, applying, publishing) are in request_process.py.

Every change here must keep replaying tests/replay/*.json (tests/replay/README.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.lifecycle import Action, Actor, Event, Status, lacks_required_text
    from workflows.messages import (
        EXTEND_QUOTE,
        PREPARE_APPROVAL,
        AcceptQuoteInput,
        ApprovalPlan,
        ApproveInput,
        CancelInput,
        ClaimInput,
        DeclineQuoteInput,
        ExtendQuoteActivityInput,
        ExtendQuoteInput,
        ProvideInfoInput,
        ReassignInput,
        RejectInput,
        RequestInfoInput,
        RequestSnapshot,
        RetryInput,
        StartRequestInput,
        TimelineEvent,
        end_of_day,
    )
    from workflows.readable import unreadable_field
    from workflows.request_process import (
        REFUSED,
        RETRY_QUICKLY,
        SHORT_TIMEOUT,
        SYSTEM,
        RequestProcess,
        cause_of,
    )
    from workflows.subscription_workflow import AdvanceClockInput

# What approving leads to, by the plan's status: the event the timeline records.
PLAN_EVENTS = {Status.QUOTED: Event.QUOTED, Status.SCHEDULED: Event.SCHEDULED}


@workflow.defn
class RequestWorkflow(RequestProcess):
    @workflow.init
    def __init__(self, input: StartRequestInput) -> None:
        self._input = input
        self._status: str = Status.SUBMITTED
        self._assignee: Actor | None = None
        self._escalated = False
        self._reminded = False
        self._quote_reminded = False
        self._version = 1
        self._result: dict[str, Any] | None = None
        self._approval: ApproveInput | None = None
        self._plan: ApprovalPlan | None = None
        self._preparing = False
        self._po_number = ""
        self._shift = input.clock_shift_seconds
        self._clock_moves = 0
        self._settled = 0
        self._timeline = [
            TimelineEvent(
                at=input.submitted_at,
                actor_id=input.requester.user_id,
                actor_name=input.requester.name,
                event=Event.SUBMITTED,
                note=str(input.payload.get("reason", "")),
            )
        ]

    @workflow.run
    async def run(self, input: StartRequestInput) -> RequestSnapshot:
        await self._wait_for_decision()
        if self._status == Status.QUOTED:
            await self._wait_for_quote_answer()
        due = self._status == Status.SCHEDULED and await self._wait_until_effective()
        if self._status in (Status.APPROVED, Status.ACCEPTED) or due:
            await self._apply_until_done()
        if self._status == Status.COMPLETED:
            await self._let_the_change_lapse()
        self._settled = self._clock_moves
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._snapshot()

    @workflow.update
    async def advance_clock(self, input: AdvanceClockInput) -> RequestSnapshot:
        """The account's sandbox clock moved: answer once all that fell due has happened (a
        scheduled change applied, a quote expired)."""
        self._shift = max(self._shift, input.clock_shift_seconds)
        self._clock_moves += 1
        asked = self._clock_moves
        await workflow.wait_condition(lambda: self._settled >= asked)
        return self._snapshot()

    # -- queries -------------------------------------------------------------------------

    @workflow.query
    def timeline(self) -> list[TimelineEvent]:
        return list(self._timeline)

    @workflow.query
    def snapshot(self) -> RequestSnapshot:
        return self._snapshot()

    # -- the technician's steps ----------------------------------------------------------

    @workflow.update
    async def claim(self, input: ClaimInput) -> RequestSnapshot:
        self._assignee = input.actor
        self._move(Status.IN_REVIEW, input.actor, Event.CLAIMED)
        return await self._publish(Event.CLAIMED)

    @claim.validator
    def _validate_claim(self, input: ClaimInput) -> None:
        _refuse_unreadable(input)
        self._check(Action.CLAIM, input.actor)

    @workflow.update
    async def approve(self, input: ApproveInput) -> RequestSnapshot:
        # Taken at once, so that a second decision is refused while the plan is prepared.
        previous, self._status, self._preparing = self._status, Status.APPROVED, True
        try:
            plan = await self._plan_approval(input)
        except ActivityError as error:
            self._status, self._preparing = previous, False
            raise ApplicationError(cause_of(error), type="Invalid", non_retryable=True) from None
        self._approval, self._plan, self._preparing = input, plan, False
        self._result = plan.result or None
        self._move(Status.APPROVED, input.actor, Event.APPROVED, input.comment)
        event = PLAN_EVENTS.get(Status(plan.status), Event.APPROVED)
        if plan.status != Status.APPROVED:
            self._move(plan.status, SYSTEM, event)
        return await self._publish(event, input.comment)

    async def _plan_approval(self, input: ApproveInput) -> ApprovalPlan:
        """What approving leads to; most types simply apply now, with no activity to ask."""
        # Before this patch every approval asked PREPARE_APPROVAL. Deprecate once no request
        # submitted before 2026-12-02 can still be undecided (they may wait without limit:
        # check with `temporal workflow list`), then drop the activity call for those types.
        if not self._input.prepares_approval and workflow.patched("approve-without-preparation"):
            return ApprovalPlan(Status.APPROVED, {})
        plan: ApprovalPlan = await workflow.execute_activity(
            PREPARE_APPROVAL,
            self._change(input.actor, input),
            result_type=ApprovalPlan,
            start_to_close_timeout=SHORT_TIMEOUT,
            retry_policy=RetryPolicy(
                initial_interval=timedelta(milliseconds=200),
                maximum_attempts=self._input.timers.apply_max_attempts,
                non_retryable_error_types=[REFUSED],
            ),
        )
        return plan

    @approve.validator
    def _validate_approve(self, input: ApproveInput) -> None:
        _refuse_unreadable(input)
        self._check(Action.APPROVE, input.actor)

    @workflow.update
    async def reject(self, input: RejectInput) -> RequestSnapshot:
        self._move(Status.REJECTED, input.actor, Event.REJECTED, input.reason)
        return await self._publish(Event.REJECTED, input.reason)

    @reject.validator
    def _validate_reject(self, input: RejectInput) -> None:
        _refuse_unreadable(input)
        self._check(Action.REJECT, input.actor)
        _require_text(Action.REJECT, input.reason, "A reason is required")

    @workflow.update
    async def request_info(self, input: RequestInfoInput) -> RequestSnapshot:
        self._move(Status.WAITING_FOR_CUSTOMER, input.actor, Event.INFO_REQUESTED, input.question)
        return await self._publish(Event.INFO_REQUESTED, input.question)

    @request_info.validator
    def _validate_request_info(self, input: RequestInfoInput) -> None:
        _refuse_unreadable(input)
        self._check(Action.REQUEST_INFO, input.actor)
        _require_text(Action.REQUEST_INFO, input.question, "A question is required")

    @workflow.update
    async def reassign(self, input: ReassignInput) -> RequestSnapshot:
        self._assignee = input.assignee
        status = Status.IN_REVIEW if self._status == Status.SUBMITTED else self._status
        self._move(status, input.actor, Event.REASSIGNED, input.assignee.name)
        return await self._publish(Event.REASSIGNED)

    @reassign.validator
    def _validate_reassign(self, input: ReassignInput) -> None:
        _refuse_unreadable(input)
        self._check(Action.REASSIGN, input.actor, input.assignee)

    @workflow.update
    async def retry(self, input: RetryInput) -> RequestSnapshot:
        self._move(Status.APPROVED, input.actor, Event.RETRIED)
        return await self._publish(Event.RETRIED)

    @retry.validator
    def _validate_retry(self, input: RetryInput) -> None:
        _refuse_unreadable(input)
        self._check(Action.RETRY, input.actor)

    @workflow.update
    async def extend_quote(self, input: ExtendQuoteInput) -> RequestSnapshot:
        self._plan = ApprovalPlan(
            Status.QUOTED, dict(self._result or {}), end_of_day(input.valid_until)
        )
        self._quote_reminded = False
        self._record(input.actor, Event.QUOTE_EXTENDED, input.valid_until)
        self._result = await workflow.execute_activity(
            EXTEND_QUOTE,
            ExtendQuoteActivityInput(self._input.request_id, input.valid_until),
            result_type=dict,
            start_to_close_timeout=SHORT_TIMEOUT,
            retry_policy=RETRY_QUICKLY,
        )
        return await self._publish(Event.QUOTE_EXTENDED, input.valid_until)

    @extend_quote.validator
    def _validate_extend_quote(self, input: ExtendQuoteInput) -> None:
        _refuse_unreadable(input)
        self._check(Action.EXTEND_QUOTE, input.actor)
        if end_of_day(input.valid_until) <= self._now().isoformat():
            raise ApplicationError(
                "The new date must be in the future", type="Invalid", non_retryable=True
            )

    # -- the customer's steps ------------------------------------------------------------

    @workflow.update
    async def provide_info(self, input: ProvideInfoInput) -> RequestSnapshot:
        self._move(Status.IN_REVIEW, input.actor, Event.INFO_PROVIDED, input.message)
        return await self._publish(Event.INFO_PROVIDED, input.message)

    @provide_info.validator
    def _validate_provide_info(self, input: ProvideInfoInput) -> None:
        _refuse_unreadable(input)
        self._check(Action.PROVIDE_INFO, input.actor)
        _require_text(Action.PROVIDE_INFO, input.message, "A message is required")

    @workflow.update
    async def cancel(self, input: CancelInput) -> RequestSnapshot:
        self._move(Status.CANCELLED, input.actor, Event.CANCELLED, input.reason)
        return await self._publish(Event.CANCELLED, input.reason)

    @cancel.validator
    def _validate_cancel(self, input: CancelInput) -> None:
        _refuse_unreadable(input)
        self._check(Action.CANCEL, input.actor)

    @workflow.update
    async def accept_quote(self, input: AcceptQuoteInput) -> RequestSnapshot:
        self._po_number = input.po_number
        self._move(Status.ACCEPTED, input.actor, Event.QUOTE_ACCEPTED, input.po_number)
        return await self._publish(Event.QUOTE_ACCEPTED, input.po_number)

    @accept_quote.validator
    def _validate_accept_quote(self, input: AcceptQuoteInput) -> None:
        _refuse_unreadable(input)
        self._check(Action.ACCEPT_QUOTE, input.actor)
        _require_text(Action.ACCEPT_QUOTE, input.po_number, "A PO number is required")

    @workflow.update
    async def decline_quote(self, input: DeclineQuoteInput) -> RequestSnapshot:
        self._move(Status.DECLINED, input.actor, Event.QUOTE_DECLINED, input.reason)
        return await self._publish(Event.QUOTE_DECLINED, input.reason)

    @decline_quote.validator
    def _validate_decline_quote(self, input: DeclineQuoteInput) -> None:
        _refuse_unreadable(input)
        self._check(Action.DECLINE_QUOTE, input.actor)


def _refuse_unreadable(input: Any) -> None:
    # The portal refuses such text at its door; this is for a client that calls Temporal
    # directly, as the text would make every projection of the request fail.
    field = unreadable_field(input)
    if field is not None:
        raise ApplicationError(
            f"{field}: text with characters that cannot be stored",
            type="Invalid",
            non_retryable=True,
        )


def _require_text(action: Action, text: str, message: str) -> None:
    if lacks_required_text(action, text):
        raise ApplicationError(message, type="Invalid", non_retryable=True)
