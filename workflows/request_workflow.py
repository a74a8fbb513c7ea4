"""One workflow per billing request: await a technician's decision, apply it once, tell people."""

from __future__ import annotations

import dataclasses
import functools
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows import search
    from workflows.lifecycle import (
        OPEN_STATUSES,
        Action,
        Actor,
        Refusal,
        RequestFacts,
        Status,
        check,
    )
    from workflows.messages import (
        APPLY_CHANGE,
        EXPIRE_INVITATION,
        EXTEND_QUOTE,
        PREPARE_APPROVAL,
        PROJECT_REQUEST,
        QUEUE_NOTIFICATION,
        AcceptQuoteInput,
        ApprovalPlan,
        ApproveInput,
        Audience,
        CancelInput,
        ChangeInput,
        ClaimInput,
        DeclineQuoteInput,
        ExpireInvitationInput,
        ExtendQuoteActivityInput,
        ExtendQuoteInput,
        ProvideInfoInput,
        QueueNotificationInput,
        ReassignInput,
        RejectInput,
        RequestInfoInput,
        RequestSnapshot,
        RetryInput,
        StartRequestInput,
        TimelineEvent,
    )

SYSTEM = Actor(user_id=0, role="system", account_id=None, name="Portal")
SHORT_TIMEOUT = timedelta(seconds=30)
APPLY_TIMEOUT = timedelta(seconds=60)
RETRY_QUICKLY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10)
)
REFUSED = "ChangeRefused"
# How long a failed request waits for a technician's retry before it stays failed.
RETRY_WINDOW = timedelta(days=30)
# What approving leads to, by the plan's status, and whom it tells.
PLAN_EVENTS: dict[str, str] = {Status.QUOTED: "quote_ready", Status.SCHEDULED: "scheduled"}
COMPLETION_EVENTS = {"form_request": "document_ready", "account_inquiry": "answered"}


