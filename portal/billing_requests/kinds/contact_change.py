"""Billing-contact change: the current contact (or a technician, on the account's behalf)
names a successor; on approval the successor becomes the billing contact (created with a
one-time set-password link when new) and the former contact becomes a member."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from temporalio.exceptions import ApplicationError
from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from portal import clock
from portal.accounts.operations import MIN_PASSWORD
from portal.accounts.security import email_address, hash_password, token_digest
from portal.billing_requests.kinds.base import (
    APPLIED,
    FieldChange,
    Recorded,
    RequestForm,
    RequestKind,
    shortened,
)
from portal.billing_requests.kinds.fields import CHOOSE, FieldErrors
from portal.config import Settings
from portal.errors import ValidationFailed
from portal.i18n import _, _l
from portal.models import Account, AuditEntry, BillingRequest, Invitation, User
from workflows.lifecycle import Event, RequestType, Role
from workflows.messages import LAPSE, ChangeInput, QueueNotificationInput
from workflows.request_process import REFUSED

CHANGED = "billing_contact.changed"
REFUSED_ADDRESS = _l("Give the work e-mail address of one person of your company.")
TOLD = frozenset({Event.CONTACT_CHANGED_NEW, Event.CONTACT_CHANGED_OLD})


class ContactChangeForm(RequestForm):
    new_contact_name = StringField(_l("New contact's name"))
    new_contact_email = EmailField(_l("New contact's e-mail"))
    reason = TextAreaField(_l("Reason for the change"))

    def payload(self) -> dict[str, Any]:
        return {
            "new_contact_name": self.new_contact_name.data or "",
            "new_contact_email": self.new_contact_email.data or "",
            "reason": self.reason.data or "",
        }


class StaffContactChangeForm(ContactChangeForm):
    """A technician starts the change on a Corporate account's behalf."""

    account_id = SelectField(_l("Account"), choices=[], validators=[Optional()])
    submit = SubmitField(_l("Start the change"))

    @classmethod
    def build(cls, session: orm.Session, user: User) -> StaffContactChangeForm:
        form = cls()
        accounts = session.scalars(
            sa.select(Account).where(Account.kind == "corporate").order_by(Account.name)
        )
        form.account_id.choices = [("", CHOOSE), *((str(a.id), a.name) for a in accounts)]
        return form

    def payload(self) -> dict[str, Any]:
        chosen = self.account_id.data
        account_id = int(chosen) if isinstance(chosen, str) and chosen.isdigit() else None
        return {"account_id": account_id, **super().payload()}


