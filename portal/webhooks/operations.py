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
from portal.models import Subscription, User, WebhookDelivery, WebhookEndpoint

EVENTS = (
    "request.updated",
    "invoice.created",
    "payment.succeeded",
    "payment.failed",
    "subscription.updated",
)
MAX_ENDPOINTS = 10


def contact_account(user: User) -> int:
    if not user.is_billing_contact or user.account_id is None:
        raise Forbidden(str(_l("Only the account's billing contact can manage webhooks.")))
    return user.account_id


def check_url(url: object, development: bool) -> str:
    """The endpoint's URL, or a 400 (see `address_to_call`)."""
    if not isinstance(url, str):
        message = str(_l("An https URL of a public host (http://127.0.0.1 too, in development)."))
        raise ValidationFailed(message, {"url": message})
    address_to_call(url, development)
    return url.strip()


def address_to_call(url: str, development: bool) -> str:
    """The one address a call to `url` may go to, or a 400: https outside development, never
    an address of ours or of a private network (the portal would call into its own network); in
    development http://127.0.0.1 works, so a receiver on the same machine can be tried. Asked at
    registration and again at each delivery, which then connects to this very address: a name
    that resolves elsewhere later (DNS rebinding) does not take a delivery inside."""
    message = str(_l("An https URL of a public host (http://127.0.0.1 too, in development)."))
    if len(url) > 500:
        raise ValidationFailed(message, {"url": message})
    parts = urlsplit(url.strip())
    if not parts.hostname or parts.username or parts.password:
        raise ValidationFailed(message, {"url": message})
    if (
        development
        and parts.scheme in ("http", "https")
        and parts.hostname in ("127.0.0.1", "localhost")
    ):
        return "127.0.0.1"
    if parts.scheme != "https":
        raise ValidationFailed(message, {"url": message})
    try:
        found = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except (OSError, UnicodeError, ValueError):
        raise ValidationFailed(message, {"url": message}) from None
    addresses = sorted(str(address).split("%")[0] for address in found)
    if not addresses or not all(ipaddress.ip_address(a).is_global for a in addresses):
        raise ValidationFailed(message, {"url": message})
    return addresses[0]


def register(
    session: orm.Session, user: User, url: object, events: object, development: bool
) -> WebhookEndpoint:
    account_id = contact_account(user)
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


def endpoints_query(user: User) -> sa.Select[WebhookEndpoint]:
    return sa.select(WebhookEndpoint).where(WebhookEndpoint.account_id == contact_account(user))


def endpoint_of(session: orm.Session, user: User, endpoint_id: Any) -> WebhookEndpoint:
    found = session.get(WebhookEndpoint, row_id(endpoint_id) or 0)
    if found is None or found.account_id != contact_account(user):
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


# What an integrator follows of a subscription; a write that changes none of these (its
# updated_at alone) tells nothing.
TOLD_OF_SUBSCRIPTIONS = (
    "plan_id",
    "seats",
    "period",
    "next_period",
    "status",
    "next_billing_date",
)


@sa.event.listens_for(orm.Session, "after_flush")
def _note_changed_subscriptions(session: orm.Session, _context: Any) -> None:
    """Every writer of subscriptions (the billing centre, renewals, an approved request)
    flushes through here: what they changed is told in their own transaction."""
    changed = [
        item
        for item in (*session.new, *session.dirty)
        if isinstance(item, Subscription)
        and (
            item in session.new
            or any(
                sa.inspect(item).attrs[name].history.has_changes() for name in TOLD_OF_SUBSCRIPTIONS
            )
        )
    ]
    if changed:
        session.info.setdefault("subscriptions_to_tell", []).extend(changed)


@sa.event.listens_for(orm.Session, "after_flush_postexec")
def _tell_changed_subscriptions(session: orm.Session, _context: Any) -> None:
    # Added here, the deliveries go in the flush that commit makes next.
    for subscription in dict.fromkeys(session.info.pop("subscriptions_to_tell", [])):
        emit(
            session,
            subscription.account_id,
            "subscription.updated",
            subscription_data(subscription),
        )


def subscription_data(subscription: Subscription) -> dict[str, Any]:
    return {
        "id": subscription.id,
        "status": subscription.status,
        "plan": subscription.plan.name,
        "seats": subscription.seats,
        "period": subscription.period,
        "next_period": subscription.next_period or subscription.period,
        "next_billing_date": subscription.next_billing_date.isoformat(),
    }
