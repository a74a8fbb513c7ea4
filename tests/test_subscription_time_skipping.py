"""A subscription's workflow on the time-skipping dev server (start_time_skipping_v2), with the
real worker and activities writing to the database: its timers are skipped, not waited for.
The same paths through the sandbox clock are in tests/test_renewals.py. And a worker that dies
in the middle of a renewal, on a local dev server of its own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.worker import build_worker
from portal import clock
from portal.billing_centre.payments import ChargeResult, SandboxProcessor
from portal.billing_centre.proration import next_period_end
from portal.billing_centre.timers import subscription_input
from portal.config import TimerSettings
from portal.db import Database
from portal.devserver import temporal_binary
from portal.gateway import keep_subscription
from portal.models import Account, Invoice, OutboxMessage, Payment, PaymentMethod, Subscription
from tests.support import initech_business, time_skipping_server
from workflows.search import dev_server_flags
from workflows.subscription_workflow import SubscriptionWorkflow, subscription_workflow_id

pytestmark = pytest.mark.dates
QUEUE = "subscriptions-skipping"


def renewals(database: Database, subscription_id: int) -> list[Invoice]:
    with database.session() as session:
        found = session.scalars(
            sa.select(Invoice)
            .where(Invoice.subscription_id == subscription_id, Invoice.kind == "renewal")
            .order_by(Invoice.issued_on)
        ).all()
        for invoice in found:
            session.expunge(invoice)
        return list(found)


async def eventually(check: Callable[[], Any], what: str, timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def skipping(
    database: Database,
    scenario: Callable[[WorkflowEnvironment], Awaitable[None]],
) -> None:
    """`scenario` on a time-skipping server of its own, with a worker."""
    env = await time_skipping_server()
    try:
        async with build_worker(env.client, database, QUEUE):
            await scenario(env)
    finally:
        await env.shutdown()


async def forward(env: WorkflowEnvironment, handle: WorkflowHandle[Any, Any], days: int) -> None:
    result = env.fast_forward(handle, timedelta(days=days))
    if asyncio.iscoroutine(result):
        await result


async def follow(env: WorkflowEnvironment, database: Database, subscription_id: int) -> Any:
    with database.session() as session:
        subscription = session.get(Subscription, subscription_id)
        assert subscription is not None
        start = subscription_input(session, subscription, TimerSettings())
    await keep_subscription(env.client, QUEUE, start)  # the worker's sweep may be first
    return env.client.get_workflow_handle_for(
        SubscriptionWorkflow.run, subscription_workflow_id(subscription_id)
    )


def test_a_year_of_monthly_renewals_with_skipped_timers(database: Database, demo: None) -> None:
    business = initech_business(database)
    dates = [business.next_billing_date]
    while len(dates) < 12:
        dates.append(next_period_end(dates[-1], "monthly"))

    async def scenario(env: WorkflowEnvironment) -> None:
        handle = await follow(env, database, business.id)
        for count, due in enumerate(dates, start=1):
            days = (due - (dates[count - 2] if count > 1 else clock.today())).days
            await forward(env, handle, max(days, 1) + 1)
            await eventually(
                lambda count=count: len(renewals(database, business.id)) >= count,
                f"renewal {count} on {due}",
            )
            assert len(renewals(database, business.id)) == count, "one renewal a period"

    asyncio.run(skipping(database, scenario))

    renewed = renewals(database, business.id)
    assert [invoice.issued_on for invoice in renewed] == dates
    assert {invoice.total for invoice in renewed} == {Decimal("160.00")}
    assert all(invoice.status == "paid" for invoice in renewed)
    with database.session() as session:
        payments = session.scalars(
            sa.select(Payment).where(Payment.invoice_id.in_([i.id for i in renewed]))
        ).all()
        assert len(payments) == 12 and all(p.status == "succeeded" for p in payments)
    assert initech_business(database).next_billing_date == next_period_end(dates[-1], "monthly")


class LostAnswers(SandboxProcessor):
    """The processor as a dying worker sees it: the first charge goes through but its answer
    never comes back, and nothing answers after that."""

    def __init__(self) -> None:
        self.lost = threading.Event()

    def charge(
        self,
        token: str,
        amount: Decimal,
        currency: str,
        description: str,
        idempotency_key: str | None = None,
    ) -> ChargeResult:
        if not self.lost.is_set():
            super().charge(token, amount, currency, description, idempotency_key)
            self.lost.set()
        raise ConnectionError("the processor's answer was lost")


def test_a_worker_restarted_in_the_middle_of_a_renewal_charges_once(
    database: Database, demo: None
) -> None:
    business = initech_business(database)
    with database.session() as session:
        # The account's sandbox clock at the renewal date: the workflow renews as it starts.
        account = session.get(Account, business.account_id)
        assert account is not None
        account.clock_shift_seconds = (business.next_billing_date - clock.today()).days * 86400
    dying = LostAnswers()
    charged_before = len(SandboxProcessor.charges)

    async def scenario() -> None:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_binary(),
            dev_server_extra_args=["--headless", *dev_server_flags()],
        )
        try:
            async with build_worker(env.client, database, QUEUE, processor=dying):
                await follow(env, database, business.id)
                await eventually(dying.lost.is_set, "the first charge")
            # That worker is gone; the renewal's activity is retried on the next one.
            async with build_worker(env.client, database, QUEUE):
                await eventually(lambda: len(renewals(database, business.id)) == 1, "renewal")
        finally:
            await env.shutdown()

    asyncio.run(scenario())

    [renewal] = renewals(database, business.id)
    assert renewal.status == "paid" and renewal.issued_on == business.next_billing_date
    with database.session() as session:
        payments = session.scalars(sa.select(Payment).where(Payment.invoice_id == renewal.id)).all()
    assert [payment.status for payment in payments] == ["succeeded"]
    key = f"renewal-{business.id}-{business.next_billing_date.isoformat()}:"
    charged = [c for c in SandboxProcessor.charges[charged_before:] if (c[0] or "").startswith(key)]
    assert len(charged) == 1, "the processor charged the card once"


def test_a_declined_renewal_is_reminded_then_expires_with_skipped_timers(
    database: Database, demo: None
) -> None:
    business = initech_business(database)
    with database.session() as session:
        # Saved, then declines every charge (the sandbox's 4000 0000 0000 0341).
        card = session.scalar(
            sa.select(PaymentMethod).where(PaymentMethod.account_id == business.account_id)
        )
        assert card is not None
        card.processor_token = "tok_card_declined_0341"
    due = business.next_billing_date

    def status() -> str:
        return initech_business(database).status

    def subjects() -> list[str]:
        with database.session() as session:
            return list(
                session.scalars(
                    sa.select(OutboxMessage.subject)
                    .where(OutboxMessage.recipient_email == "peter@initech.example")
                    .order_by(OutboxMessage.id)
                )
            )

    async def scenario(env: WorkflowEnvironment) -> None:
        handle = await follow(env, database, business.id)
        await forward(env, handle, (due - clock.today()).days + 1)
        await eventually(lambda: status() == "past_due", "past due")
        await forward(env, handle, 7)  # reminders on days 1, 3 and 7
        await eventually(lambda: sum(s.startswith("Reminder") for s in subjects()) == 3, "3")
        assert status() == "past_due"
        await forward(env, handle, 8)  # the grace period (14 days) is over
        await eventually(lambda: status() == "expired", "expired")

    asyncio.run(skipping(database, scenario))

    renewals_ = renewals(database, business.id)
    assert [(invoice.issued_on, invoice.status) for invoice in renewals_] == [(due, "void")]
    sent = [s.split(":")[0].split(" ")[0] for s in subjects()]
    assert sent.count("Payment") == 1 and sent.count("Reminder") == 3
    assert any("expired" in subject.lower() for subject in subjects())
