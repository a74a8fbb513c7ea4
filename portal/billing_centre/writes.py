"""How every billing-centre write runs: one at a time per account, and once per idempotency key.

An account's writes take its billing lease first (a conditional UPDATE, committed at once): a
second write that comes meanwhile is refused with 409 before it reads or charges anything, on
SQLite as on PostgreSQL. A write with an `Idempotency-Key` (the API's header, a page form's
one-time token) is answered once: the same key and body get the first answer again, also after
it was applied; the same key with another body is refused (Stripe's semantics). The answer is
stored with the write, in one transaction; a 5xx is not kept, so trying again runs it again.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc, orm

from portal.billing_centre.ledger import PaymentDeclined
from portal.errors import Conflict, PortalError
from portal.i18n import _l
from portal.models import Account, IdempotencyKey, User

T = TypeVar("T")
LEASE = timedelta(seconds=60)
# How long a request waits for the answer of its twin (same key) still running.
WAIT_FOR_TWIN = 10.0
# A key whose write never finished (its process died) may be used again after this.
ABANDONED_AFTER = timedelta(minutes=2)
BUSY = _l("Another change of this account's billing is in progress; try again in a moment.")


@dataclass(frozen=True)
class Outcome:
    """What a write answers: an HTTP status and a JSON body (a page's message and target)."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)


class KeyReused(PortalError):
    status = 409
    code = "idempotency_key_reused"


class Replayed(PortalError):
    """A refusal stored under an idempotency key, answered again."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body.get("error", "")), body.get("fields") or None)
        self.status = status
        self.code = str(body.get("code", "")) or self.code


def fingerprint(*parts: Any) -> str:
    """What identifies a write's request: its route and its body, canonically."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def run(
    session: orm.Session,
    user: User,
    account_id: int,
    key: str | None,
    print_: str,
    write: Callable[[], Outcome],
) -> Outcome:
    """Run `write` under the account's lease, once per (user, key); commits."""
    if key:
        earlier = _earlier_answer(session, user, key, print_)
        if earlier is not None:
            return earlier
    try:
        token = _claim(session, account_id)
        if key:
            session.add(
                IdempotencyKey(
                    user_id=user.id, key=key, fingerprint=print_, created_at=datetime.now(UTC)
                )
            )
        session.commit()
    except (Conflict, exc.IntegrityError):
        # Busy: maybe with this very key, sent twice at once (a double click): its answer.
        session.rollback()
        earlier = _earlier_answer(session, user, key, print_) if key else None
        if earlier is not None:
            return earlier
        raise Conflict(str(BUSY)) from None
    # Whatever was read before the lease may be stale by now: read it again under it.
    session.expire_all()
    try:
        outcome = write()
    except PaymentDeclined as declined:
        # The processor's answer is kept (it is in the session); nothing else was written.
        _finish(session, user, account_id, token, key, _refusal(declined))
        raise
    except PortalError as refused:
        session.rollback()
        _finish(session, user, account_id, token, key, _refusal(refused))
        raise
    except BaseException:
        session.rollback()
        _finish(session, user, account_id, token, key, None)
        raise
    _finish(session, user, account_id, token, key, outcome)
    return outcome


def _earlier_answer(session: orm.Session, user: User, key: str, print_: str) -> Outcome | None:
    earlier = _key_row(session, user, key)
    deadline = time.monotonic() + WAIT_FOR_TWIN
    # A double click: its twin is running; its answer is this one's too, soon.
    while earlier is not None and earlier.status is None and time.monotonic() < deadline:
        session.rollback()
        time.sleep(0.05)
        earlier = _key_row(session, user, key)
    if earlier is None:
        return None
    if earlier.fingerprint != print_:
        message = _l("This idempotency key was used for another request; use a new key.")
        raise KeyReused(str(message), {"idempotency_key": str(message)})
    if earlier.status is None:
        if earlier.created_at > datetime.now(UTC) - ABANDONED_AFTER:
            raise Conflict(str(BUSY))
        session.delete(earlier)
        session.flush()
        return None
    if earlier.status >= 400:
        raise Replayed(earlier.status, earlier.body or {})
    return Outcome(earlier.status, earlier.body or {})


def _key_row(session: orm.Session, user: User, key: str) -> IdempotencyKey | None:
    return session.scalar(
        sa.select(IdempotencyKey).where(
            IdempotencyKey.user_id == user.id, IdempotencyKey.key == key
        )
    )


def _claim(session: orm.Session, account_id: int) -> str:
    # Real time, not business time: a lease must expire for everyone at once, whatever
    # sandbox clock each writer runs at.
    token, now = secrets.token_hex(16), datetime.now(UTC)
    claimed = session.execute(
        sa.update(Account)
        .where(
            Account.id == account_id,
            sa.or_(Account.billing_lease_until.is_(None), Account.billing_lease_until < now),
        )
        .values(billing_lease_token=token, billing_lease_until=now + LEASE)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        session.rollback()
        raise Conflict(str(BUSY))
    return token


def _refusal(error: PortalError) -> Outcome:
    body: dict[str, Any] = {"error": error.message, "code": error.code}
    if error.fields:
        body["fields"] = error.fields
    return Outcome(error.status, body)


def _finish(
    session: orm.Session,
    user: User,
    account_id: int,
    token: str,
    key: str | None,
    outcome: Outcome | None,
) -> None:
    """Keep the answer (unless it is none or a 5xx: then the key may run again) and release
    the lease, with the write's own changes."""
    if key:
        row = _key_row(session, user, key)
        if row is not None and (outcome is None or outcome.status >= 500):
            session.delete(row)
        elif row is not None and outcome is not None:
            row.status, row.body = outcome.status, outcome.body
    _release(session, account_id, token)


def _release(session: orm.Session, account_id: int, token: str) -> None:
    """Give the lease back, committing what the write did (or nothing, after a rollback)."""
    session.execute(
        sa.update(Account)
        .where(Account.id == account_id, Account.billing_lease_token == token)
        .values(billing_lease_token=None, billing_lease_until=None)
    )
    session.commit()


def under_lease(session: orm.Session, account_id: int, write: Callable[[], T]) -> T:
    """A write of the system's (a renewal, a reminder) under the account's lease; Conflict
    while someone else holds it (the workflow's activity then tries again). Commits."""
    token = _claim(session, account_id)
    session.commit()
    session.expire_all()
    try:
        result = write()
    except BaseException:
        session.rollback()
        _release(session, account_id, token)
        raise
    _release(session, account_id, token)
    return result
