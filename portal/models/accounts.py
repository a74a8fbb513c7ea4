"""Accounts and the people who sign in: users, API tokens, invitations, sign-in attempts."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Mapped, mapped_column

from portal import clock
from portal.db import Base
from portal.models.types import UtcDateTime
from workflows.lifecycle import STAFF_ROLES, Role


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    country: Mapped[str] = mapped_column(sa.String(2))
    kind: Mapped[str] = mapped_column(sa.String(20), default="corporate")
    billing_frequency: Mapped[str] = mapped_column(sa.String(20), default="annual")
    next_renewal: Mapped[date | None]
    # Set once, from the country (portal/billing_centre/ledger.py): its prices and invoices.
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    # Who is writing this account's billing now: one billing-centre write at a time, the
    # others are refused at once (portal/billing_centre/writes.py).
    billing_lease_token: Mapped[str | None] = mapped_column(sa.String(32))
    billing_lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The sandbox clock (development): how far this account's business time is ahead.
    clock_shift_seconds: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # Who else receives the account's invoices by mail, beside the billing contact.
    invoice_recipients: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    billing_contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", use_alter=True, ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

    billing_contact: Mapped[User | None] = orm.relationship(foreign_keys=[billing_contact_id])
    users: Mapped[list[User]] = orm.relationship(
        back_populates="account", foreign_keys="User.account_id"
    )


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    language: Mapped[str] = mapped_column(sa.String(5), default="en")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    # Two-step sign-in (RFC 6238): the shared secret, once its first code proved the app has it.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    account: Mapped[Account | None] = orm.relationship(
        back_populates="users", foreign_keys=[account_id]
    )

    # Flask-Login's protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def has_two_step(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_billing_contact(self) -> bool:
        return self.role == Role.BILLING_CONTACT


class ApiToken(Base):
    """A bearer token: a person's (from signing in: `user_id`, every scope), or an account's
    service token (`account_id`, named, `scopes`), which acts as the account's billing contact
    of the moment and so outlives a change of contact."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(sa.String(100))
    scopes: Mapped[list[str] | None] = mapped_column(sa.JSON)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set when its owner revokes it, or changes the password: it answers 401 from then on.
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User | None] = orm.relationship()
    account: Mapped[Account | None] = orm.relationship()


class UserSession(Base):
    """A browser signed in: the signed cookie carries only the key whose digest is here, so
    signing out (or a password change) ends it on the server, and a copied cookie with it."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")
    address: Mapped[str] = mapped_column(sa.String(64), default="")
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = orm.relationship()


class RecoveryCode(Base):
    """One of the codes that stand in for the second step once (a lost phone); only digests."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PasswordReset(Base):
    """A one-time link to choose a new password, mailed on request; valid an hour."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = orm.relationship()


class Invitation(Base):
    """A one-time link for a new billing contact to choose a password."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("requests.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = orm.relationship()


class SignInLock(Base):
    """One row per throttled key (an e-mail's digest, a client address): the row an attempt
    locks while it counts and records itself, so parallel attempts are counted one by one."""

    __tablename__ = "sign_in_locks"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)


class LoginAttempt(Base):
    """A sign-in whose password was checked (recorded before the check), counted by the
    sign-in throttle (portal/accounts/throttle.py) for a while.

    The e-mail is kept only as a keyed digest: people type passwords into the e-mail field."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_email_at", "email_digest", "at"),
        sa.Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email_digest: Mapped[str] = mapped_column(sa.String(64))
    address: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now, index=True)