@workflow.defn
class RequestWorkflow:
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
        self._timeline = [
            TimelineEvent(
                at=input.submitted_at,
                actor_id=input.requester.user_id,
                actor_name=input.requester.name,
                event="submitted",
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
        if self._status == Status.COMPLETED and self._result and self._result.get("invitation_id"):
            await self._expire_invitation(int(self._result["invitation_id"]))
        await workflow.wait_condition(workflow.all_handlers_finished)
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
        self._move(Status.IN_REVIEW, input.actor, "claimed")
        return await self._publish()

    @claim.validator
    def _validate_claim(self, input: ClaimInput) -> None:
        self._check(Action.CLAIM, input.actor)

    @workflow.update
    async def approve(self, input: ApproveInput) -> RequestSnapshot:
        # Taken at once, so that a second decision is refused while the plan is prepared.
        previous, self._status, self._preparing = self._status, Status.APPROVED, True
        try:
            plan = await self._plan_approval(input)
        except ActivityError as error:
            self._status, self._preparing = previous, False
            raise ApplicationError(_cause(error), type="Invalid", non_retryable=True) from None
        self._approval, self._plan, self._preparing = input, plan, False
        self._result = plan.result or None
        self._move(Status.APPROVED, input.actor, "approved", input.comment)
        if plan.status != Status.APPROVED:
            self._move(plan.status, SYSTEM, plan.status)
        return await self._publish(PLAN_EVENTS.get(plan.status), Audience.REQUESTER, input.comment)

    async def _plan_approval(self, input: ApproveInput) -> ApprovalPlan:
        """What approving leads to; most types simply apply now, with no activity to ask."""
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
        self._check(Action.APPROVE, input.actor)

    @workflow.update
    async def reject(self, input: RejectInput) -> RequestSnapshot:
        self._move(Status.REJECTED, input.actor, "rejected", input.reason)
        return await self._publish("rejected", Audience.REQUESTER, input.reason)

    @reject.validator
    def _validate_reject(self, input: RejectInput) -> None:
        self._check(Action.REJECT, input.actor)
        _require_text(input.reason, "A reason is required")

    @workflow.update
    async def request_info(self, input: RequestInfoInput) -> RequestSnapshot:
        self._move(Status.WAITING_FOR_CUSTOMER, input.actor, "info_requested", input.question)
        return await self._publish("info_requested", Audience.REQUESTER, input.question)

    @request_info.validator
    def _validate_request_info(self, input: RequestInfoInput) -> None:
        self._check(Action.REQUEST_INFO, input.actor)
        _require_text(input.question, "A question is required")

    @workflow.update
    async def reassign(self, input: ReassignInput) -> RequestSnapshot:
        self._assignee = input.assignee
        status = Status.IN_REVIEW if self._status == Status.SUBMITTED else self._status
        self._move(status, input.actor, "reassigned", input.assignee.name)
        return await self._publish("assigned", Audience.ASSIGNEE)

    @reassign.validator
    def _validate_reassign(self, input: ReassignInput) -> None:
        self._check(Action.REASSIGN, input.actor, input.assignee)

    @workflow.update
    async def retry(self, input: RetryInput) -> RequestSnapshot:
        self._move(Status.APPROVED, input.actor, "retried")
        return await self._publish()

    @retry.validator
    def _validate_retry(self, input: RetryInput) -> None:
        self._check(Action.RETRY, input.actor)

    @workflow.update
    async def extend_quote(self, input: ExtendQuoteInput) -> RequestSnapshot:
        self._plan = ApprovalPlan(
            Status.QUOTED, dict(self._result or {}), _end_of_day(input.valid_until)
        )
        self._quote_reminded = False
        self._record(input.actor, "quote_extended", input.valid_until)
        self._result = await workflow.execute_activity(
            EXTEND_QUOTE,
            ExtendQuoteActivityInput(self._input.request_id, input.valid_until),
            result_type=dict,
            start_to_close_timeout=SHORT_TIMEOUT,
            retry_policy=RETRY_QUICKLY,
        )
        return await self._publish()

    @extend_quote.validator
    def _validate_extend_quote(self, input: ExtendQuoteInput) -> None:
        self._check(Action.EXTEND_QUOTE, input.actor)
        if _end_of_day(input.valid_until) <= self._now().isoformat():
            raise ApplicationError(
                "The new date must be in the future", type="Invalid", non_retryable=True
            )

    # -- the customer's steps ------------------------------------------------------------

    @workflow.update
    async def provide_info(self, input: ProvideInfoInput) -> RequestSnapshot:
        self._move(Status.IN_REVIEW, input.actor, "info_provided", input.message)
        return await self._publish("info_provided", Audience.ASSIGNEE, input.message)

    @provide_info.validator
    def _validate_provide_info(self, input: ProvideInfoInput) -> None:
        self._check(Action.PROVIDE_INFO, input.actor)
        _require_text(input.message, "A message is required")

    @workflow.update
    async def cancel(self, input: CancelInput) -> RequestSnapshot:
        self._move(Status.CANCELLED, input.actor, "cancelled", input.reason)
        return await self._publish()

    @cancel.validator
    def _validate_cancel(self, input: CancelInput) -> None:
        self._check(Action.CANCEL, input.actor)

    @workflow.update
    async def accept_quote(self, input: AcceptQuoteInput) -> RequestSnapshot:
        self._po_number = input.po_number
        self._move(Status.ACCEPTED, input.actor, "quote_accepted", input.po_number)
        return await self._publish("quote_accepted", Audience.ASSIGNEE, input.po_number)

    @accept_quote.validator
    def _validate_accept_quote(self, input: AcceptQuoteInput) -> None:
        self._check(Action.ACCEPT_QUOTE, input.actor)
        _require_text(input.po_number, "A PO number is required")

    @workflow.update
    async def decline_quote(self, input: DeclineQuoteInput) -> RequestSnapshot:
        self._move(Status.DECLINED, input.actor, "quote_declined", input.reason)
        return await self._publish("quote_declined", Audience.ASSIGNEE, input.reason)

    @decline_quote.validator
    def _validate_decline_quote(self, input: DeclineQuoteInput) -> None:
        self._check(Action.DECLINE_QUOTE, input.actor)

    # -- the process ---------------------------------------------------------------------

    async def _wait_for_decision(self) -> None:
        submitted_at = datetime.fromisoformat(self._input.submitted_at)
        timers = self._input.timers
        while self._status in OPEN_STATUSES or self._preparing:
            if self._status == Status.WAITING_FOR_CUSTOMER:
                due: datetime | None = self._now() + timedelta(seconds=timers.info_timeout_seconds)
            elif not self._reminded:
                due = submitted_at + timedelta(seconds=timers.review_sla_seconds)
            elif not self._escalated:
                due = submitted_at + timedelta(seconds=timers.escalation_sla_seconds)
            else:
                due = None
            if not await self._wait_for_change(due):
                await self._on_decision_timer()

    async def _on_decision_timer(self) -> None:
        if self._status == Status.WAITING_FOR_CUSTOMER:
            await self._close(Status.EXPIRED, "expired", Audience.REQUESTER)
        elif not self._reminded:
            self._reminded = True
            self._record(SYSTEM, "sla_reminder")
            await self._publish("sla_reminder", Audience.ASSIGNEE)
        else:
            self._escalated = True
            self._record(SYSTEM, "escalated")
            await self._publish("escalated", Audience.SUPERVISORS)

    async def _wait_for_quote_answer(self) -> None:
        reminder = timedelta(seconds=self._input.timers.quote_reminder_seconds)
        while self._status == Status.QUOTED:
            assert self._plan is not None and self._plan.due_at is not None
            expires = datetime.fromisoformat(self._plan.due_at)
            remind_at = expires - reminder
            due = remind_at if not self._quote_reminded and self._now() < remind_at else expires
            if await self._wait_for_change(due):
                continue
            if due == remind_at:
                self._quote_reminded = True
                self._record(SYSTEM, "quote_expiring", self._plan.due_at[:10])
                await self._publish("quote_expiring", Audience.REQUESTER, self._plan.due_at[:10])
            else:
                await self._close(Status.EXPIRED, "expired", Audience.REQUESTER)

    async def _wait_until_effective(self) -> bool:
        """True once the scheduled date comes; False when the request was cancelled first."""
        assert self._plan is not None and self._plan.due_at is not None
        due = datetime.fromisoformat(self._plan.due_at)
        while self._status == Status.SCHEDULED:
            if not await self._wait_for_change(due):
                return True
        return False

    async def _apply(self) -> bool:
        """True once applied; False when it failed after its retries."""
        approval = self._approval
        assert approval is not None
        try:
            self._result = await workflow.execute_activity(
                APPLY_CHANGE,
                self._change(approval.actor, approval),
                result_type=dict,
                start_to_close_timeout=APPLY_TIMEOUT,
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=1),
                    maximum_attempts=self._input.timers.apply_max_attempts,
                    non_retryable_error_types=[REFUSED],
                ),
            )
        except ActivityError as error:
            await self._close(Status.FAILED, "failed", Audience.ASSIGNEE, _cause(error))
            return False
        event = COMPLETION_EVENTS.get(self._input.request_type, "completed")
        await self._close(
            Status.COMPLETED, "completed", Audience.REQUESTER, approval.comment, event
        )
        return True

    async def _apply_until_done(self) -> None:
        """Apply; after a failure a technician may retry once the cause is fixed."""
        while not await self._apply():
            try:
                # A retry may come while the failure is still being told: then no wait at all.
                await workflow.wait_condition(
                    functools.partial(self._status_is_not, Status.FAILED), timeout=RETRY_WINDOW
                )
            except TimeoutError:
                return

    def _status_is_not(self, status: str) -> bool:
        return self._status != status

    async def _expire_invitation(self, invitation_id: int) -> None:
        await workflow.sleep(timedelta(seconds=self._input.timers.invitation_seconds))
        expired = await workflow.execute_activity(
            EXPIRE_INVITATION,
            ExpireInvitationInput(invitation_id),
            result_type=bool,
            start_to_close_timeout=SHORT_TIMEOUT,
            retry_policy=RETRY_QUICKLY,
        )
        if expired:
            self._record(SYSTEM, "invitation_expired")
            await self._publish()

    # -- helpers -------------------------------------------------------------------------

    async def _wait_for_change(self, due: datetime | None) -> bool:
        """Wait for any state change; False when `due` came first."""
        timeout = None if due is None else max(due - self._now(), timedelta(milliseconds=1))
        before = self._state()
        try:
            await workflow.wait_condition(
                functools.partial(self._changed_since, before), timeout=timeout
            )
        except TimeoutError:
            return False
        return True

    def _now(self) -> datetime:
        """Business time, as the portal's clock tells it (zero shift outside development)."""
        return workflow.now() + timedelta(seconds=self._input.clock_shift_seconds)

    def _state(self) -> tuple[str, int, bool]:
        return (self._status, self._version, self._preparing)

    def _changed_since(self, before: tuple[str, int, bool]) -> bool:
        return self._state() != before

    async def _close(
        self, status: str, event: str, audience: str, note: str = "", mail: str | None = None
    ) -> None:
        self._move(status, SYSTEM, event, note)
        await self._publish(mail or event, audience, note)

    def _change(self, actor: Actor, approval: ApproveInput) -> ChangeInput:
        return ChangeInput(
            request_id=self._input.request_id,
            request_type=self._input.request_type,
            account_id=self._input.account_id,
            payload=self._input.payload,
            approved_by=actor,
            comment=approval.comment,
            pricing=approval.pricing,
            attachment_id=approval.attachment_id,
            po_number=self._po_number,
        )

    def _check(self, action: Action, actor: Actor, target: Actor | None = None) -> None:
        facts = RequestFacts(
            status=self._status,
            account_id=self._input.account_id,
            requester_id=self._input.requester.user_id,
            assignee_id=self._assignee.user_id if self._assignee else None,
            started_by_staff=self._input.started_by_staff,
        )
        try:
            check(action, facts, actor, target)
        except Refusal as refusal:
            raise ApplicationError(refusal.code, type=refusal.kind, non_retryable=True) from None

    def _move(self, status: str, actor: Actor, event: str, note: str = "") -> None:
        self._status = status
        self._record(actor, event, note)

    def _record(self, actor: Actor, event: str, note: str = "") -> None:
        self._timeline.append(
            TimelineEvent(
                at=self._now().isoformat(),
                actor_id=actor.user_id or None,
                actor_name=actor.name,
                event=event,
                note=note,
            )
        )
        self._version += 1

    def _snapshot(self) -> RequestSnapshot:
        return RequestSnapshot(
            request_id=self._input.request_id,
            version=self._version,
            status=self._status,
            assignee_id=self._assignee.user_id if self._assignee else None,
            escalated=self._escalated,
            timeline=list(self._timeline),
            result=self._result,
        )

    async def _publish(
        self, event: str | None = None, audience: str = Audience.REQUESTER, note: str = ""
    ) -> RequestSnapshot:
        """Write the projection the pages read, and queue the mail `event` with it when given;
        an update returns only once both are written."""
        snapshot = self._snapshot()
        workflow.upsert_search_attributes(
            [
                search.REQUEST_STATUS.value_set(self._status),
                search.ASSIGNEE_ID.value_set(snapshot.assignee_id)
                if snapshot.assignee_id
                else search.ASSIGNEE_ID.value_unset(),
            ]
        )
        # One activity for both (a patch: histories from before it made two).
        together = event is not None and workflow.patched("notice-with-projection")
        notice = self._notice(event, audience, note) if together and event else None
        await workflow.execute_activity(
            PROJECT_REQUEST,
            dataclasses.replace(snapshot, notice=notice),
            start_to_close_timeout=SHORT_TIMEOUT,
            retry_policy=RETRY_QUICKLY,
        )
        if event is not None and not together:
            await self._notify(event, audience, note)
        return snapshot

    def _notice(self, event: str, audience: str, note: str) -> QueueNotificationInput:
        return QueueNotificationInput(
            request_id=self._input.request_id, event=event, audience=audience, note=note
        )

    async def _notify(self, event: str, audience: str, note: str = "") -> None:
        await workflow.execute_activity(
            QUEUE_NOTIFICATION,
            self._notice(event, audience, note),
            start_to_close_timeout=SHORT_TIMEOUT,
            retry_policy=RETRY_QUICKLY,
        )


def _require_text(text: str, message: str) -> None:
    if not text.strip():
        raise ApplicationError(message, type="Invalid", non_retryable=True)


def _end_of_day(iso_date: str) -> str:
    """A quote is valid through its last day (UTC)."""
    return f"{iso_date[:10]}T23:59:59+00:00"


def _cause(error: ActivityError) -> str:
    return error.cause.message if isinstance(error.cause, ApplicationError) else str(error)
