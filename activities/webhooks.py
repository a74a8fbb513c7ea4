"""The HTTP of a webhook delivery and its bookkeeping (workflows/webhook_workflow.py)."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from urllib.parse import urlsplit

from temporalio import activity
from temporalio.exceptions import ApplicationError

from portal import clock
from portal.db import Database
from portal.errors import ValidationFailed
from portal.models import WebhookDelivery
from portal.webhooks.operations import address_to_call, body_of, signature
from workflows.webhook_workflow import DELIVER_WEBHOOK, GIVE_UP_WEBHOOK

TIMEOUT_SECONDS = 10


class WebhookActivities:
    def __init__(self, database: Database, development: bool) -> None:
        self.database, self.development = database, development

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
        try:
            address: str | None = address_to_call(url, self.development)
        except ValidationFailed:
            address = None
        status, error = (
            _post(url, address, body, headers)
            if address is not None
            else (None, "the address is no longer allowed")
        )
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


def _post(
    url: str, address: str, body: bytes, headers: dict[str, str]
) -> tuple[int | None, str | None]:
    """POST to `address`, the one checked, with `url`'s host name for TLS and Host."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(host, address, parts.port or 443)
        if parts.scheme == "https"
        else _PinnedHTTPConnection(host, address, parts.port or 80)
    )
    try:
        connection.request("POST", path, body=body, headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as failed:
        return None, str(failed)[:300] or type(failed).__name__
    finally:
        connection.close()
    return status, None if 200 <= status < 300 else f"HTTP {status}"


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int) -> None:
        super().__init__(host, port, timeout=TIMEOUT_SECONDS)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, address: str, port: int) -> None:
        super().__init__(host, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]
