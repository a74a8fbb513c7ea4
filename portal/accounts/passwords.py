"""Choosing a new password: by a one-time link mailed on request (valid an hour, consumed by
one conditional UPDATE however many use it at once), or by a signed-in user who gives the
current one. Either way every other session and every token of the user ends, the sign-in
lock of the e-mail is lifted (a stranger's failures cannot keep the owner out) and the user
is told by mail."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.accounts.operations import MIN_PASSWORD
from portal.accounts.security import (
    email_address,
    hash_password,
    token_digest,
    verify_password,
)
from portal.accounts.sessions import end_everything
from portal.accounts.throttle import clear, email_digest
from portal.errors import ValidationFailed
from portal.i18n import _l
from portal.models import PasswordReset, User
from portal.notifications.account_mail import AccountMail, queue_account_mail

RESET_LIFETIME = timedelta(hours=1)
# Links asked for one person within the lifetime: more are not sent (a stranger could
# otherwise fill a mailbox).
MAX_LIVE_RESETS = 3
GONE = _l("This link is no longer valid. Ask for a new one from the sign-in page.")


def ask_for_reset(session: orm.Session, raw_email: str, base_url: str) -> None:
    """Mail a reset link to the person of `raw_email`, if there is one. Says nothing either
    way: the answer is the same for any address."""
    email = email_address(raw_email)
    user = session.scalar(sa.select(User).where(User.email == email)) if email else None
    if user is None or not user.is_active:
        return
    now = clock.now()
    live = session.scalar(
        sa.select(sa.func.count(PasswordReset.id)).where(
            PasswordReset.user_id == user.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
    )
    if (live or 0) >= MAX_LIVE_RESETS:
        return
    token = secrets.token_urlsafe(32)
    reset = PasswordReset(
        user_id=user.id, token_hash=token_digest(token), expires_at=now + RESET_LIFETIME
    )
    session.add(reset)
    session.flush()
    link = f"{base_url}/password/reset/{token}"
    minutes = int(RESET_LIFETIME.total_seconds() // 60)
    queue_account_mail(
        session, user, AccountMail.RESET_LINK, str(reset.id), link=link, minutes=minutes
    )
    session.commit()


def reset_for(session: orm.Session, token: str) -> PasswordReset:
    found = session.scalar(
        sa.select(PasswordReset).where(PasswordReset.token_hash == token_digest(token))
    )
    if found is None or found.used_at is not None or found.expires_at <= clock.now():
        raise ValidationFailed(str(GONE))
    return found


def reset_password(session: orm.Session, token: str, password: str) -> User:
    """Set the password the link's owner chose; the link is then spent."""
    reset = reset_for(session, token)
    _check_new(password)
    spent = session.execute(
        sa.update(PasswordReset)
        .where(
            PasswordReset.id == reset.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > clock.now(),
        )
        .values(used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise ValidationFailed(str(GONE))
    user = reset.user
    # The other links of this person are spent too: one new password is enough.
    session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=clock.now())
    )
    _set(session, user, password, keep_session_id=None)
    return user


def change_password(
    session: orm.Session, user: User, current: str, password: str, keep_session_id: int | None
) -> None:
    if not verify_password(user.password_hash, current):
        message = str(_l("This is not your current password."))
        raise ValidationFailed(message, {"current": message})
    _check_new(password)
    _set(session, user, password, keep_session_id)


def _check_new(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        message = str(_l("At least %(n)d characters.", n=MIN_PASSWORD))
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")), {"password": message}
        )


def _set(session: orm.Session, user: User, password: str, keep_session_id: int | None) -> None:
    user.password_hash = hash_password(password)
    end_everything(session, user, keep_session_id)
    clear(session, email_digest(user.email))
    queue_account_mail(session, user, AccountMail.PASSWORD_CHANGED, clock.now().isoformat())
    session.commit()
