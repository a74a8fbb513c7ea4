"""Sessions and API tokens their owner can end. A browser's signed cookie holds only a random
key whose digest is a `user_sessions` row: signing out ends the row, so a copy of the cookie
stops working too. Tokens are `api_tokens` rows with a revocation date. A password change or
reset ends every other session and every token of the user."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.accounts.security import token_digest
from portal.db import row_id
from portal.errors import NotFound
from portal.i18n import LazyText, _l
from portal.models import ApiToken, User, UserSession

# How often a session's "last seen" is written: not on every page, a write each time.
SEEN_EVERY = timedelta(minutes=5)
# A browser session lasts this long without being used.
IDLE_LIFETIME = timedelta(days=14)


def start_session(session: orm.Session, user: User, user_agent: str, address: str) -> str:
    """A new session for `user`; the key to keep in the cookie (only its digest is stored)."""
    key = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            user_id=user.id,
            key_hash=token_digest(key),
            user_agent=user_agent[:200],
            address=address[:64],
        )
    )
    session.flush()
    return key


def live_session(session: orm.Session, key: str) -> UserSession | None:
    """The session of `key` while it lasts (not ended, used lately, its user active)."""
    # Every page needs the user and the account's clock: one statement for the three.
    found = session.scalar(
        sa.select(UserSession)
        .where(UserSession.key_hash == token_digest(key))
        .options(orm.joinedload(UserSession.user).joinedload(User.account))
    )
    now = clock.now()
    if (
        found is None
        or found.ended_at is not None
        or found.last_seen_at < now - IDLE_LIFETIME
        or not found.user.is_active
    ):
        return None
    if found.last_seen_at < now - SEEN_EVERY:
        found.last_seen_at = now
        session.commit()
    return found


def end_session(session: orm.Session, key: str) -> None:
    session.execute(
        sa.update(UserSession)
        .where(UserSession.key_hash == token_digest(key), UserSession.ended_at.is_(None))
        .values(ended_at=clock.now())
    )


def sessions_query(user: User) -> sa.Select[UserSession]:
    """The user's live browser sessions, last seen first."""
    return (
        sa.select(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.ended_at.is_(None),
            UserSession.last_seen_at >= clock.now() - IDLE_LIFETIME,
        )
        .order_by(UserSession.last_seen_at.desc())
    )


def sessions_of(session: orm.Session, user: User) -> list[UserSession]:
    return list(session.scalars(sessions_query(user)))


def personal_tokens(user: User) -> sa.ColumnElement[bool]:
    """The user's own live tokens (from signing in)."""
    return sa.and_(
        ApiToken.user_id == user.id,
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > clock.now(),
    )


def tokens_of(session: orm.Session, user: User) -> list[ApiToken]:
    query = sa.select(ApiToken).where(personal_tokens(user)).order_by(ApiToken.created_at.desc())
    return list(session.scalars(query))


def end_session_of(session: orm.Session, user: User, session_id: object) -> None:
    """End one of `user`'s sessions (NotFound for anyone else's, or one already ended)."""
    owned = UserSession.user_id == user.id
    missing = _l("No such session.")
    _end_own(session, UserSession.id, UserSession.ended_at, session_id, owned, missing)


def revoke_token_of(session: orm.Session, user: User, token_id: object) -> None:
    """One of `user`'s tokens, or a service token of the account whose contact they are."""
    owned = ApiToken.user_id == user.id
    if user.is_billing_contact and user.account_id is not None:
        owned = sa.or_(owned, ApiToken.account_id == user.account_id)
    _end_own(session, ApiToken.id, ApiToken.revoked_at, token_id, owned, _l("No such token."))


def _end_own(
    session: orm.Session,
    id_column: orm.InstrumentedAttribute[int],
    end_column: orm.InstrumentedAttribute[datetime | None],
    wanted: object,
    owned: sa.ColumnElement[bool],
    missing: LazyText,
) -> None:
    """End the row `wanted` if `owned` and not ended yet, by one conditional UPDATE."""
    ended = session.execute(
        sa.update(id_column.class_)
        .where(id_column == _row(wanted), owned, end_column.is_(None))
        .values({end_column.key: clock.now()})
    )
    if ended.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(str(missing))


def end_everything(session: orm.Session, user: User, keep_session_id: int | None = None) -> None:
    """Every session of `user` but `keep_session_id`, and every token: after a new password,
    whoever held an old way in is out."""
    now = clock.now()
    session.execute(
        sa.update(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.ended_at.is_(None),
            UserSession.id != (keep_session_id or 0),
        )
        .values(ended_at=now)
    )
    session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _row(value: object) -> int:
    return row_id(value) or 0