class ContactChange(RequestKind):
    name = RequestType.CONTACT_CHANGE
    label = _l("Billing-contact change")
    new_title = _l("Change the billing contact")
    form = ContactChangeForm
    staff_may_start = True

    def validate(
        self, session: orm.Session, account_id: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        return validate_contact_change(session, account_id, payload)

    def snapshot(
        self, session: orm.Session, account_id: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        account = session.get(Account, payload.get("account_id", account_id))
        current = account.billing_contact if account else None
        return {"billing_contact": _named(current.name, current.email) if current else ""}

    def describe(self, session: orm.Session, recorded: Recorded) -> list[FieldChange]:
        after = _named(recorded.payload["new_contact_name"], recorded.payload["new_contact_email"])
        before = str(recorded.before.get("billing_contact", ""))
        done = recorded.applied.get("billing_contact")
        return [FieldChange(str(_l("Billing contact")), before, after, done)]

    def apply(
        self, session: orm.Session, change: ChangeInput, settings: Settings
    ) -> dict[str, Any]:
        return apply_contact_change(session, change, settings)

    def headline(self, payload: Mapping[str, Any]) -> str:
        return shortened(f"→ {payload.get('new_contact_name') or payload.get('new_contact_email')}")

    def mail_values(self, session: orm.Session, request: BillingRequest) -> dict[str, str]:
        payload = request.payload or {}
        named = payload.get("new_contact_name") or payload.get("new_contact_email")
        return {"contact": str(named or _("Another person"))}

    def mail_facts(self, session: orm.Session, request: BillingRequest, event: Event) -> list[str]:
        payload = request.payload or {}
        if event not in TOLD or not payload.get("new_contact_email"):
            return []
        name = payload.get("new_contact_name") or payload["new_contact_email"]
        return [
            _(
                "New billing contact: %(name)s <%(email)s>",
                name=name,
                email=payload["new_contact_email"],
            )
        ]

    def lapse(self, session: orm.Session, result: dict[str, Any]) -> Event | None:
        invitation_id = result.get("invitation_id")
        if isinstance(invitation_id, int) and expire_invitation(session, invitation_id):
            return Event.INVITATION_EXPIRED
        return None


def validate_contact_change(
    session: orm.Session, account_id: int, payload: dict[str, Any]
) -> dict[str, Any]:
    errors = FieldErrors()
    typed = errors.text(payload, "new_contact_email", 254)
    name = errors.text(payload, "new_contact_name", 200)
    reason = errors.text(payload, "reason", 1000)
    email = email_address(typed) if typed else ""
    account = session.get(Account, account_id)
    assert account is not None
    existing = session.scalar(sa.select(User).where(User.email == email)) if email else None
    if existing is not None and existing.id == account.billing_contact_id:
        errors.add("new_contact_email", _l("This person is the billing contact already."))
    elif typed and (email is None or (existing is not None and existing.account_id != account_id)):
        # One answer for an impossible address and for someone of another account or of
        # LogMeIn: the form tells nobody who has an account where.
        errors.add("new_contact_email", REFUSED_ADDRESS)
    errors.raise_if_any()
    return {
        "account_id": account_id,
        "new_contact_email": email,
        "new_contact_name": name,
        "reason": reason,
    }


def apply_contact_change(
    session: orm.Session, change: ChangeInput, settings: Settings
) -> dict[str, Any]:
    """Hand the account to its new billing contact, once; both people are told."""
    done = session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.request_id == change.request_id, AuditEntry.action == CHANGED
        )
    )
    if done is not None:
        return dict(done.details["result"])
    account = session.get(Account, change.account_id)
    assert account is not None
    former = account.billing_contact
    email = change.payload["new_contact_email"]
    successor = session.scalar(sa.select(User).where(User.email == email))
    if successor is not None and (successor.is_staff or successor.account_id != account.id):
        # Named by another account's request too, and handed to it first (the unique e-mail
        # decides a race): this account keeps its contact, the technician is told why.
        raise ApplicationError(
            "This person became the billing contact of another account meanwhile: "
            "nothing was changed; ask the customer for another billing contact.",
            type=REFUSED,
            non_retryable=True,
        )
    link = None
    if successor is None:
        successor = User(
            email=email,
            name=change.payload["new_contact_name"],
            role=Role.BILLING_CONTACT,
            account_id=account.id,
            # The account's language (its contact's, who named them): the invitation, the
            # set-password page and the first session are in it.
            language=former.language if former is not None else "en",
            # Unusable until the invitation sets a password.
            password_hash=hash_password(secrets.token_urlsafe(32)),
        )
        session.add(successor)
        session.flush()
        invitation, link = issue_invitation(session, settings, successor, change.request_id)
    successor.role = Role.BILLING_CONTACT
    if former is not None and former.id != successor.id:
        former.role = Role.MEMBER
    account.billing_contact_id = successor.id
    result: dict[str, Any] = {
        "account_id": account.id,
        "billing_contact_id": successor.id,
        APPLIED: {"billing_contact": _named(successor.name, successor.email)},
    }
    if former is not None:
        result["former_contact_id"] = former.id
    if link is not None:
        result["invitation_id"] = invitation.id
        # The workflow waits this long, then asks `lapse` to end the link if still unused.
        result[LAPSE] = {"after_seconds": settings.timers.invitation}
    session.add(
        AuditEntry(
            account_id=account.id,
            actor_id=change.approved_by.user_id,
            request_id=change.request_id,
            action=CHANGED,
            details={"from": former.id if former else None, "to": successor.id, "result": result},
        )
    )
    session.flush()
    tell(session, settings, change.request_id, successor, Event.CONTACT_CHANGED_NEW, link)
    if former is not None and former.id != successor.id:
        tell(session, settings, change.request_id, former, Event.CONTACT_CHANGED_OLD, None)
    return result


def issue_invitation(
    session: orm.Session, settings: Settings, user: User, request_id: int | None
) -> tuple[Invitation, str]:
    """A one-time set-password link for `user`, valid for the invitation time; only its
    digest is stored."""
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        user_id=user.id,
        request_id=request_id,
        token_hash=token_digest(token),
        expires_at=clock.now() + timedelta(seconds=settings.timers.invitation),
    )
    session.add(invitation)
    session.flush()
    return invitation, f"{settings.base_url}/invitations/{token}"


def _named(name: str, email: str) -> str:
    return f"{name} <{email}>"


def tell(
    session: orm.Session,
    settings: Settings,
    request_id: int,
    user: User,
    event: Event,
    link: str | None,
) -> None:
    # Imported here: notifications read the kinds' registry, which holds this module.
    from portal.notifications.outbox import queue_notification

    context: dict[str, Any] = {"recipient_email": user.email, "recipient_name": user.name}
    if link:
        context["link"] = link
        context["expires_at"] = (
            clock.now() + timedelta(seconds=settings.timers.invitation)
        ).isoformat()
    notification = QueueNotificationInput(request_id=request_id, event=event, context=context)
    queue_notification(session, notification, settings.base_url)


def expire_invitation(session: orm.Session, invitation_id: int) -> bool:
    """Revoke an unused link when its time is up; True when it was still unused."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.used_at is not None or invitation.revoked_at is not None:
        return False
    invitation.revoked_at = clock.now()
    return True


def invitation_for(session: orm.Session, token: str) -> Invitation:
    digest = token_digest(token)
    invitation = session.scalar(sa.select(Invitation).where(Invitation.token_hash == digest))
    if (
        invitation is None
        or invitation.used_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at < clock.now()
    ):
        raise ValidationFailed(str(_l("This link is no longer valid. Ask LogMeIn for a new one.")))
    return invitation


def accept_invitation(session: orm.Session, token: str, password: str) -> User:
    invitation = invitation_for(session, token)
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"password": str(_l("At least %(n)d characters.", n=MIN_PASSWORD))},
        )
    # Consumed by one conditional UPDATE: of links used at once, exactly one sets the password.
    consumed = session.execute(
        sa.update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if consumed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise ValidationFailed(str(_l("This link is no longer valid. Ask LogMeIn for a new one.")))
    invitation.user.password_hash = hash_password(password)
    return invitation.user
