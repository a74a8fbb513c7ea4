"""Records tests/replay/*.json again from real runs: `python -m tests.replay.record [NAME...]`.

A real Temporal dev server (and, for the paths with timers, the time-skipping dev server), a
real worker (`activities.worker.build_worker`) and a migrated SQLite database with the demo
data, in a temporary directory. Requests are driven through the JSON API with Flask's test
client, the contract that stays while the portal's internals move; the Temporal client only
fast-forwards timers, waits and fetches the histories. Each history is saved once its workflow
has reached the state its path is about: closed, or waiting where a running request would wait
for days or months. Every file is written at the end, only when every path was recorded.

Business time is the real date (`portal.clock` with no shift), so it can be run on any day;
`NAME...` (scenario names, see `SCENARIOS`) records only those, leaving the other files alone.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import TimeSkippingConfig, WorkflowEnvironment

from activities.worker import build_worker
from portal.config import Settings, TemporalSettings, TimerSettings
from portal.db import Database
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.devserver import temporal_binary
from portal.migrate import upgrade
from workflows.messages import RequestSnapshot, workflow_id_for
from workflows.request_workflow import RequestWorkflow
from workflows.search import ALL_KEYS, dev_server_flags
from workflows.subscription_workflow import SubscriptionEndWorkflow, end_workflow_id

HERE = Path(__file__).resolve().parent
TASK_QUEUE = "record-histories"
MINUTE = timedelta(minutes=1)
WAIT_SECONDS = 60.0

ALICE, CHLOE, PETER = "alice@acme.example", "chloe@globex.example", "peter@initech.example"
TESS, THEO, SAM = "tess@logmein.example", "theo@logmein.example", "sam@logmein.example"


class RecordingError(Exception):
    """A path did not go the way it should: nothing is written."""


def public(name: str, *modules: str) -> Any:
    """`name` from the first of `modules` that has it (the portal's modules are being moved)."""
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found = getattr(module, name, None)
        if found is not None:
            return found
    raise ImportError(f"{name} is in none of {', '.join(modules)}")


def create_app(settings: Settings, database: Database, bridge: Any) -> Any:
    factory = public("create_app", "portal.app", "portal")
    return factory(settings, database=database, bridge=bridge)


def temporal_bridge(settings: TemporalSettings) -> Any:
    return public("TemporalBridge", "portal.gateway", "portal.temporal_bridge")(settings)


async def portal_client(settings: TemporalSettings) -> Client:
    """A client made as `portal worker` makes its own (with the portal's interceptor)."""
    connect = public("connect", "portal.gateway", "portal.temporal_bridge")
    client: Client = await connect(settings)
    return client


# -- the JSON API ----------------------------------------------------------------------------


class Api:
    """The JSON API through Flask's test client; calls run in a thread, off the worker's loop."""

    def __init__(self, app: Any, tokens: dict[str, str]) -> None:
        self.client = app.test_client()
        self.tokens = tokens  # e-mail -> bearer token, shared by every app on the database

    def _headers(self, email: str) -> dict[str, str]:
        if email not in self.tokens:
            body = {"email": email, "password": DEMO_PASSWORD}
            self.tokens[email] = self._call("POST", "", "/api/v1/tokens", body, 201)["token"]
        return {"Authorization": f"Bearer {self.tokens[email]}"}

    def _call(
        self, method: str, email: str, url: str, body: dict[str, Any] | None, expected: int
    ) -> Any:
        headers = self._headers(email) if email else {}
        reply = self.client.open(url, method=method, json=body, headers=headers)
        if reply.status_code != expected:
            raise RecordingError(
                f"{method} {url} as {email or 'anyone'}: {reply.status_code}, expected "
                f"{expected}: {reply.get_data(as_text=True)[:500]}"
            )
        return reply.json

    async def get(self, email: str, url: str) -> Any:
        return await asyncio.to_thread(self._call, "GET", email, url, None, 200)

    async def post(
        self, email: str, url: str, body: dict[str, Any] | None = None, expected: int = 200
    ) -> Any:
        return await asyncio.to_thread(self._call, "POST", email, url, body or {}, expected)


# -- one server, its worker, the apps --------------------------------------------------------


@dataclass
class Run:
    env: WorkflowEnvironment
    api: Api
    # The same portal with two apply attempts instead of five: a failure comes quickly.
    impatient_api: Api
    database: Database
    histories: dict[str, str] = field(default_factory=dict)

    def request(self, request_id: int) -> WorkflowHandle[Any, RequestSnapshot]:
        return self.env.client.get_workflow_handle_for(
            RequestWorkflow.run, workflow_id_for(request_id)
        )

    async def save(self, name: str, handle: WorkflowHandle[Any, Any]) -> None:
        await settled(handle)
        history = await handle.fetch_history()
        self.histories[name] = history.to_json()

    # -- the steps, as the API takes them

    async def submit(self, email: str, request_type: str, payload: dict[str, Any]) -> int:
        created = await self.api.post(
            email, "/api/v1/requests", {"type": request_type, "payload": payload}, 202
        )
        return int(created["id"])

    async def task(self, email: str, request_id: int, verb: str, **body: Any) -> Any:
        return await self.api.post(email, f"/api/v1/tasks/{request_id}/{verb}", body)

    async def customer(self, email: str, request_id: int, verb: str, **body: Any) -> Any:
        return await self.api.post(email, f"/api/v1/requests/{request_id}/{verb}", body)

    async def quote(self, email: str, request_id: int, verb: str, **body: Any) -> Any:
        return await self.api.post(email, f"/api/v1/quotes/{request_id}/{verb}", body)

    async def claimed_and_approved(self, email: str, request_id: int, **body: Any) -> Any:
        await self.task(email, request_id, "claim")
        return await self.task(email, request_id, "approve", **body)

    async def user_id(self, email: str) -> int:
        return int((await self.api.get(email, "/api/v1/me"))["id"])

    async def fast_forward_to(self, handle: WorkflowHandle[Any, Any], when: datetime) -> None:
        """Move the workflow's virtual clock to a minute past `when`."""
        now = await self.env.get_current_time(handle)
        await self.env.fast_forward(handle, max(when - now, timedelta(0)) + MINUTE)


async def settled(handle: WorkflowHandle[Any, Any]) -> None:
    """Until the workflow does nothing more by itself: no task or activity pending, and its
    history as long as a moment ago."""
    deadline = time.monotonic() + WAIT_SECONDS
    length = -1
    while time.monotonic() < deadline:
        description = await handle.describe()
        raw = description.raw_description
        busy = raw.HasField("pending_workflow_task") or len(raw.pending_activities) > 0
        if not busy and description.history_length == length:
            return
        length = description.history_length
        await asyncio.sleep(0.3)
    raise RecordingError(f"{handle.id} did not settle")


async def status_is(handle: WorkflowHandle[Any, RequestSnapshot], status: str) -> None:
    await _until(handle, lambda snapshot: snapshot.status == status, f"status {status}")


async def event_seen(handle: WorkflowHandle[Any, RequestSnapshot], event: str) -> None:
    await _until(
        handle, lambda snapshot: any(e.event == event for e in snapshot.timeline), f"{event}"
    )


async def _until(
    handle: WorkflowHandle[Any, RequestSnapshot],
    wanted: Callable[[RequestSnapshot], bool],
    what: str,
) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if wanted(await handle.query(RequestWorkflow.snapshot)):
            return
        await asyncio.sleep(0.1)
    raise RecordingError(f"{handle.id} never reached {what}")


async def closed(handle: WorkflowHandle[Any, RequestSnapshot], status: str) -> None:
    result = await asyncio.wait_for(handle.result(), WAIT_SECONDS)
    if result.status != status:
        raise RecordingError(f"{handle.id} ended {result.status}, expected {status}")


def end_of_day(iso_date: str) -> datetime:
    return datetime.fromisoformat(f"{iso_date[:10]}T23:59:59+00:00")


def start_of_day(iso_date: str) -> datetime:
    return datetime.fromisoformat(f"{iso_date[:10]}T00:00:00+00:00")


# -- the paths on the dev server -------------------------------------------------------------


async def first_purchase_order(run: Run) -> int:
    orders = (await run.api.get(ALICE, "/api/v1/purchase-orders"))["items"]
    return int(orders[0]["id"])


async def po_edit(run: Run, notes: str, api: Api | None = None) -> int:
    payload = {
        "purchase_order_id": await first_purchase_order(run),
        "changes": {"notes": notes},
        "reason": "The Lyon office receives the invoices now",
    }
    created = await (api or run.api).post(
        ALICE, "/api/v1/requests", {"type": "po_edit", "payload": payload}, 202
    )
    return int(created["id"])


async def po_edit_completed(run: Run) -> None:
    request_id = await po_edit(run, "Deliver to the Lyon office")
    await run.claimed_and_approved(TESS, request_id, comment="Matches the contract")
    await closed(run.request(request_id), "completed")
    await run.save("po_edit_approved_completed", run.request(request_id))


async def po_edit_rejected(run: Run) -> None:
    request_id = await po_edit(run, "Deliver to the moon")
    await run.task(TESS, request_id, "claim")
    await run.task(TESS, request_id, "reject", reason="We do not deliver there")
    await closed(run.request(request_id), "rejected")
    await run.save("po_edit_rejected", run.request(request_id))


async def po_edit_info(run: Run) -> None:
    request_id = await po_edit(run, "Deliver to the new office")
    await run.task(TESS, request_id, "claim")
    await run.task(TESS, request_id, "request-info", question="Which office?")
    await run.customer(ALICE, request_id, "provide-info", message="Lyon, 5 place Bellecour")
    await run.task(TESS, request_id, "approve", comment="Thanks")
    await closed(run.request(request_id), "completed")
    await run.save("po_edit_info_requested_provided_approved", run.request(request_id))


async def po_edit_cancelled(run: Run) -> None:
    request_id = await po_edit(run, "Sent by mistake")
    await run.task(TESS, request_id, "claim")
    await run.customer(ALICE, request_id, "cancel", reason="Sent by mistake")
    await closed(run.request(request_id), "cancelled")
    await run.save("po_edit_cancelled_by_customer", run.request(request_id))


async def po_edit_reassigned(run: Run) -> None:
    request_id = await po_edit(run, "Reassigned to Théo")
    await run.task(TESS, request_id, "claim")
    await run.task(SAM, request_id, "reassign", assignee=await run.user_id(THEO))
    await run.task(THEO, request_id, "approve", comment="Done while Tess is away")
    await closed(run.request(request_id), "completed")
    await run.save("po_edit_reassigned_approved", run.request(request_id))


async def po_edit_open(run: Run) -> None:
    request_id = await po_edit(run, "Claimed, never decided")
    await run.task(TESS, request_id, "claim")
    await status_is(run.request(request_id), "in_review")
    await run.save("po_edit_open_claimed", run.request(request_id))


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


@contextmanager
def revisions_refused(database: Database) -> Iterator[None]:
    """The database refuses every new purchase-order revision: the apply activity fails."""
    with database.engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TRIGGER refuse_revisions BEFORE INSERT ON purchase_order_revisions "
                "BEGIN SELECT RAISE(ABORT, 'database is unavailable'); END"
            )
        )
    try:
        yield
    finally:
        with database.engine.begin() as connection:
            connection.execute(sa.text("DROP TRIGGER IF EXISTS refuse_revisions"))


