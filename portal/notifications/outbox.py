"""Queueing an event's mail: one outbox row per reader, in the transaction that records the
event (the projection's); delivery.py sends them apart."""

from __future__ import annotations

import os

import sqlalchemy as sa
from sqlalchemy import orm

from portal.billing_requests.events import EVENTS, event_of
from portal.config import Settings
from portal.models import BillingRequest, OutboxMessage
from portal.notifications.compose import Composer
from portal.notifications.recipients import addressees
from workflows.messages import QueueNotificationInput


def configured_base_url() -> str:
    # The worker's activities may not hand their settings down; read the same variable.
    return os.environ.get("PORTAL_BASE_URL", "").strip().rstrip("/") or Settings.base_url


def queue_notification(
    session: orm.Session, notification: QueueNotificationInput, base_url: str | None = None
) -> int:
    """Queue the event's mail for whoever it tells, each in their language; a retry of the same
    notification queues nothing new. `base_url` (Settings.base_url) starts the links."""
    event = event_of(notification.event)
    request = session.get(BillingRequest, notification.request_id)
    if event is None or request is None:
        return 0
    audience = EVENTS[event].tells
    if audience is None:
        return 0
    composer = Composer(session, request, notification, event, base_url or configured_base_url())
    queued = 0
    for to in addressees(session, request, notification, audience):
        key = f"{request.id}:{request.version}:{event}:{to.key}"
        exists = session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedup_key == key))
        if exists is not None:
            continue
        subject, body = composer.compose(to)
        session.add(
            OutboxMessage(
                request_id=request.id,
                recipient_email=to.email,
                subject=subject,
                body=body,
                dedup_key=key,
            )
        )
        queued += 1
    return queued
