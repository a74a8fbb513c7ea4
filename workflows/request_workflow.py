"""One workflow per billing request: await a technician's decision, apply it once, tell people."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows import search
    from workflows.lifecycle import (
        Action,
        Actor,
        Refusal,
        RequestFacts,
        Status,
        check,
    )
    from workflows.messages import (
        APPLY_CHANGE,
        PROJECT_REQUEST,
        QUEUE_NOTIFICATION,
        ApplyChangeInput,
        ApproveInput,
        Audience,
        CancelInput,
        ClaimInput,
        ProvideInfoInput,
        QueueNotificationInput,
        ReassignInput,
        RejectInput,
        RequestInfoInput,
        RequestSnapshot,
        StartRequestInput,
        TimelineEvent,
    )

SYSTEM = Actor(user_id=0, role="system", account_id=None, name="Portal")
PROJECTION_TIMEOUT = timedelta(seconds=30)
PROJECTION_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=10)
)
NOTIFY_TIMEOUT = timedelta(seconds=30)
APPLY_TIMEOUT = timedelta(seconds=60)


@workflow.defn
class RequestWorkflow:
    @workflow.init
    def __init__(self, input: StartRequestInput) -> None:
        self._input = input
        self._status: str = Status.SUBMITTED
        self._assignee: Actor | None = None
        self._escalated = False
        self._reminded = False
        self._version = 1
        self._result: dict[str, Any] | None = None
        self._approval: ApproveInput | None = None
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
        if self._status == Status.APPROVED:
            await self._apply()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._snapshot()

    # -- queries and updates -------------------------------------------------------------

    @workflow.query
    def timeline(self) -> list[TimelineEvent]:
        return list(self._timeline)

    @workflow.query
    def snapshot(self) -> RequestSnapshot:
        return self._snapshot()

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
        self._approval = input
        self._move(Status.APPROVED, input.actor, "approved", input.comment)
        return await self._publish()

    @approve.validator
    def _validate_approve(self, input: ApproveInput) -> None:
        self._check(Action.APPROVE, input.actor)

    @workflow.update
    async def reject(self, input: RejectInput) -> RequestSnapshot:
        self._move(Status.REJECTED, input.actor, "rejected", input.reason)
        snapshot = await self._publish()
        await self._notify("rejected", Audience.REQUESTER, input.reason)
        return snapshot

    @reject.validator
    def _validate_reject(self, input: RejectInput) -> None:
        self._check(Action.REJECT, input.actor)
        if not input.reason.strip():
            raise ApplicationError("A reason is required", type="Invalid", non_retryable=True)

    @workflow.update
    async def request_info(self, input: RequestInfoInput) -> RequestSnapshot:
        self._move(Status.WAITING_FOR_CUSTOMER, input.actor, "info_requested", input.question)
        snapshot = await self._publish()
        await self._notify("info_requested", Audience.REQUESTER, input.question)
        return snapshot

    @request_info.validator
    def _validate_request_info(self, input: RequestInfoInput) -> None:
        self._check(Action.REQUEST_INFO, input.actor)
        if not input.question.strip():
            raise ApplicationError("A question is required", type="Invalid", non_retryable=True)

    @workflow.update
    async def provide_info(self, input: ProvideInfoInput) -> RequestSnapshot:
        self._move(Status.IN_REVIEW, input.actor, "info_provided", input.message)
        snapshot = await self._publish()
        await self._notify("info_provided", Audience.ASSIGNEE, input.message)
        return snapshot

    @provide_info.validator
    def _validate_provide_info(self, input: ProvideInfoInput) -> None:
        self._check(Action.PROVIDE_INFO, input.actor)
        if not input.message.strip():
            raise ApplicationError("A message is required", type="Invalid", non_retryable=True)

    @workflow.update
    async def cancel(self, input: CancelInput) -> RequestSnapshot:
        self._move(Status.CANCELLED, input.actor, "cancelled", input.reason)
        return await self._publish()

    @cancel.validator
    def _validate_cancel(self, input: CancelInput) -> None:
        self._check(Action.CANCEL, input.actor)

    @workflow.update
    async def reassign(self, input: ReassignInput) -> RequestSnapshot:
        self._assignee = input.assignee
        status = Status.IN_REVIEW if self._status == Status.SUBMITTED else self._status
        self._move(status, input.actor, "reassigned", input.assignee.name)
        snapshot = await self._publish()
        await self._notify("assigned", Audience.ASSIGNEE)
        return snapshot

    @reassign.validator
    def _validate_reassign(self, input: ReassignInput) -> None:
        self._check(Action.REASSIGN, input.actor, input.assignee)

    # -- the process ---------------------------------------------------------------------

    async def _wait_for_decision(self) -> None:
        submitted_at = datetime.fromisoformat(self._input.submitted_at)
        timers = self._input.timers
        while self._status in (Status.SUBMITTED, Status.IN_REVIEW, Status.WAITING_FOR_CUSTOMER):
            status_before = self._status
            if status_before == Status.WAITING_FOR_CUSTOMER:
                due: datetime | None = workflow.now() + timedelta(
                    seconds=timers.info_timeout_seconds
                )
            elif not self._reminded:
                due = submitted_at + timedelta(seconds=timers.review_sla_seconds)
            elif not self._escalated:
                due = submitted_at + timedelta(seconds=timers.escalation_sla_seconds)
            else:
                due = None
            timeout = None if due is None else max(due - workflow.now(), timedelta(milliseconds=1))
            try:
                await workflow.wait_condition(
                    functools.partial(self._status_differs, status_before), timeout=timeout
                )
            except TimeoutError:
                await self._on_timer(status_before)

    async def _on_timer(self, status: str) -> None:
        if status == Status.WAITING_FOR_CUSTOMER:
            self._move(Status.EXPIRED, SYSTEM, "expired")
            await self._publish()
            await self._notify("expired", Audience.REQUESTER)
        elif not self._reminded:
            self._reminded = True
            self._record(SYSTEM, "sla_reminder")
            await self._publish()
            await self._notify("sla_reminder", Audience.ASSIGNEE)
        else:
            self._escalated = True
            self._record(SYSTEM, "escalated")
            await self._publish()
            await self._notify("escalated", Audience.SUPERVISORS)

    async def _apply(self) -> None:
        approval = self._approval
        assert approval is not None
        change = ApplyChangeInput(
            request_id=self._input.request_id,
            request_type=self._input.request_type,
            account_id=self._input.account_id,
            payload=self._input.payload,
            approved_by=approval.actor,
            comment=approval.comment,
        )
        try:
            self._result = await workflow.execute_activity(
                APPLY_CHANGE,
                change,
                result_type=dict,
                start_to_close_timeout=APPLY_TIMEOUT,
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=1),
                    maximum_attempts=self._input.timers.apply_max_attempts,
                    non_retryable_error_types=["ChangeRefused"],
                ),
            )
        except ActivityError as error:
            cause = error.cause.message if isinstance(error.cause, ApplicationError) else str(error)
            self._move(Status.FAILED, SYSTEM, "failed", cause)
            await self._publish()
            await self._notify("failed", Audience.ASSIGNEE, cause)
            return
        self._move(Status.COMPLETED, SYSTEM, "completed")
        await self._publish()
        await self._notify("completed", Audience.REQUESTER, approval.comment)

    # -- helpers -------------------------------------------------------------------------

    def _status_differs(self, status: str) -> bool:
        return self._status != status

    def _check(self, action: Action, actor: Actor, target: Actor | None = None) -> None:
        facts = RequestFacts(
            status=self._status,
            account_id=self._input.account_id,
            requester_id=self._input.requester.user_id,
            assignee_id=self._assignee.user_id if self._assignee else None,
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
                at=workflow.now().isoformat(),
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

    async def _publish(self) -> RequestSnapshot:
        """Write the projection the pages read; an update returns only once it is written."""
        snapshot = self._snapshot()
        workflow.upsert_search_attributes(
            [
                search.REQUEST_STATUS.value_set(self._status),
                search.ASSIGNEE_ID.value_set(snapshot.assignee_id)
                if snapshot.assignee_id
                else search.ASSIGNEE_ID.value_unset(),
            ]
        )
        await workflow.execute_activity(
            PROJECT_REQUEST,
            snapshot,
            start_to_close_timeout=PROJECTION_TIMEOUT,
            retry_policy=PROJECTION_RETRY,
        )
        return snapshot

    async def _notify(self, event: str, audience: str, note: str = "") -> None:
        notification = QueueNotificationInput(
            request_id=self._input.request_id, event=event, audience=audience, note=note
        )
        await workflow.execute_activity(
            QUEUE_NOTIFICATION,
            notification,
            start_to_close_timeout=NOTIFY_TIMEOUT,
            retry_policy=PROJECTION_RETRY,
        )
