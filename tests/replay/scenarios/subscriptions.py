"""The paths of a subscription's workflow (SubscriptionWorkflow), on the time-skipping dev
server: renewed and continued as new, a declined renewal reminded then expired, a pending
cancellation ended, a Corporate renewal reached by moving the sandbox clock (its Update), in
one scenario, as each path starts where the one before left the demo data; and, on the plain
dev server, a scheduled request applied by moving the clock (RequestWorkflow's Update)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowHandle

from tests.replay.recording import (
    CHLOE,
    PETER,
    TESS,
    RecordingError,
    Run,
    closed,
    settled,
    start_of_day,
    status_is,
)
from workflows.subscription_workflow import SubscriptionWorkflow, subscription_workflow_id


def subscription(run: Run, subscription_id: int, run_id: str | None = None) -> Any:
    return run.env.client.get_workflow_handle_for(
        SubscriptionWorkflow.run, subscription_workflow_id(subscription_id), run_id=run_id
    )


async def held(run: Run, email: str) -> dict[str, dict[str, Any]]:
    items = (await run.api.get(email, "/api/v1/subscriptions"))["items"]
    return {item["plan"]: item for item in items}


async def status_becomes(run: Run, email: str, plan: str, status: str) -> None:
    for _attempt in range(100):
        if (await held(run, email))[plan]["status"] == status:
            return
        await settled(subscription(run, (await held(run, email))[plan]["id"]))
    raise RecordingError(f"{plan} never became {status}")


async def forward(run: Run, handle: WorkflowHandle[Any, Any], iso_date: str) -> None:
    await settled(handle)
    await run.fast_forward_to(handle, start_of_day(iso_date))
    await settled(handle)


async def subscription_paths(run: Run) -> None:
    plans = await held(run, PETER)
    business, webinar = plans["GoToMeeting Business"], plans["GoToWebinar Standard"]
    # Renewed at the period's end (the card is charged), then continued as new.
    first = await subscription(run, business["id"]).describe()
    await forward(run, subscription(run, business["id"]), business["next_billing_date"])
    await run.save(
        "subscription_renewed_continued_as_new", subscription(run, business["id"], first.run_id)
    )
    await run.save("subscription_waiting_for_the_next_period", subscription(run, business["id"]))

    # A card that declines every charge: the Webinar renewal is past due, reminded, expired.
    card = {"number": "4000000000000341", "exp_month": 12, "exp_year": 2099, "cvc": "123"}
    await run.api.post(PETER, "/api/v1/payment-method", card)
    handle = subscription(run, webinar["id"])
    await forward(run, handle, webinar["next_billing_date"])
    await status_becomes(run, PETER, "GoToWebinar Standard", "past_due")
    for day in (1, 3, 7, 14):
        due = start_of_day(webinar["next_billing_date"]) + timedelta(days=day)
        await run.fast_forward_to(handle, due)
        await settled(handle)
    await status_becomes(run, PETER, "GoToWebinar Standard", "expired")
    await run.save("subscription_declined_reminded_expired", handle)

    # Cancelled: pending until the period's end, then ended.
    renewed = (await held(run, PETER))["GoToMeeting Business"]
    await run.api.post(PETER, f"/api/v1/subscriptions/{business['id']}/cancel")
    await forward(run, subscription(run, business["id"]), renewed["next_billing_date"])
    await status_becomes(run, PETER, "GoToMeeting Business", "cancelled")
    await run.save("subscription_pending_cancellation_ended", subscription(run, business["id"]))

    # A Corporate renewal (an invoice to the PO) reached by moving the sandbox clock.
    enterprise = (await held(run, CHLOE))["GoToMeeting Enterprise"]
    before = await subscription(run, enterprise["id"]).describe()
    await run.api.post(CHLOE, "/api/v1/sandbox/clock", {"date": enterprise["next_billing_date"]})
    after = (await held(run, CHLOE))["GoToMeeting Enterprise"]
    if after["next_billing_date"] == enterprise["next_billing_date"]:
        raise RecordingError("the Corporate subscription did not renew")
    await run.save(
        "subscription_corporate_renewed_by_the_sandbox_clock",
        subscription(run, enterprise["id"], before.run_id),
    )


async def frequency_applied_by_the_sandbox_clock(run: Run) -> None:
    """A scheduled request reached by moving the account's clock (RequestWorkflow's Update)."""
    payload = {"frequency": "quarterly", "reason": "Cash flow"}
    request_id = await run.submit(CHLOE, "frequency_change", payload)
    approved = await run.claimed_and_approved(TESS, request_id)
    handle = run.request(request_id)
    await status_is(handle, "scheduled")
    effective = approved["result"]["effective_on"][:10]
    await run.api.post(CHLOE, "/api/v1/sandbox/clock", {"date": effective})
    await closed(handle, "completed")
    await run.save("frequency_change_applied_by_the_sandbox_clock", handle)
