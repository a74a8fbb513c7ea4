"""An account's service tokens, for the procurement system that calls the API: named, scoped,
listed with their last use, revoked by the billing contact. A service token acts as the
account's billing contact of the moment, so it keeps working when the contact changes.

Scopes: `read` (every GET), `requests` (submitting and following up requests and quotes),
`billing` (the billing centre's writes). What no scope names (tokens, sessions, passwords,
the technicians' endpoints) takes a person's token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.accounts.security import token_digest
from portal.accounts.sessions import personal_tokens
from portal.errors import Forbidden, ValidationFailed
from portal.i18n import _l
from portal.models import ApiToken, User

SCOPES = ("read", "requests", "billing")
SERVICE_LIFETIME = timedelta(days=365)
# How often a token's "last used" is written.
USE_EVERY = timedelta(minutes=1)
# The writes of each scope, by endpoint; a GET needs `read`.
SCOPE_OF_WRITE = {
    "api.submit": "requests",
    "api.cancel": "requests",
    "api.provide_info": "requests",
    "api.accept_quote": "requests",
    "api.decline_quote": "requests",
    "api.invoice_recipients": "billing",
}
BILLING_WRITES_PREFIX = "billing_api."
PERSONAL_ONLY = frozenset(
    {"api.tokens", "api.browser_sessions", "api.create_token", "api.revoke_this_token"}
)


@dataclass(frozen=True)
class Bearer:
    """Who a bearer token acts as, and what it may do (None: everything its person may)."""

    token: ApiToken
    user: User
    scopes: frozenset[str] | None


def scope_needed(endpoint: str | None, method: str) -> str | None:
    """The scope a call needs; None when only a person's token will do."""
    if endpoint is None or endpoint in PERSONAL_ONLY:
        return None
    if method in ("GET", "HEAD"):
        return "read"
    if endpoint.startswith(BILLING_WRITES_PREFIX):
        return "billing"
    return SCOPE_OF_WRITE.get(endpoint)


def allows(bearer: Bearer, endpoint: str | None, method: str) -> bool:
    if bearer.scopes is None:
        return True
    needed = scope_needed(endpoint, method)
    return needed is not None and needed in bearer.scopes


def bearer_of(session: orm.Session, row: ApiToken) -> Bearer | None:
    """The identity of a live token's row: its person, or its account's billing contact."""
    if row.account_id is not None:
        account = row.account
        user = account.billing_contact if account is not None else None
        if row.last_used_at is None or row.last_used_at < clock.now() - USE_EVERY:
            row.last_used_at = clock.now()
            session.commit()
        scopes = frozenset(row.scopes or [])
    else:
        user, scopes = row.user, None
    if user is None or not user.is_active:
        return None
    return Bearer(row, user, scopes)


def create_service_token(
    session: orm.Session, user: User, name: object, scopes: object
) -> tuple[ApiToken, str]:
    """A new token of `user`'s account; the secret is shown once (only its digest is kept)."""
    if not user.is_billing_contact or user.account_id is None:
        raise Forbidden(str(_l("Only the account's billing contact can create service tokens.")))
    errors: dict[str, str] = {}
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        errors["name"] = str(_l("A name of 1 to 100 characters, e.g. the system that uses it."))
    if (
        not isinstance(scopes, list)
        or not scopes
        or not all(isinstance(scope, str) and scope in SCOPES for scope in scopes)
    ):
        errors["scopes"] = str(_l("One or more of: %(scopes)s.", scopes=", ".join(SCOPES)))
    if errors:
        raise ValidationFailed(str(_l("Please correct the highlighted fields.")), errors)
    assert isinstance(name, str) and isinstance(scopes, list)
    secret = secrets.token_urlsafe(32)
    row = ApiToken(
        account_id=user.account_id,
        name=name.strip(),
        scopes=sorted(set(scopes)),
        token_hash=token_digest(secret),
        expires_at=clock.now() + SERVICE_LIFETIME,
    )
    session.add(row)
    session.commit()
    return row, secret


def held_tokens_query(user: User) -> sa.Select[ApiToken]:
    """What the user holds: their own live tokens and, for a billing contact, the account's
    service tokens."""
    held = personal_tokens(user)
    if user.is_billing_contact and user.account_id is not None:
        service = sa.and_(ApiToken.account_id == user.account_id, ApiToken.revoked_at.is_(None))
        held = sa.or_(held, service)
    return sa.select(ApiToken).where(held)
