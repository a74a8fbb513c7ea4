"""The API's bodies and replies for the account itself: tokens, browser sessions, password
resets, who I am, my account (portal.web.openapi). The rules stay with the operations: signing
in (portal.accounts.throttle, two_step), a service token's name and scopes
(portal.accounts.service_tokens), the invoice recipients (portal.accounts.recipients)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field

from portal.accounts.recipients import MAX_RECIPIENTS
from portal.accounts.service_tokens import SCOPES
from portal.web.api_models import Body, Reply
from workflows.lifecycle import RequestType, Role, Status

# As long as the sign-in pages take them (portal.accounts.forms).
Email = Annotated[str, Field(max_length=254)]
Password = Annotated[str, Field(max_length=200)]
Code = Annotated[str, Field(max_length=20)]
# One of SCOPES: the operation says which are (a 400 naming `scopes`).
Scope = Annotated[str, Field(max_length=20, json_schema_extra={"enum": list(SCOPES)})]
TokenKind = Literal["personal", "service"]

# The two ways of making a token take these fields; each refuses the other's.
SIGN_IN_FIELDS = ("email", "password", "code")
SERVICE_TOKEN_FIELDS = ("name", "scopes")


class TokenBody(Body):
    """Without a bearer token: sign in with `email` and `password` (and `code`, once two-step
    sign-in is on) for a person's token. With a billing contact's bearer token: `name` and
    `scopes` make a service token of the account."""

    email: Email | None = Field(None, description="Signing in")
    password: Password | None = Field(None, description="Signing in")
    code: Code | None = Field(
        None, description="Signing in: the authenticator app's code, or a recovery code"
    )
    name: Annotated[str, Field(max_length=100)] | None = Field(
        None, description="A service token: the system that uses it"
    )
    scopes: list[Scope] | None = Field(None, description="A service token: one or more scopes")


class TokenReply(Reply):
    id: int
    kind: TokenKind
    created_at: datetime
    expires_at: datetime
    current: bool = Field(description="The token this call came with")
    name: str | None = Field(None, description="A service token's")
    scopes: list[Scope] | None = Field(None, description="A service token's")
    last_used_at: datetime | None = Field(None, description="A service token's")


class TokenList(Reply):
    items: list[TokenReply]
    next_cursor: str | None


class NewToken(Reply):
    """The secret, shown this once; a service token comes with its other fields."""

    token: str
    id: int | None = None
    kind: TokenKind | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None
    name: str | None = None
    scopes: list[Scope] | None = None
    last_used_at: datetime | None = None


class MeReply(Reply):
    id: int
    email: str
    name: str
    role: Role
    account_id: int | None


class ContactBrief(Reply):
    name: str
    email: str


class PendingChange(Reply):
    id: int
    type: RequestType
    status: Status


class AccountReply(Reply):
    id: int
    name: str
    country: str
    kind: str
    billing_frequency: str
    next_renewal: date | None
    billing_contact: ContactBrief | None
    pending_changes: list[PendingChange] = Field(description="Requests not finished yet")
    invoice_recipients: list[str]


class InvoiceRecipientsBody(Body):
    # Duplicates and the contact's own address are dropped before the operation counts.
    emails: list[Email] = Field(
        max_length=10 * MAX_RECIPIENTS,
        description="The whole list at once, besides the billing contact; [] empties it",
    )


class InvoiceRecipientsReply(Reply):
    invoice_recipients: list[str]


class SessionReply(Reply):
    id: int
    user_agent: str
    address: str
    created_at: datetime
    last_seen_at: datetime


class SessionList(Reply):
    items: list[SessionReply]
    next_cursor: str | None


class PasswordResetBody(Body):
    email: Email


class MessageReply(Reply):
    message: str
