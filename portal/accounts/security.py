"""Passwords (argon2id) and API bearer tokens (random, stored only as a SHA-256 hash)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import orm

from portal import clock
from portal.models import ApiToken, User

_hasher = PasswordHasher()
# Verifying against this when the e-mail is unknown keeps both paths equally slow.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
TOKEN_LIFETIME = timedelta(days=30)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: orm.Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None; never says which part was wrong."""
    # No stored e-mail holds a NUL, and PostgreSQL would refuse the query itself.
    user = (
        session.scalar(sa.select(User).where(User.email == normalize_email(email)))
        if "\x00" not in email
        else None
    )
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        return None
    return user


def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_address(raw: str) -> str | None:
    """`raw` as the one mailbox it names, normalised; None for anything else: a display name
    ("Boss" <x@evil.example>), a list (a,b@c.example), an impossible address. What is stored is
    what the SMTP envelope gets."""
    raw = raw.strip()
    if len(raw) > 254 or any(char in raw for char in '<>",;') or not raw.isprintable():
        return None
    try:
        # Deliverability would ask DNS; the mail server says soon enough.
        checked = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        return None
    return normalize_email(str(checked.normalized))


def token_digest(token: str) -> str:
    """What is stored of a secret handed out (API token, session key, one-time link): its
    SHA-256, never the secret itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: orm.Session, user: User) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id, token_hash=token_digest(token), expires_at=clock.now() + TOKEN_LIFETIME
        )
    )
    return token


def live_token(session: orm.Session, token: str) -> ApiToken | None:
    """The token's row while it lasts: not expired, not revoked (whom it acts as, and whether
    they are active: portal.accounts.service_tokens.bearer_of)."""
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.expires_at < clock.now() or row.revoked_at is not None:
        return None
    return row


def is_safe_next(target: str | None) -> bool:
    """Only local paths: no scheme, no host, no protocol-relative `//evil`."""
    if not target:
        return False
    parts = urlsplit(target)
    return (
        not parts.scheme
        and not parts.netloc
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
    )
