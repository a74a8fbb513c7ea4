"""The process of a request between its human steps: the timers it waits on, applying the
approved change until done, and publishing each step to the projection the pages read.
`RequestWorkflow` (request_workflow.py) adds the updates and the queries.

Every change here must keep replaying tests/replay/*.json (tests/replay/README.md).
"""

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
        Event,
        Refusal,
        RequestFacts,
        Status,
        check,
    )
    from workflows.messages import (
        APPLY_CHANGE,
        EXPIRE_INVITATION,
        LAPSE,
        LAPSE_CHANGE,
        PROJECT_REQUEST,
        QUEUE_NOTIFICATION,
        ApprovalPlan,
        ApproveInput,
        ChangeInput,
        ExpireInvitationInput,
        LapseInput,
        QueueNotificationInput,
        RequestSnapshot,
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
# The events whose mail went out in an activity of its own before the patch
# "notice-with-projection"; only they may ask that patch (its first call must come where it
# came in the histories before). Goes with the patch.
NOTIFIED_BEFORE_THE_PATCH = frozenset(
    {
        Event.REJECTED,
        Event.INFO_REQUESTED,
        Event.INFO_PROVIDED,
        Event.REASSIGNED,
        Event.QUOTE_ACCEPTED,
        Event.QUOTE_DECLINED,
        Event.EXPIRED,
        Event.SLA_REMINDER,
        Event.ESCALATED,
        Event.QUOTE_EXPIRING,
        Event.FAILED,
        Event.COMPLETED,
        Event.QUOTED,
        Event.SCHEDULED,
    }
)


class RequestProcess:
    _input: StartRequestInput
    _status: str
    _assignee: Actor | None
    _escalated: bool
    _reminded: bool
    _quote_reminded: bool
    _version: int
    _result: dict[str, Any] | None
    _approval: ApproveInput | None
    _plan: ApprovalPlan | None
    _preparing: bool
    _po_number: str
    _timeline: list[TimelineEvent]
    # The sandbox clock (advance_clock): business time minus workflow.now(), how often it
    # moved, and the last move the process has caught up with.
    _shift: int
    _clock_moves: int
    _settled: int

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
            await self._close(Status.EXPIRED, Event.EXPIRED)
        elif not self._reminded:
            self._reminded = True
            self._record(SYSTEM, Event.SLA_REMINDER)
            await self._publish(Event.SLA_REMINDER)
        else:
            self._escalated = True
            self._record(SYSTEM, Event.ESCALATED)
            await self._publish(Event.ESCALATED)

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
                self._record(SYSTEM, Event.QUOTE_EXPIRING, self._plan.due_at[:10])
                await self._publish(Event.QUOTE_EXPIRING, self._plan.due_at[:10])
            else:
                await self._close(Status.EXPIRED, Event.EXPIRED)

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
            await self._close(Status.FAILED, Event.FAILED, cause_of(error))
            return False
        await self._close(Status.COMPLETED, Event.COMPLETED, approval.comment)
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

    async def _let_the_change_lapse(self) -> None:
        """What a completed change handed out and left unused ends in its time (a link)."""
        result = self._result or {}
        lapse = result.get(LAPSE)
        if isinstance(lapse, dict):
            await workflow.sleep(timedelta(seconds=int(lapse["after_seconds"])))
            lapsed: str = await workflow.execute_activity(
                LAPSE_CHANGE,
                LapseInput(self._input.request_id, self._input.request_type, result),
                result_type=str,
                start_to_close_timeout=SHORT_TIMEOUT,
                retry_policy=RETRY_QUICKLY,
            )
            if lapsed:
                self._record(SYSTEM, Event(lapsed))
                await self._publish(Event(lapsed))
        elif result.get("invitation_id"):
            # Results written before LAPSE existed; remove once none can be running (after
            # the invitation time, 72 h by default, from the deploy of 2026-12-05).
            await self._expire_invitation(int(result["invitation_id"]))

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
            self._record(SYSTEM, Event.INVITATION_EXPIRED)
            await self._publish(Event.INVITATION_EXPIRED)

    # -- helpers -------------------------------------------------------------------------

    async def _wait_for_change(self, due: datetime | None) -> bool:
        """Wait for any state change; False when `due` came first."""
        timeout = None if due is None else max(due - self._now(), timedelta(milliseconds=1))
        if due is None or due > self._now():
            self._settled = self._clock_moves  # nothing is due now: caught up
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
        return workflow.now() + timedelta(seconds=self._shift)

    def _state(self) -> tuple[str, int, bool, int]:
        return (self._status, self._version, self._preparing, self._clock_moves)

    def _changed_since(self, before: tuple[str, int, bool, int]) -> bool:
        return self._state() != before

    async def _close(self, status: str, event: Event, note: str = "") -> None:
        self._move(status, SYSTEM, event, note)
        await self._publish(event, note)

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

    def _move(self, status: str, actor: Actor, event: Event, note: str = "") -> None:
        self._status = status
        self._record(actor, event, note)

    def _record(self, actor: Actor, event: Event, note: str = "") -> None:
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

    async def _publish(self, event: Event, note: str = "") -> RequestSnapshot:
        """Write the projection the pages read, with the event's mail queued in the same
        transaction (whom it tells is the event's decision); an update returns only once both
        are written."""
        snapshot = self._snapshot()
        workflow.upsert_search_attributes(
            [
                search.REQUEST_STATUS.value_set(self._status),
                search.ASSIGNEE_ID.value_set(snapshot.assignee_id)
                if snapshot.assignee_id
                else search.ASSIGNEE_ID.value_unset(),
            ]
        )
        # Before this patch a mail took an activity of its own. Deprecate once no request
        # started before 2026-12-02 can be running; remove the `else` branch with it.
        together = event not in NOTIFIED_BEFORE_THE_PATCH or workflow.patched(
            "notice-with-projection"
        )
        notice = QueueNotificationInput(self._input.request_id, event, note=note)
        projected = dataclasses.replace(snapshot, notice=notice if together else None)
        # Since this patch the projection is a local activity: written by this worker within
        # the workflow task, with no trip through the server's task queue (issue 16). A worker
        # that dies before the task completes runs it again on the next worker; the projection
        # is version-checked and its mail deduplicated, so nothing is written twice, and an
        # Update still answers only once the pages show its result. Deprecate once no request
        # started before 2026-12-07 can be running; remove the `else` branch with it.
        if workflow.patched("projection-as-local-activity"):
            await workflow.execute_local_activity(
                PROJECT_REQUEST,
                projected,
                start_to_close_timeout=SHORT_TIMEOUT,
                retry_policy=RETRY_QUICKLY,
            )
        else:
            await workflow.execute_activity(
                PROJECT_REQUEST,
                projected,
                start_to_close_timeout=SHORT_TIMEOUT,
                retry_policy=RETRY_QUICKLY,
            )
        if not together:
            await workflow.execute_activity(
                QUEUE_NOTIFICATION,
                notice,
                start_to_close_timeout=SHORT_TIMEOUT,
                retry_policy=RETRY_QUICKLY,
            )
        return snapshot


def cause_of(error: ActivityError) -> str:
    return error.cause.message if isinstance(error.cause, ApplicationError) else str(error)