@contextmanager
def failures_expected() -> Iterator[None]:
    """The worker logs each failed attempt with its traceback: meant here, so not shown."""
    activity_log = logging.getLogger("temporalio.activity")
    level = activity_log.level
    activity_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        activity_log.setLevel(level)


async def po_edit_failed_retried(run: Run) -> None:
    with revisions_refused(run.database), failures_expected():
        request_id = await po_edit(run, "Applied at the second try", run.impatient_api)
        await run.claimed_and_approved(TESS, request_id)
        await status_is(run.request(request_id), "failed")
        await run.save("po_edit_failed_waiting_for_retry", run.request(request_id))
    await run.task(TESS, request_id, "retry")
    await closed(run.request(request_id), "completed")
    await run.save("po_edit_failed_retried_completed", run.request(request_id))


# -- the paths with timers, on the time-skipping dev server ----------------------------------


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


async def subscription_end(run: Run) -> None:
    held = (await run.api.get(PETER, "/api/v1/subscriptions"))["items"]
    webinar = next(item for item in held if item["plan"] == "GoToWebinar Standard")
    cancelled = await run.api.post(PETER, f"/api/v1/subscriptions/{webinar['id']}/cancel")
    ends_on = cancelled["next_billing_date"]
    handle = run.env.client.get_workflow_handle_for(
        SubscriptionEndWorkflow.run, end_workflow_id(webinar["id"], ends_on)
    )
    await settled(handle)
    await run.fast_forward_to(handle, start_of_day(ends_on))
    if await asyncio.wait_for(handle.result(), WAIT_SECONDS) is not True:
        raise RecordingError("the subscription was not ended")
    await run.save("subscription_end_pending_cancellation_ended", handle)


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


