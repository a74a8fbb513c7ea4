"""Sign-in throttling, for the login page and `POST /api/v1/tokens` alike.

At most `MAX_PER_EMAIL` passwords are checked for one e-mail, and `MAX_PER_ADDRESS` from one
client address, within `WINDOW`; further attempts are refused without the password being
checked, until the oldest of those attempts is older than the window. A success, or a
password reset, clears the e-mail's attempts. Unknown e-mails are counted exactly like known
ones, so the answers reveal no account.

Attempts are rows of `login_attempts`, so every web process shares the counts; each attempt
records itself before its password is checked, while it holds the `sign_in_locks` rows of its
keys, so however many arrive at once they are counted one after the other. The e-mail is
stored only as a digest keyed with the app's secret (people type passwords into the e-mail
field); nothing here ever logs a password or an e-mail.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, request
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql, sqlite

from portal import clock
from portal.accounts.security import authenticate, normalize_email
from portal.errors import PortalError
from portal.i18n import _l
from portal.models import LoginAttempt, SignInLock, User

WINDOW = timedelta(minutes=15)
MAX_PER_EMAIL = 5
MAX_PER_ADDRESS = 20
ADDRESS_LENGTH = 64  # login_attempts.address

log = logging.getLogger(__name__)


class Throttled(PortalError):
    """Too many failures lately: refused before the password is even looked at."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(str(_l("Too many attempts, try again in a few minutes.")))
        self.retry_after = retry_after


def email_digest(email: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, normalize_email(email).encode(), hashlib.sha256).hexdigest()


def client_address() -> str:
    """The client's address: behind a proxy, the proxy's unless PORTAL_TRUSTED_PROXIES says
    to believe its X-Forwarded-For (portal/security_headers.py)."""
    return (request.remote_addr or "unknown")[:ADDRESS_LENGTH]


def seconds_to_wait(
    session: orm.Session, digest: str, address: str, now: datetime | None = None
) -> int:
    """0 when an attempt may be checked, else how long until one may."""
    now = now or clock.now()
    since = now - WINDOW
    waits = [
        until
        for until in (
            _wait(session, LoginAttempt.email_digest == digest, MAX_PER_EMAIL, since),
            _wait(session, LoginAttempt.address == address, MAX_PER_ADDRESS, since),
        )
        if until is not None
    ]
    return max(1, math.ceil((max(waits) - now).total_seconds())) if waits else 0


def _wait(
    session: orm.Session, which: sa.ColumnElement[bool], limit: int, since: datetime
) -> datetime | None:
    """When the `limit`-th most recent failure leaves the window, if there are that many."""
    recent = session.scalars(
        sa.select(LoginAttempt.at)
        .where(which, LoginAttempt.at > since)
        .order_by(LoginAttempt.at.desc())
        .offset(limit - 1)
        .limit(1)
    ).first()
    return recent + WINDOW if recent is not None else None


def record_attempt(session: orm.Session, digest: str, address: str) -> None:
    now = clock.now()
    # Rows older than the window count for nothing any more.
    session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at <= now - WINDOW))
    session.add(LoginAttempt(email_digest=digest, address=address, at=now))
    session.flush()


def lock_keys(session: orm.Session, *keys: str) -> None:
    """Hold the lock rows of `keys` until the transaction ends (made on first use; taken in
    one order, so two attempts never wait for each other's)."""
    ordered = sorted(set(keys))
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(SignInLock).values([{"key": key} for key in ordered]).on_conflict_do_nothing()
    )
    for key in ordered:
        session.execute(sa.update(SignInLock).where(SignInLock.key == key).values(key=key))


def take_attempt(session: orm.Session, digest: str, address: str) -> None:
    """Count this attempt, or Throttled; committed, so the next attempt counts it."""
    lock_keys(session, f"email:{digest}", f"address:{address}")
    wait = seconds_to_wait(session, digest, address)
    if wait:
        session.commit()
        log.warning("sign-in refused: too many attempts", extra={"client_address": address})
        raise Throttled(wait)
    record_attempt(session, digest, address)
    session.commit()


def clear(session: orm.Session, digest: str) -> None:
    session.execute(sa.delete(LoginAttempt).where(LoginAttempt.email_digest == digest))


def sign_in(session: orm.Session, email: str, password: str) -> User | None:
    """`authenticate` behind the throttle: the user, None (a failure, recorded), or Throttled.

    Commits the record of the attempt."""
    digest, address = email_digest(email), client_address()
    take_attempt(session, digest, address)
    user = authenticate(session, email, password)
    if user is None:
        log.info("sign-in failed", extra={"client_address": address})
    else:
        clear(session, digest)
    session.commit()
    return user
