"""A subscription through time, as long as it lives (`subscription-<id>`, docs/design.md §7):
it renews at each period's end (the activity charges the card or invoices the PO, net 30),
dunning follows a declined renewal (reminders, then expiry after the grace period), a pending
cancellation ends at the period's end. It continues as new after each renewal, so its history
stays one period long. The sandbox clock moves its time forward with `advance_clock`, which
answers once everything due by the new time has happened.

`SubscriptionEndWorkflow`, the timer that ended a cancelled subscription before this one
existed, stays registered for the timers still running: remove it once none can be (a period,
a year at most, after 2026-12-05).

Every change here must keep replaying tests/replay/*.json (tests/replay/README.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

END_SUBSCRIPTION = "end_subscription"
DESCRIBE_SUBSCRIPTION = "describe_subscription"
RENEW_SUBSCRIPTION = "renew_subscription"
REMIND_PAST_DUE = "remind_past_due"
EXPIRE_SUBSCRIPTION = "expire_subscription"
# What ends a subscription's life (and its workflow).
ENDED = ("cancelled", "expired")
ACTIVITY_TIMEOUT = timedelta(seconds=60)
# Billing writes wait for the account's lease: retried until it is free.
RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=5)
)


def subscription_workflow_id(subscription_id: int) -> str:
    return f"subscription-{subscription_id}"


def end_workflow_id(subscription_id: int, ends_on: str) -> str:
    """One timer per subscription and period: cancelling again in the same period reuses it."""
    return f"subscription-end-{subscription_id}-{ends_on}"


@dataclass(frozen=True)
class EndSubscriptionInput:
    subscription_id: int
    ends_on: str  # ISO date: the end of the paid period
    clock_shift_seconds: int = 0  # business time minus workflow.now() (portal.clock)


@dataclass(frozen=True)
class SubscriptionInput:
    subscription_id: int
    # Business time minus workflow.now() (portal.clock, the account's sandbox clock included).
    clock_shift_seconds: int = 0
    grace_days: int = 14
    # Reminders of a declined renewal, in days after it.
    reminder_days: list[int] = field(default_factory=lambda: [1, 3, 7])


@dataclass(frozen=True)
class SubscriptionState:
    """What the subscription is now, as the database says."""

    status: str
    next_billing_date: str  # ISO date
    past_due_since: str | None = None
    # The account's business time minus real time, as the database says (its sandbox clock).
    clock_shift_seconds: int | None = None


@dataclass(frozen=True)
class SubscriptionDateInput:
    """A step due at `on` (ISO date): a renewal, a reminder, an expiry."""

    subscription_id: int
    on: str
    day: int = 0


@dataclass(frozen=True)
class AdvanceClockInput:
    clock_shift_seconds: int


def _midnight(iso_date: str) -> datetime:
    return datetime.fromisoformat(f"{iso_date[:10]}T00:00:00+00:00")


@workflow.defn
class SubscriptionWorkflow:
    @workflow.init
    def __init__(self, input: SubscriptionInput) -> None:
        self._input = input
        self._shift = input.clock_shift_seconds
        self._changes = 0
        self._settled = -1
        self._state: SubscriptionState | None = None

    @workflow.run
    async def run(self, input: SubscriptionInput) -> str:
        state = await self._step(DESCRIBE_SUBSCRIPTION, input.subscription_id)
        renewed = False
        while state.status not in ENDED:
            if renewed and workflow.all_handlers_finished():
                # One period per run: the next one starts with a short history.
                workflow.continue_as_new(
                    dataclasses.replace(input, clock_shift_seconds=self._shift)
                )
            if state.status == "past_due":
                state = await self._dun(state)
                continue
            if not await self._until(_midnight(state.next_billing_date)):
                state = await self._step(DESCRIBE_SUBSCRIPTION, input.subscription_id)
                continue
            state = await self._step(
                RENEW_SUBSCRIPTION,
                SubscriptionDateInput(input.subscription_id, state.next_billing_date),
            )
            renewed = state.status == "active"
        self._settled = self._changes
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state.status

    @workflow.signal
    def refresh(self) -> None:
        """The subscription changed (a change, a cancellation, a paid renewal): read it again."""
        self._changes += 1

    @workflow.update
    async def advance_clock(self, input: AdvanceClockInput) -> SubscriptionState | None:
        """The account's sandbox clock moved: answer once all that fell due has happened."""
        self._shift = max(self._shift, input.clock_shift_seconds)
        self._changes += 1
        asked = self._changes
        await workflow.wait_condition(lambda: self._settled >= asked)
        return self._state

    @workflow.query
    def state(self) -> SubscriptionState | None:
        return self._state

    async def _dun(self, state: SubscriptionState) -> SubscriptionState:
        """After a declined renewal: reminders, then expiry, unless it is paid meanwhile."""
        assert state.past_due_since is not None
        since = date.fromisoformat(state.past_due_since)
        steps = [(day, REMIND_PAST_DUE) for day in self._input.reminder_days]
        steps.append((self._input.grace_days, EXPIRE_SUBSCRIPTION))
        for day, activity in steps:
            on = (since + timedelta(days=day)).isoformat()
            while not await self._until(_midnight(on)):
                state = await self._step(DESCRIBE_SUBSCRIPTION, self._input.subscription_id)
                if state.status != "past_due" or state.past_due_since != since.isoformat():
                    return state
            state = await self._step(
                activity, SubscriptionDateInput(self._input.subscription_id, on, day)
            )
            if state.status != "past_due":
                return state
        return state

    async def _until(self, due: datetime) -> bool:
        """True once `due` (business time) has come; False when something changed first."""
        timeout = due - self._now()
        if timeout <= timedelta(0):
            return True
        before = self._changes
        self._settled = before
        try:
            await workflow.wait_condition(lambda: self._changes != before, timeout=timeout)
        except TimeoutError:
            return True
        return False

    async def _step(self, activity: str, argument: object) -> SubscriptionState:
        state: SubscriptionState = await workflow.execute_activity(
            activity,
            argument,
            result_type=SubscriptionState,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        if state.clock_shift_seconds is not None:
            # The database's clock is the truth: a test's reset, a clock moved meanwhile.
            self._shift = state.clock_shift_seconds
        self._state = state
        return state

    def _now(self) -> datetime:
        return workflow.now() + timedelta(seconds=self._shift)


@workflow.defn
class SubscriptionEndWorkflow:
    @workflow.run
    async def run(self, input: EndSubscriptionInput) -> bool:
        ends_at = datetime.fromisoformat(f"{input.ends_on}T00:00:00+00:00")
        now = workflow.now() + timedelta(seconds=input.clock_shift_seconds)
        await workflow.sleep(max(ends_at - now, timedelta(seconds=1)))
        # The activity ends it only if it is still pending cancellation (not undone meanwhile).
        ended: bool = await workflow.execute_activity(
            END_SUBSCRIPTION,
            input,
            result_type=bool,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
        return ended