# -- the list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    time_skipping: bool
    run: Callable[[Run], Awaitable[None]]
    # The files it writes (without .json) and what each one covers.
    files: dict[str, str]


# In this order: Alice hands her role to Dana last of all.
SCENARIOS = (
    Scenario(
        "po_edit_completed",
        False,
        po_edit_completed,
        {"po_edit_approved_completed": "po_edit claimed, approved, applied: completed"},
    ),
    Scenario(
        "po_edit_rejected",
        False,
        po_edit_rejected,
        {"po_edit_rejected": "po_edit claimed then rejected with a reason"},
    ),
    Scenario(
        "po_edit_info",
        False,
        po_edit_info,
        {
            "po_edit_info_requested_provided_approved": (
                "po_edit: request_info, the contact's provide_info, approved: completed"
            )
        },
    ),
    Scenario(
        "po_edit_cancelled",
        False,
        po_edit_cancelled,
        {"po_edit_cancelled_by_customer": "po_edit claimed, then cancelled by the contact"},
    ),
    Scenario(
        "po_edit_reassigned",
        False,
        po_edit_reassigned,
        {
            "po_edit_reassigned_approved": (
                "po_edit claimed by Tess, reassigned by a supervisor to Théo, who approves"
            )
        },
    ),
    Scenario(
        "po_edit_open",
        False,
        po_edit_open,
        {"po_edit_open_claimed": "OPEN: po_edit claimed, never decided (SLA timer pending)"},
    ),
    Scenario(
        "quote_accepted",
        False,
        quote_accepted,
        {
            "quote_priced_waiting_for_answer": (
                "OPEN: quote priced with an override, waiting for the contact (reminder timer)"
            ),
            "quote_priced_accepted_completed": (
                "the same quote accepted with a PO number: purchase order created, completed"
            ),
        },
    ),
    Scenario(
        "quote_declined",
        False,
        quote_declined,
        {"quote_declined": "quote at list price, declined by the contact"},
    ),
    Scenario(
        "contact_change_four_eyes",
        False,
        contact_change_four_eyes,
        {
            "contact_change_by_technician_supervisor_approved": (
                "OPEN: contact_change a technician started for Globex, claimed and approved by "
                "a supervisor (four eyes): completed, waiting for the invitation's expiry"
            )
        },
    ),
    Scenario(
        "frequency_cancelled",
        False,
        frequency_cancelled,
        {
            "frequency_change_cancelled_while_scheduled": (
                "frequency_change approved (scheduled for the renewal), cancelled by the contact"
            )
        },
    ),
    Scenario(
        "form_request",
        False,
        form_request,
        {"form_request_w9_produced": "form_request (W-9) approved: the PDF produced, completed"},
    ),
    Scenario(
        "account_inquiry",
        False,
        account_inquiry,
        {"account_inquiry_answered": "account_inquiry answered (approved with the answer)"},
    ),
    Scenario(
        "subscription_change",
        False,
        subscription_change,
        {
            "subscription_change_approved_applied": (
                "subscription_change: Acme's billing-centre seat change, approved and applied"
            )
        },
    ),
    Scenario(
        "po_edit_failed_retried",
        False,
        po_edit_failed_retried,
        {
            "po_edit_failed_waiting_for_retry": (
                "OPEN: po_edit whose apply failed twice (the database refused it): failed, "
                "waiting up to 30 days for a technician's retry"
            ),
            "po_edit_failed_retried_completed": (
                "the same request retried by the technician once the database works: completed"
            ),
        },
    ),
    Scenario(
        "po_edit_sla",
        True,
        po_edit_sla,
        {
            "po_edit_sla_reminded_escalated_open": (
                "OPEN: po_edit nobody claims: SLA reminder after 8 h, escalation after 24 h"
            )
        },
    ),
    Scenario(
        "po_edit_info_expired",
        True,
        po_edit_info_expired,
        {
            "po_edit_info_unanswered_expired": (
                "po_edit waiting_for_customer, unanswered for 14 days: expired"
            )
        },
    ),
    Scenario(
        "quote_expired",
        True,
        quote_expired,
        {
            "quote_reminded_then_expired": (
                "quote priced, reminder 7 days before its expiry, then expired unanswered"
            )
        },
    ),
    Scenario(
        "quote_extended",
        True,
        quote_extended,
        {
            "quote_extended_then_accepted": (
                "quote reminded, extended by the technician (extend_quote), then accepted"
            )
        },
    ),
    Scenario(
        "frequency_applied",
        True,
        frequency_applied,
        {
            "frequency_change_scheduled_waiting": (
                "OPEN: frequency_change approved, scheduled, waiting for the renewal"
            ),
            "frequency_change_applied_at_renewal": (
                "the same request applied by its timer at the renewal date: completed"
            ),
        },
    ),
    Scenario(
        "subscription_end",
        True,
        subscription_end,
        {
            "subscription_end_pending_cancellation_ended": (
                "SubscriptionEndWorkflow: a cancelled Initech subscription ended at the end of "
                "its period"
            )
        },
    ),
    Scenario(
        "contact_change_invitation",
        True,
        contact_change_invitation,
        {
            "contact_change_by_contact_invitation_expired": (
                "contact_change by the contact, approved: completed, the invitation expired "
                "after 72 h"
            )
        },
    ),
)


