"""A new billing contact's set-password link after the change that named them: where it stands
(for the task page) and a new one, sent by a technician when the first expired or was lost,
so that no account is left with a billing contact who cannot sign in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.billing_requests.kinds.contact_change import issue_invitation, tell
from portal.billing_requests.queries import get_request
from portal.config import Settings
from portal.db import row_id
from portal.errors import Conflict, NotFound
from portal.i18n import _l
from portal.models import AuditEntry, BillingRequest, Invitation, User
from workflows.lifecycle import Event, RequestType, Status

RESENT = "invitation.resent"
PENDING, EXPIRED, USED = "pending", "expired", "used"


@dataclass(frozen=True)
class InvitationState:
    """The latest link of the contact a completed change made: `status` is pending, expired
    (or revoked) or used; `invitation_id` is what a new link must replace."""

    invitation_id: int
    contact: User
    status: str
    expires_at: datetime


def invitation_state(session: orm.Session, item: BillingRequest) -> InvitationState | None:
    if item.type != RequestType.CONTACT_CHANGE or item.status != Status.COMPLETED:
        return None
    if not (item.result or {}).get("invitation_id"):
        return None  # a member of the account took over: they have a password
    contact_id = (item.result or {}).get("billing_contact_id")
    latest = session.scalar(
        sa.select(Invitation)
        .where(Invitation.user_id == contact_id)
        .order_by(Invitation.id.desc())
        .limit(1)
    )
    if latest is None:
        return None
    if latest.used_at is not None:
        status = USED
    elif latest.revoked_at is not None or latest.expires_at <= clock.now():
        status = EXPIRED
    else:
        status = PENDING
    return InvitationState(latest.id, latest.user, status, latest.expires_at)


def resend_invitation(
    session: orm.Session, settings: Settings, staff: User, request_id: Any, replaces: int | None
) -> InvitationState:
    """Revoke the contact's unused link and mail a new one, asked by a technician or by the
    person who named the new contact (a member of the account since). `replaces` is the link
    the asker saw: when another was sent meanwhile (two clicks, two people) nothing is sent
    again (409)."""
    item = _asked_by(session, staff, request_id)
    state = invitation_state(session, item)
    if state is None:
        raise Conflict(str(_l("This request sent no invitation.")))
    # One resend at a time per person: the row lock orders them, the check below refuses
    # the ones that come second.
    session.execute(sa.update(User).where(User.id == state.contact.id).values(id=User.id))
    state = invitation_state(session, item)
    assert state is not None
    if state.status == USED:
        raise Conflict(str(_l("%(name)s has already chosen a password.", name=state.contact.name)))
    if replaces is not None and replaces != state.invitation_id:
        raise Conflict(str(_l("A new invitation was sent meanwhile; nothing was sent again.")))
    contact = state.contact
    if contact.account is None or contact.account.billing_contact_id != contact.id:
        raise Conflict(str(_l("%(name)s is no longer the billing contact.", name=contact.name)))
    session.execute(
        sa.update(Invitation)
        .where(
            Invitation.user_id == contact.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    invitation, link = issue_invitation(session, settings, contact, None)
    session.add(
        AuditEntry(
            account_id=contact.account_id,
            actor_id=staff.id,
            request_id=item.id,
            action=RESENT,
            details={"invitation_id": invitation.id, "replaces": state.invitation_id},
        )
    )
    tell(session, settings, item.id, contact, Event.CONTACT_CHANGED_NEW, link)
    session.commit()
    return InvitationState(invitation.id, contact, PENDING, invitation.expires_at)


def _asked_by(session: orm.Session, user: User, request_id: Any) -> BillingRequest:
    if user.is_staff:
        return get_request(session, user, request_id)
    item = session.get(BillingRequest, row_id(request_id) or 0)
    if item is None or item.requester_id != user.id:
        raise NotFound(str(_l("No such request.")))  # whether it exists is not theirs to know
    return item


def invitation_json(state: InvitationState) -> dict[str, Any]:
    return {
        "id": state.invitation_id,
        "email": state.contact.email,
        "status": state.status,
        "expires_at": state.expires_at.isoformat(),
    }
