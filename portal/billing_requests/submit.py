"""Submitting a request: the row and its workflow, both or neither."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc, orm

from portal import clock
from portal.billing_centre.writes import KeyReused, fingerprint
from portal.billing_requests.kinds import kind_of
from portal.billing_requests.kinds.base import RequestKind
from portal.billing_requests.queries import actor_for
from portal.config import TimerSettings
from portal.db import row_id
from portal.errors import Forbidden, ServiceUnavailable, ValidationFailed
from portal.gateway import TemporalBridge, start_request, terminate_request
from portal.i18n import _l
from portal.models import Account, BillingRequest, User
from portal.webhooks.operations import emit_request_updated
from workflows.lifecycle import Role
from workflows.messages import RequestTimers, StartRequestInput

log = logging.getLogger(__name__)


def submit_request(
    session: orm.Session,
    bridge: TemporalBridge,
    timers: TimerSettings,
    user: User,
    request_type: Any,
    payload: Any,
    idempotency_key: str | None = None,
) -> BillingRequest:
    """Store the request and start its workflow, both or neither."""
    check_may_submit(session, user)
    kind = kind_of(request_type) if isinstance(request_type, str) else None
    if kind is None:
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"type": str(_l("Unknown request type."))},
        )
    if not isinstance(payload, dict):
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"payload": str(_l("Must be an object."))},
        )
    account = _requesting_account(session, user, kind, payload)
    if idempotency_key is not None and (
        not isinstance(idempotency_key, str) or len(idempotency_key) > 100
    ):
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"idempotency_key": str(_l("At most 100 characters."))},
        )
    sent = fingerprint("request", request_type, payload)
    if idempotency_key:
        # Before the rules: sent again after it was applied, it answers what it answered then.
        existing = _by_idempotency_key(session, user, idempotency_key)
        if existing is not None:
            return _same_request(existing, sent)
    clean_payload = kind.validate(session, account.id, payload)
    request = BillingRequest(
        account_id=account.id,
        requester_id=user.id,
        type=request_type,
        status="submitted",
        payload=clean_payload,
        snapshot=kind.snapshot(session, account.id, clean_payload),
        idempotency_key=idempotency_key or None,
        idempotency_fingerprint=sent if idempotency_key else None,
        timeline=[],
    )
    session.add(request)
    try:
        session.flush()
    except exc.IntegrityError:
        session.rollback()
        existing = _by_idempotency_key(session, user, idempotency_key or "")
        if existing is None:
            raise
        return _same_request(existing, sent)
    start = StartRequestInput(
        request_id=request.id,
        request_type=request.type,
        account_id=account.id,
        requester=actor_for(user),
        payload=clean_payload,
        submitted_at=request.created_at.isoformat(),
        timers=RequestTimers(
            review_sla_seconds=timers.review_sla,
            escalation_sla_seconds=timers.escalation_sla,
            info_timeout_seconds=timers.info_timeout,
            quote_reminder_seconds=timers.quote_reminder,
            invitation_seconds=timers.invitation,
            apply_max_attempts=timers.apply_attempts,
        ),
        started_by_staff=user.is_staff,
        prepares_approval=kind.prepares_approval,
        clock_shift_seconds=clock.shift_seconds(),
    )
    request.timeline = [_event_dict(start)]
    emit_request_updated(
        session, account.id, request.id, request.type, request.status, request.version
    )
    try:
        start_request(bridge, start)
    except ServiceUnavailable:
        session.rollback()
        raise
    try:
        session.commit()
    except Exception:
        # The row is gone, so its workflow must go too: never one without the other.
        terminate_request(bridge, request.id, "request row not stored")
        raise
    log.info("request submitted", extra={"billing_request": request.id, "type": request.type})
    return request


def _event_dict(start: StartRequestInput) -> dict[str, Any]:
    return {
        "at": start.submitted_at,
        "actor_id": start.requester.user_id,
        "actor_name": start.requester.name,
        "event": "submitted",
        "note": str(start.payload.get("reason", "")),
    }


def check_may_submit(session: orm.Session, user: User) -> None:
    """Who may submit at all, decided before anything sent is looked at: staff (for the kinds
    they may start) and a Corporate account's billing contact."""
    if not user.is_staff:
        _own_corporate_account(session, user)


def _requesting_account(
    session: orm.Session, user: User, kind: RequestKind, payload: dict[str, Any]
) -> Account:
    """The account a request is for: the contact's own, or the one a technician names."""
    if user.is_staff and kind.staff_may_start:
        account_id = payload.get("account_id")
        wanted = row_id(account_id) if isinstance(account_id, int) else None
        account = session.get(Account, wanted) if wanted is not None else None
        if account is None or account.kind != "corporate":
            raise ValidationFailed(
                str(_l("Please correct the highlighted fields.")),
                {"account_id": str(_l("Choose a Corporate account."))},
            )
        return account
    return _own_corporate_account(session, user)


def _own_corporate_account(session: orm.Session, user: User) -> Account:
    if user.role != Role.BILLING_CONTACT or user.account_id is None:
        raise Forbidden(str(_l("Only the account's billing contact can submit billing requests.")))
    account = session.get(Account, user.account_id)
    if account is None or account.kind != "corporate":
        raise Forbidden(str(_l("Requests to technicians are for Corporate accounts.")))
    return account


def _same_request(existing: BillingRequest, sent: str) -> BillingRequest:
    """The request first sent under a key, if this is the same body again (Stripe's rule)."""
    if existing.idempotency_fingerprint not in (None, sent):
        message = _l("This idempotency key was used for another request; use a new key.")
        raise KeyReused(str(message), {"idempotency_key": str(message)})
    return existing


def _by_idempotency_key(session: orm.Session, user: User, key: str) -> BillingRequest | None:
    return session.scalar(
        sa.select(BillingRequest).where(
            BillingRequest.requester_id == user.id, BillingRequest.idempotency_key == key
        )
    )
