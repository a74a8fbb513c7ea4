"""Creating accounts and people: the CLI and the demo data share these rules."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from sqlalchemy import orm

from portal.accounts.security import email_address, hash_password, normalize_email
from portal.errors import Conflict, ValidationFailed
from portal.models import Account, User
from workflows.lifecycle import STAFF_ROLES, Role

ACCOUNT_KINDS = ("corporate", "standard")
COUNTRY = re.compile(r"^[A-Z]{2}$")
MIN_PASSWORD = 10


def create_account(
    session: orm.Session,
    name: str,
    country: str,
    kind: str = "corporate",
    billing_frequency: str = "annual",
    next_renewal: date | None = None,
) -> Account:
    name, country = name.strip(), country.strip().upper()
    errors = {}
    if not name or len(name) > 200:
        errors["name"] = "A name of 1 to 200 characters is required."
    if not COUNTRY.match(country):
        errors["country"] = "A two-letter ISO country code is required, e.g. US."
    if kind not in ACCOUNT_KINDS:
        errors["kind"] = "Kind is corporate or standard."
    if errors:
        raise ValidationFailed("Invalid account.", errors)
    if session.scalar(sa.select(Account.id).where(Account.name == name)) is not None:
        raise Conflict(f"An account named {name!r} exists already.")
    from portal.billing_centre.ledger import currency_for

    currency = currency_for(country)
    account = Account(
        name=name,
        country=country,
        kind=kind,
        billing_frequency=billing_frequency,
        next_renewal=next_renewal,
        currency=currency,
    )
    session.add(account)
    session.flush()
    return account


def create_user(
    session: orm.Session,
    email: str,
    name: str,
    role: str,
    password: str,
    account_id: int | None = None,
    language: str = "en",
) -> User:
    address = email_address(email)
    email = address or normalize_email(email)
    errors = {}
    if address is None:
        errors["email"] = "A valid e-mail address is required."
    if not name.strip():
        errors["name"] = "A name is required."
    if role not in {r.value for r in Role}:
        errors["role"] = f"Role is one of {', '.join(r.value for r in Role)}."
    elif role in STAFF_ROLES and account_id is not None:
        errors["account"] = "Technicians and supervisors belong to no customer account."
    elif role not in STAFF_ROLES and account_id is None:
        errors["account"] = "Billing contacts and members belong to an account."
    if len(password) < MIN_PASSWORD:
        errors["password"] = f"At least {MIN_PASSWORD} characters."
    account = session.get(Account, account_id) if account_id is not None else None
    if account_id is not None and account is None:
        errors["account"] = "No such account."
    if errors:
        raise ValidationFailed("Invalid user.", errors)
    if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"A user with e-mail {email} exists already.")
    if (
        role == Role.BILLING_CONTACT
        and account is not None
        and account.billing_contact_id is not None
    ):
        raise Conflict("This account has a billing contact already; change it through a request.")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password),
        account_id=account_id,
        language=language,
    )
    session.add(user)
    session.flush()
    if role == Role.BILLING_CONTACT and account is not None:
        account.billing_contact_id = user.id
    return user
