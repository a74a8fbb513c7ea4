"""A receiver that stays down: its delivery is retried with backoff for three days of
(skipped) time, then given up and listed as failed with every attempt counted."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa

from activities.worker import build_worker
from portal import clock
from portal.db import Database
from portal.models import Account, WebhookDelivery, WebhookEndpoint
from tests.conftest import free_port
from tests.support import time_skipping_server
from workflows.webhook_workflow import (
    DeliverWebhookInput,
    WebhookDeliveryWorkflow,
    workflow_id_of_delivery,
)

QUEUE = "webhook-give-up"


def test_a_receiver_down_for_three_days_is_given_up(database: Database, demo: None) -> None:
    nobody = free_port()  # nothing listens there: every attempt is refused
    with database.session() as session:
        acme = session.scalar(sa.select(Account.id).where(Account.name == "Acme Corporation"))
        assert acme is not None
        endpoint = WebhookEndpoint(
            account_id=acme,
            url=f"http://127.0.0.1:{nobody}/hooks",
            events=["request.updated"],
            secret="s" * 64,
        )
        session.add(endpoint)
        session.flush()
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id,
            delivery_key="give-up-test",
            event="request.updated",
            payload={"event": "request.updated", "data": {}},
            # Started here, on the time-skipping server: no dispatcher of another test's
            # worker (they share the database) may take it to the shared server.
            dispatched_at=clock.now(),
        )
        session.add(delivery)
        session.flush()
        delivery_id = delivery.id

    async def scenario() -> str:
        env = await time_skipping_server()
        try:
            async with build_worker(env.client, database, QUEUE):
                handle = await env.client.start_workflow(
                    WebhookDeliveryWorkflow.run,
                    DeliverWebhookInput(delivery_id, first_retry_seconds=10),
                    id=workflow_id_of_delivery("give-up-test"),
                    task_queue=QUEUE,
                )
                for _ in range(80):
                    forwarded = env.fast_forward(handle, timedelta(hours=1))
                    if asyncio.iscoroutine(forwarded):
                        await forwarded
                    with database.session() as session:
                        if session.get(WebhookDelivery, delivery_id).status == "failed":  # type: ignore[union-attr]
                            break
                return str(await asyncio.wait_for(handle.result(), timeout=60))
        finally:
            await env.shutdown()

    assert asyncio.run(scenario()) == "failed"
    with database.session() as session:
        given_up = session.get(WebhookDelivery, delivery_id)
        assert given_up is not None
        assert given_up.status == "failed" and given_up.delivered_at is None
        # 10 s, then doubling up to hourly, for three days: tens of attempts, not hundreds.
        assert 10 < given_up.attempts < 150, given_up.attempts
        assert given_up.last_error and "refused" in given_up.last_error.lower()
