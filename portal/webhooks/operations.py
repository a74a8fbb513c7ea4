"""Webhooks of an account: endpoints registered for some events, and the deliveries queued in
the same transaction as the change they tell of (a workflow delivers each, retrying for three
days: workflows/webhook_workflow.py). Deliveries are signed `X-Portal-Signature:
t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` with the endpoint's secret."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import uuid
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.db import row_id
from portal.errors import Forbidden, NotFound, ValidationFailed
from portal.i18n import _l
from portal.models import User, WebhookDelivery, WebhookEndpoint

# `subscription.updated` (DESIGN §8) is not told yet: refused until it is, rather than
# accepted and never sent.
EVENTS = (
    "request.updated",
    "invoice.created",
    "payment.succeeded",
    "payment.failed",
)
MAX_ENDPOINTS = 10


def _contact_account(user: User) -> int:
    if not user.is_billing_contact or user.account_id is None:
        raise Forbidden(str(_l("Only the account's billing contact can manage webhooks.")))
    return user.account_id


def check_url(url: object, development: bool) -> str:
    """The endpoint's URL, or a 400: https outside development, never an address of ours or of
    a private network (the portal would call into its own network); in development
    http://127.0.0.1 works, so a receiver on the same machine can be tried."""
    message = str(_l("An https URL of a public host (http://127.0.0.1 too, in development)."))
    if not isinstance(url, str) or len(url) > 500:
        raise ValidationFailed(message, {"url": message})
    parts = urlsplit(url.strip())
    if not parts.hostname or parts.username or parts.password:
        raise ValidationFailed(message, {"url": message})
    if (
        development
        and parts.scheme in ("http", "https")
        and parts.hostname in ("127.0.0.1", "localhost")
    ):
        return url.strip()
    if parts.scheme != "https":
        raise ValidationFailed(message, {"url": message})
    try:
        found = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (OSError, UnicodeError):
        raise ValidationFailed(message, {"url": message}) from None
    for address in found:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if not ip.is_global:
            raise ValidationFailed(message, {"url": message})
    return url.strip()


def register(
    session: orm.Session, user: User, url: object, events: object, development: bool
) -> WebhookEndpoint:
    account_id = _contact_account(user)
    checked = check_url(url, development)
    if (
        not isinstance(events, list)
        or not events
        or not all(isinstance(event, str) and event in EVENTS for event in events)
    ):
        message = str(_l("One or more of: %(events)s.", events=", ".join(EVENTS)))
        raise ValidationFailed(message, {"events": message})
    count = session.scalar(
        sa.select(sa.func.count(WebhookEndpoint.id)).where(WebhookEndpoint.account_id == account_id)
    )
    if (count or 0) >= MAX_ENDPOINTS:
        message = str(_l("At most %(n)d endpoints.", n=MAX_ENDPOINTS))
        raise ValidationFailed(message, {"url": message})
    endpoint = WebhookEndpoint(
        account_id=account_id,
        url=checked,
        events=sorted(set(events)),
        secret=secrets.token_hex(32),
    )
    session.add(endpoint)
    session.commit()
    return endpoint


def endpoints_of(session: orm.Session, user: User) -> list[WebhookEndpoint]:
    account_id = _contact_account(user)
    return list(
        session.scalars(
            sa.select(WebhookEndpoint)
            .where(WebhookEndpoint.account_id == account_id)
            .order_by(WebhookEndpoint.id)
        )
    )


def endpoint_of(session: orm.Session, user: User, endpoint_id: Any) -> WebhookEndpoint:
    found = session.get(WebhookEndpoint, row_id(endpoint_id) or 0)
    if found is None or found.account_id != _contact_account(user):
        raise NotFound(str(_l("No such webhook endpoint.")))
    return found


def set_enabled(
    session: orm.Session, user: User, endpoint_id: Any, enabled: object
) -> WebhookEndpoint:
    if not isinstance(enabled, bool):
        message = str(_l("true or false."))
        raise ValidationFailed(message, {"enabled": message})
    endpoint = endpoint_of(session, user, endpoint_id)
    endpoint.enabled = enabled
    session.commit()
    return endpoint


def deliveries_of(session: orm.Session, endpoint: WebhookEndpoint) -> sa.Select[WebhookDelivery]:
    return sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)


def emit(session: orm.Session, account_id: int, event: str, data: dict[str, Any]) -> int:
    """Queue `event` for every enabled endpoint of the account that listens to it, in the
    caller's transaction: told if and only if the change is committed."""
    assert event in EVENTS, event
    endpoints = session.scalars(
        sa.select(WebhookEndpoint).where(
            WebhookEndpoint.account_id == account_id, WebhookEndpoint.enabled.is_(True)
        )
    ).all()
    queued = 0
    for endpoint in endpoints:
        if event not in endpoint.events:
            continue
        key = uuid.uuid4().hex
        payload = {
            "id": key,
            "event": event,
            "created_at": clock.now().isoformat(),
            "data": data,
        }
        session.add(
            WebhookDelivery(endpoint_id=endpoint.id, delivery_key=key, event=event, payload=payload)
        )
        queued += 1
    return queued


def emit_request_updated(
    session: orm.Session,
    account_id: int,
    request_id: int,
    request_type: str,
    status: str,
    version: int,
) -> int:
    """`request.updated`, the same data whether the portal or a workflow's projection wrote it."""
    data = {"id": request_id, "type": request_type, "status": status, "version": version}
    return emit(session, account_id, "request.updated", data)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
