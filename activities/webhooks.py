"""The HTTP of a webhook delivery and its bookkeeping (workflows/webhook_workflow.py)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

from temporalio import activity
from temporalio.exceptions import ApplicationError

from portal import clock
from portal.db import Database
from portal.models import WebhookDelivery
from portal.webhooks.operations import body_of, signature
from workflows.webhook_workflow import DELIVER_WEBHOOK, GIVE_UP_WEBHOOK

TIMEOUT_SECONDS = 10


class WebhookActivities:
    def __init__(self, database: Database) -> None:
        self.database = database

    @activity.defn(name=DELIVER_WEBHOOK)
    def deliver(self, delivery_id: int) -> None:
        """One attempt: a 2xx answer delivers; anything else raises, and the workflow retries."""
        with self.database.session() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            if delivery is None or delivery.status == "delivered":
                return
            endpoint = delivery.endpoint
            if not endpoint.enabled:
                raise ApplicationError("the endpoint is disabled", non_retryable=True)
            body, url = body_of(delivery), endpoint.url
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "CorporateBillingPortal-Webhooks/1",
                "X-Portal-Delivery": delivery.delivery_key,
                "X-Portal-Event": delivery.event,
                "X-Portal-Signature": signature(endpoint.secret, body, int(time.time())),
            }
            delivery.attempts += 1  # committed as the block ends, before the call
        status, error = _post(url, body, headers)
        with self.database.session() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            assert delivery is not None
            delivery.last_status_code, delivery.last_error = status, error
            if status is not None and 200 <= status < 300:
                delivery.status, delivery.delivered_at = "delivered", clock.now()
        if not (status is not None and 200 <= status < 300):
            raise ApplicationError(f"the receiver answered {status or error}")

    @activity.defn(name=GIVE_UP_WEBHOOK)
    def give_up(self, delivery_id: int) -> None:
        with self.database.session() as session:
            delivery = session.get(WebhookDelivery, delivery_id)
            if delivery is not None and delivery.status != "delivered":
                delivery.status = "failed"

    def all(self) -> list[object]:
        return [self.deliver, self.give_up]


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
    call = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(call, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            return int(answer.status), None
    except urllib.error.HTTPError as refused:
        return refused.code, f"HTTP {refused.code}"
    except (urllib.error.URLError, OSError) as failed:
        return None, str(failed)[:300]
