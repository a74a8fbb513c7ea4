"""Two-step sign-in (TOTP, RFC 6238) with recovery codes: required of technicians and
supervisors, offered to contacts. A code is checked after the password and counts against the
same sign-in throttle, so guessing six digits is as slow as guessing a password."""

from __future__ import annotations

import hashlib
import secrets

import pyotp
import segno
import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy import orm

from portal import clock
from portal.accounts.security import verify_password
from portal.accounts.throttle import clear, client_address, email_digest, take_attempt
from portal.errors import ValidationFailed
from portal.i18n import _l
from portal.models import RecoveryCode, User

ISSUER = "Corporate Billing Portal"
RECOVERY_CODES = 10
# A code of the step before or after is accepted too: phones' clocks drift.
DRIFT_STEPS = 1
WRONG_CODE = _l("This code is not right; check the time on your phone, or use a recovery code.")


def required_of(user: User) -> bool:
    return user.is_staff


def new_secret() -> str:
    return pyotp.random_base32()


def enrolment_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code(uri: str) -> Markup:
    """The enrolment link as an inline SVG QR code (no image, no script, no style)."""
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=2, omitsize=False)
    return Markup(svg)  # noqa: S704 - segno's own markup of our own link


def _digest(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def _code_is_right(secret: str, code: str) -> bool:
    typed = code.replace(" ", "").strip()
    return typed.isdigit() and pyotp.TOTP(secret).verify(typed, valid_window=DRIFT_STEPS)


def turn_on(session: orm.Session, user: User, secret: str, code: str) -> list[str]:
    """Keep `secret` once `code` shows the app has it; the recovery codes, shown once."""
    if not _code_is_right(secret, code):
        raise ValidationFailed(str(WRONG_CODE), {"code": str(WRONG_CODE)})
    user.totp_secret, user.totp_enabled_at = secret, clock.now()
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(code)) for code in codes)
    session.commit()
    return codes


def turn_off(session: orm.Session, user: User, password: str) -> None:
    if required_of(user):
        raise ValidationFailed(str(_l("Technicians and supervisors keep two-step sign-in on.")))
    if not verify_password(user.password_hash, password):
        message = str(_l("This is not your current password."))
        raise ValidationFailed(message, {"password": message})
    user.totp_secret, user.totp_enabled_at = None, None
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.commit()


def second_step_passes(session: orm.Session, user: User, code: str) -> bool:
    """A code of the app, or an unused recovery code (spent by one conditional UPDATE)."""
    if user.totp_secret and _code_is_right(user.totp_secret, code):
        return True
    spent = session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=clock.now())
    )
    return spent.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def recovery_codes_left(session: orm.Session, user: User) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def check_code(session: orm.Session, user: User, code: str) -> bool:
    """The second step behind the sign-in throttle (Throttled when its budget is spent)."""
    digest = email_digest(user.email)
    take_attempt(session, digest, client_address())
    passed = second_step_passes(session, user, code)
    if passed:
        clear(session, digest)
    session.commit()
    return passed
