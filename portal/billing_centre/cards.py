"""The card on file of a standard account: saved through the sandbox processor."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from portal import clock
from portal.billing_centre.operations import CARD_ERRORS, account_of
from portal.billing_centre.payments import CardRejected, PaymentProcessor
from portal.billing_centre.subscriptions import standard_account
from portal.errors import ValidationFailed
from portal.i18n import _l
from portal.models import PaymentMethod, User


def save_card(
    session: orm.Session,
    processor: PaymentProcessor,
    user: User,
    number: Any,
    exp_month: Any,
    exp_year: Any,
    cvc: Any,
) -> PaymentMethod:
    account = standard_account(session, user)
    try:
        month, year = int(exp_month), int(exp_year)
        if not (1 <= month <= 12 and 2000 <= year <= 2100):
            raise ValueError("no such expiry")
        token = processor.tokenize(str(number or ""), month, year, str(cvc or ""))
    except (TypeError, ValueError, OverflowError):
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")),
            {"expiry": str(_l("Month and year, e.g. 12 / 2029."))},
        ) from None
    except CardRejected as rejected:
        field, message = CARD_ERRORS.get(rejected.code, ("number", _l("This card cannot be used.")))
        raise ValidationFailed(
            str(_l("Please correct the highlighted fields.")), {field: str(message)}
        ) from None
    method = session.scalar(sa.select(PaymentMethod).where(PaymentMethod.account_id == account.id))
    if method is None:
        method = PaymentMethod(account_id=account.id)
        session.add(method)
    method.kind, method.brand, method.last4 = "card", token.brand, token.last4
    method.exp_month, method.exp_year, method.processor_token = (
        token.exp_month,
        token.exp_year,
        token.token,
    )
    method.updated_at = clock.now()
    session.flush()
    return method


def payment_method_of(session: orm.Session, user: User) -> PaymentMethod | None:
    account = account_of(session, user)
    return session.scalar(sa.select(PaymentMethod).where(PaymentMethod.account_id == account.id))
