"""The other request types on the dev server: quotes, contact changes, frequency changes, forms,
inquiries and subscription changes."""

from __future__ import annotations

from tests.replay.recording import ALICE, CHLOE, SAM, TESS, Run, closed, status_is

QUOTE = {
    "items": [{"product": "GoToMeeting Business", "seats": 10}],
    "term_months": 12,
    "notes": "Lyon",
}


async def quote_accepted(run: Run) -> None:
    request_id = await run.submit(ALICE, "quote", QUOTE)
    pricing = {
        "lines": [{"product": "GoToMeeting Business", "unit_price": "150.00"}],
        "discount_pct": 10,
        "valid_days": 15,
    }
    await run.claimed_and_approved(TESS, request_id, pricing=pricing)
    await status_is(run.request(request_id), "quoted")
    await run.save("quote_priced_waiting_for_answer", run.request(request_id))
    await run.quote(ALICE, request_id, "accept", po_number="ACME-Q-77")
    await closed(run.request(request_id), "completed")
    await run.save("quote_priced_accepted_completed", run.request(request_id))


async def quote_declined(run: Run) -> None:
    request_id = await run.submit(ALICE, "quote", QUOTE)
    await run.claimed_and_approved(TESS, request_id)
    await status_is(run.request(request_id), "quoted")
    await run.quote(ALICE, request_id, "decline", reason="Too dear")
    await closed(run.request(request_id), "declined")
    await run.save("quote_declined", run.request(request_id))


async def contact_change_four_eyes(run: Run) -> None:
    globex = (await run.api.get(CHLOE, "/api/v1/me"))["account_id"]
    payload = {
        "account_id": globex,
        "new_contact_email": "hugo@globex.example",
        "new_contact_name": "Hugo Martin",
        "reason": "Chloé left",
    }
    request_id = await run.submit(TESS, "contact_change", payload)
    await run.claimed_and_approved(SAM, request_id, comment="Confirmed by phone")
    # Completed; the workflow now waits for the invitation's expiry (72 h).
    await status_is(run.request(request_id), "completed")
    await run.save("contact_change_by_technician_supervisor_approved", run.request(request_id))


async def frequency_cancelled(run: Run) -> None:
    payload = {"frequency": "quarterly", "reason": "Cash flow"}
    request_id = await run.submit(ALICE, "frequency_change", payload)
    await run.claimed_and_approved(TESS, request_id)
    await status_is(run.request(request_id), "scheduled")
    await run.customer(ALICE, request_id, "cancel", reason="Changed our mind")
    await closed(run.request(request_id), "cancelled")
    await run.save("frequency_change_cancelled_while_scheduled", run.request(request_id))


async def form_request(run: Run) -> None:
    payload = {"form": "w9", "details": "For our vendor file"}
    request_id = await run.submit(ALICE, "form_request", payload)
    await run.claimed_and_approved(TESS, request_id)
    await closed(run.request(request_id), "completed")
    await run.save("form_request_w9_produced", run.request(request_id))


async def account_inquiry(run: Run) -> None:
    payload = {"topic": "contract_copy", "message": "Please send us a copy of our contract."}
    request_id = await run.submit(ALICE, "account_inquiry", payload)
    await run.claimed_and_approved(TESS, request_id, comment="Your contract runs until 2028.")
    await closed(run.request(request_id), "completed")
    await run.save("account_inquiry_answered", run.request(request_id))


async def subscription_change(run: Run) -> None:
    held = (await run.api.get(ALICE, "/api/v1/subscriptions"))["items"]
    enterprise = next(item for item in held if item["plan"] == "GoToMeeting Enterprise")
    created = await run.api.post(
        ALICE,
        f"/api/v1/subscriptions/{enterprise['id']}/change",
        {"seats": enterprise["seats"] + 30, "reason": "Lyon office"},
        202,
    )
    request_id = int(created["id"])
    await run.claimed_and_approved(TESS, request_id)
    await closed(run.request(request_id), "completed")
    await run.save("subscription_change_approved_applied", run.request(request_id))
