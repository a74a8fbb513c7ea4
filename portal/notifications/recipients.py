"""Who is told: the audience an event decides, resolved when the mail is queued, as the event
happens (the account's billing contact of that moment, the assignee, the supervisors), or the
one person a mail's context names (a new billing contact may not be a user yet)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import orm

from portal.accounts.security import normalize_email
from portal.billing_requests.events import Audience
from portal.models import Account, BillingRequest, User
from portal.notifications.catalogs import language_of
from workflows.lifecycle import Role
from workflows.messages import QueueNotificationInput


@dataclass(frozen=True)
class Addressee:
    key: str  # for the outbox's dedup key: the user's id, or a digest of a non-user's address
    email: str
    name: str
    language: str
    staff: bool

    @classmethod
    def of(cls, user: User) -> Addressee:
        return cls(str(user.id), user.email, user.name, language_of(user.language), user.is_staff)


def audience_members(
    session: orm.Session, request: BillingRequest, audience: Audience
) -> list[User]:
    if audience == Audience.REQUESTER:
        return [_customer_of(session, request)]
    if audience in (Audience.ASSIGNEE, Audience.CLAIMANT) and request.assignee is not None:
        return [request.assignee]
    if audience == Audience.ASSIGNEE:
        roles = [Role.TECHNICIAN]  # nobody has claimed it yet: every technician should hear
    elif audience == Audience.SUPERVISORS:
        roles = [Role.SUPERVISOR]
    else:
        return []
    query = sa.select(User).where(User.role.in_(roles), User.active).order_by(User.id)
    return list(session.scalars(query))


def _customer_of(session: orm.Session, request: BillingRequest) -> User:
    """Who answers for the account's request now: its requester while they hold the billing
    contact's role, else the account's billing contact of this moment (a former contact, now a
    member, was told once that they handed over)."""
    requester = request.requester
    if requester.is_staff or requester.is_billing_contact:
        return requester
    account = session.get(Account, request.account_id)
    contact = account.billing_contact if account is not None else None
    return contact or requester


def addressees(
    session: orm.Session,
    request: BillingRequest,
    notification: QueueNotificationInput,
    audience: Audience,
) -> list[Addressee]:
    if audience != Audience.NAMED:
        return [Addressee.of(user) for user in audience_members(session, request, audience)]
    email = normalize_email(str(notification.context.get("recipient_email") or ""))
    if not email:
        return []
    user = session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
    if user is not None:
        return [Addressee.of(user)]
    digest = hashlib.sha256(email.encode()).hexdigest()[:16]
    language = notification.context.get("language") or request.requester.language
    name = str(notification.context.get("recipient_name") or email)
    return [Addressee(f"to-{digest}", email, name, language_of(language), staff=False)]
