"""The extra people a billing contact has every invoice mailed to (an accounts-payable inbox,
a controller), besides the contact: a short list the contact keeps on the account page and
through the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import orm

from portal.accounts.security import email_address
from portal.errors import Forbidden, ValidationFailed
from portal.i18n import _l
from portal.models import Account, User

MAX_RECIPIENTS = 10
FIELD = "invoice_recipients"


def parse_addresses(text: str) -> list[str]:
    """One address per line (or separated by commas, as people paste them)."""
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


def set_invoice_recipients(session: orm.Session, user: User, emails: Any) -> list[str]:
    """Replace the account's list; every address is checked (a bare address, no name, no
    list), duplicates and the contact's own address are dropped."""
    if not user.is_billing_contact or user.account_id is None:
        raise Forbidden(str(_l("Only the billing contact keeps the invoice recipients.")))
    account = session.get(Account, user.account_id)
    assert account is not None
    if not isinstance(emails, list) or not all(isinstance(item, str) for item in emails):
        raise _invalid(_l("A list of e-mail addresses."))
    kept: list[str] = []
    for raw in emails:
        address = _address(raw)
        if address.lower() != user.email.lower() and address.lower() not in map(str.lower, kept):
            kept.append(address)
    if len(kept) > MAX_RECIPIENTS:
        raise _invalid(_l("At most %(count)d addresses.", count=MAX_RECIPIENTS))
    account.invoice_recipients = kept
    return kept


def _address(raw: str) -> str:
    address = email_address(raw)
    if address is None:
        raise _invalid(_l("Not an e-mail address: %(address)s", address=raw[:80]))
    return address


def _invalid(message: object) -> ValidationFailed:
    return ValidationFailed(
        str(_l("Please correct the highlighted fields.")), {FIELD: str(message)}
    )