# -- running ---------------------------------------------------------------------------------


def settings_for(database_url: str, address: str, data_dir: Path, attempts: int) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key="record-histories",
        temporal=TemporalSettings(address=address, task_queue=TASK_QUEUE),
        timers=TimerSettings(apply_attempts=attempts),
        base_url="http://127.0.0.1:5000",
        development=True,
        clock_shift=timedelta(0),
    )


async def start_server(time_skipping: bool) -> WorkflowEnvironment:
    if time_skipping:
        # Virtual time moves only when a path fast-forwards it, never on its own.
        return await WorkflowEnvironment.start_time_skipping_v2(
            ts_config=TimeSkippingConfig(enabled=False),
            dev_server_existing_path=temporal_binary(),
            dev_server_extra_args=[
                "--headless",
                "--dynamic-config-value",
                "frontend.WorkflowTimeSkippingEnabled=true",
                *dev_server_flags(),
            ],
        )
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=ALL_KEYS,
        dev_server_extra_args=["--headless"],
    )


async def run_on_one_server(
    scenarios: Sequence[Scenario],
    time_skipping: bool,
    database: Database,
    database_url: str,
    data_dir: Path,
    tokens: dict[str, str],
    histories: dict[str, str],
) -> None:
    env = await start_server(time_skipping)
    try:
        address = env.client.service_client.config.target_host
        settings = settings_for(database_url, address, data_dir, TimerSettings.apply_attempts)
        impatient = settings_for(database_url, address, data_dir, 2)
        bridge = temporal_bridge(settings.temporal)
        run = Run(
            env=env,
            api=Api(create_app(settings, database, bridge), tokens),
            impatient_api=Api(create_app(impatient, database, bridge), tokens),
            database=database,
            histories=histories,
        )
        worker_client = await portal_client(settings.temporal)
        async with build_worker(worker_client, database, TASK_QUEUE, settings):
            for scenario in scenarios:
                started = time.monotonic()
                await scenario.run(run)
                missing = set(scenario.files) - set(histories)
                if missing:
                    raise RecordingError(f"{scenario.name} did not save {sorted(missing)}")
                print(f"  {scenario.name}: {time.monotonic() - started:.1f} s", flush=True)
    finally:
        await env.shutdown()


