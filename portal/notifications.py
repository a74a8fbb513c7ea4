"""Who is told what about a request; messages wait in the outbox until delivery sends them."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import orm

from portal.billing_requests.types import EVENT_LABELS, kind_of
from portal.models import BillingRequest, OutboxMessage, User
from workflows.lifecycle import Role
from workflows.messages import Audience, QueueNotificationInput

SUBJECTS = {
    "info_requested": _l("A technician has a question about request #%(id)d"),
    "info_provided": _l("The customer answered on request #%(id)d"),
    "rejected": _l("Request #%(id)d was rejected"),
    "completed": _l("Request #%(id)d is complete"),
    "failed": _l("Request #%(id)d could not be applied"),
    "expired": _l("Request #%(id)d was closed without an answer"),
    "assigned": _l("Request #%(id)d is assigned to you"),
    "sla_reminder": _l("Reminder: request #%(id)d is waiting for review"),
    "escalated": _l("Escalation: request #%(id)d is overdue"),
}


def recipients(session: orm.Session, request: BillingRequest, audience: str) -> list[User]:
    if audience == Audience.REQUESTER:
        return [request.requester]
    if audience == Audience.ASSIGNEE:
        if request.assignee is not None:
            return [request.assignee]
        # Nobody has claimed it yet: every technician should hear of it.
        audience_roles = [Role.TECHNICIAN]
    else:
        audience_roles = [Role.SUPERVISOR]
    query = sa.select(User).where(User.role.in_(audience_roles), User.active).order_by(User.id)
    return list(session.scalars(query))


def queue_notification(session: orm.Session, notification: QueueNotificationInput) -> int:
    """Queue one message per recipient; a retry of the same notification queues nothing new."""
    request = session.get(BillingRequest, notification.request_id)
    if request is None:
        return 0
    kind = kind_of(request.type)
    subject = str(
        SUBJECTS.get(notification.event, EVENT_LABELS.get(notification.event, ""))
        % {"id": request.id}
    )
    label = str(kind.label) if kind else request.type
    body_lines = [
        str(
            _l(
                "Request #%(id)d (%(type)s) for %(account)s.",
                id=request.id,
                type=label,
                account=request.account.name,
            )
        ),
        str(EVENT_LABELS.get(notification.event, notification.event)),
    ]
    if notification.note:
        body_lines += ["", notification.note]
    queued = 0
    for user in recipients(session, request, notification.audience):
        key = f"{request.id}:{request.version}:{notification.event}:{user.id}"
        exists = session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedup_key == key))
        if exists is None:
            session.add(
                OutboxMessage(
                    request_id=request.id,
                    recipient_email=user.email,
                    subject=subject,
                    body="\n".join(body_lines),
                    dedup_key=key,
                )
            )
            queued += 1
    return queued
