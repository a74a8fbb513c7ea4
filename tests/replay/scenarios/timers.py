"""The paths with timers, on the time-skipping dev server: SLA reminder and escalation, a question
unanswered, quotes reminded, expired or extended, a frequency change applied at the renewal, a
new contact's invitation expired."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.config import TimerSettings
from tests.replay.recording import (
    ALICE,
    TESS,
    Run,
    closed,
    end_of_day,
    event_seen,
    settled,
    start_of_day,
    status_is,
)
from tests.replay.scenarios.other_request_types import QUOTE
from tests.replay.scenarios.po_edits import po_edit
from workflows.request_workflow import RequestWorkflow


async def po_edit_sla(run: Run) -> None:
    request_id = await po_edit(run, "Nobody claims it")
    handle = run.request(request_id)
    submitted = await handle.query(RequestWorkflow.snapshot)
    submitted_at = datetime.fromisoformat(submitted.timeline[0].at)
    timers = TimerSettings()
    await run.fast_forward_to(handle, submitted_at + timedelta(seconds=timers.review_sla))
    await event_seen(handle, "sla_reminder")
    await run.fast_forward_to(handle, submitted_at + timedelta(seconds=timers.escalation_sla))
    await event_seen(handle, "escalated")
    # Still submitted: it waits for a technician, with no timer left.
    await run.save("po_edit_sla_reminded_escalated_open", handle)


async def po_edit_info_expired(run: Run) -> None:
    request_id = await po_edit(run, "The question stays unanswered")
    handle = run.request(request_id)
    await run.task(TESS, request_id, "claim")
    await run.task(TESS, request_id, "request-info", question="Which office?")
    await status_is(handle, "waiting_for_customer")
    now = await run.env.get_current_time(handle)
    await run.fast_forward_to(handle, now + timedelta(seconds=TimerSettings().info_timeout))
    await closed(handle, "expired")
    await run.save("po_edit_info_unanswered_expired", handle)


async def quoted(run: Run) -> tuple[int, datetime]:
    """A quote at list price, valid for the default days: its id and its expiry."""
    request_id = await run.submit(ALICE, "quote", QUOTE)
    approved = await run.claimed_and_approved(TESS, request_id)
    await status_is(run.request(request_id), "quoted")
    return request_id, end_of_day(approved["result"]["valid_until"])


async def quote_expired(run: Run) -> None:
    request_id, expires = await quoted(run)
    handle = run.request(request_id)
    reminder = timedelta(seconds=TimerSettings().quote_reminder)
    await run.fast_forward_to(handle, expires - reminder)
    await event_seen(handle, "quote_expiring")
    await run.fast_forward_to(handle, expires)
    await closed(handle, "expired")
    await run.save("quote_reminded_then_expired", handle)


async def quote_extended(run: Run) -> None:
    request_id, expires = await quoted(run)
    handle = run.request(request_id)
    await run.fast_forward_to(handle, expires - timedelta(seconds=TimerSettings().quote_reminder))
    await event_seen(handle, "quote_expiring")
    later = (expires.date() + timedelta(days=30)).isoformat()
    await run.task(TESS, request_id, "extend-quote", valid_until=later)
    await event_seen(handle, "quote_extended")
    await run.quote(ALICE, request_id, "accept", po_number="ACME-Q-78")
    await closed(handle, "completed")
    await run.save("quote_extended_then_accepted", handle)


async def frequency_applied(run: Run) -> None:
    payload = {"frequency": "monthly", "reason": "Budget"}
    request_id = await run.submit(ALICE, "frequency_change", payload)
    handle = run.request(request_id)
    approved = await run.claimed_and_approved(TESS, request_id)
    await status_is(handle, "scheduled")
    await run.save("frequency_change_scheduled_waiting", handle)
    await run.fast_forward_to(handle, start_of_day(approved["result"]["effective_on"]))
    await closed(handle, "completed")
    await run.save("frequency_change_applied_at_renewal", handle)


async def contact_change_invitation(run: Run) -> None:
    payload = {
        "new_contact_email": "dana@acme.example",
        "new_contact_name": "Dana Scully",
        "reason": "Alice moves to sales",
    }
    request_id = await run.submit(ALICE, "contact_change", payload)
    handle = run.request(request_id)
    await run.claimed_and_approved(TESS, request_id, comment="Welcome, Dana")
    await status_is(handle, "completed")
    await settled(handle)
    now = await run.env.get_current_time(handle)
    await run.fast_forward_to(handle, now + timedelta(seconds=TimerSettings().invitation))
    await closed(handle, "completed")
    await event_seen(handle, "invitation_expired")
    await run.save("contact_change_by_contact_invitation_expired", handle)