async def record(scenarios: Sequence[Scenario]) -> dict[str, str]:
    histories: dict[str, str] = {}
    tokens: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="record-histories-") as tmp:
        data_dir = Path(tmp)
        database_url = f"sqlite:///{data_dir / 'portal.db'}"
        upgrade(database_url)
        database = Database(database_url)
        try:
            with database.session() as session:
                seed_demo(session)
            for time_skipping in (False, True):
                chosen = [s for s in scenarios if s.time_skipping == time_skipping]
                if chosen:
                    server = "time-skipping dev server" if time_skipping else "dev server"
                    print(f"{server}:", flush=True)
                    await run_on_one_server(
                        chosen, time_skipping, database, database_url, data_dir, tokens, histories
                    )
        finally:
            database.dispose()
    return histories


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="scenarios to record (default: all): " + ", ".join(s.name for s in SCENARIOS),
    )
    names = parser.parse_args(argv).names
    unknown = set(names) - {s.name for s in SCENARIOS}
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    scenarios = [s for s in SCENARIOS if not names or s.name in names]
    started = time.monotonic()
    histories = asyncio.run(record(scenarios))
    for scenario in scenarios:
        for name, covers in scenario.files.items():
            (HERE / f"{name}.json").write_text(histories[name] + "\n", encoding="utf-8")
            print(f"tests/replay/{name}.json: {covers}")
    print(
        f"{len(histories)} histories recorded in {time.monotonic() - started:.0f} s "
        f"({datetime.now(UTC):%Y-%m-%d})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
