"""The API's bodies and replies for the billing centre (portal.web.openapi). The models give the
types and shapes; the operations keep their own rules (seats 1 to MAX_SEATS, plans of the price
list, the card's expiry...) and their own messages, so a seat count or an expiry out of range is
refused by them, naming the field as the pages do."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, Strict

from portal.billing_centre.proration import MAX_SEATS
from portal.billing_requests.schemas import IdempotencyKey
from portal.web.api_models import Body, Reply, RowId, ShortText
from portal.web.paging import ListQuery

# What a Corporate contact writes with a change a technician approves (its kind's own limit).
MAX_REASON = 1000

Period = Literal["monthly", "quarterly", "semiannual", "annual"]
# A whole number, never true/false nor "3"; its range is the operations' (their message).
Seats = Annotated[
    int,
    Strict(),
    Field(json_schema_extra={"minimum": 1, "maximum": MAX_SEATS}),
]
Reason = Annotated[str, Field(max_length=MAX_REASON)]


def _whole_float(value: Any) -> Any:
    """1e30 is a number too big for a card, not a malformed one: the card's rule says so."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


ExpiryPart = Annotated[int, BeforeValidator(_whole_float)]


class CorporateNote(Body):
    """What a Corporate account's change also takes: it becomes a request (202)."""

    reason: Reason = Field("", description="Corporate accounts: why, for the technician")
    idempotency_key: IdempotencyKey | None = Field(
        None,
        description="Corporate accounts: the same key answers the first request (also: header)",
    )


class AddSubscriptionBody(CorporateNote):
    plan: ShortText | None = Field(None, description="A plan of the price list, by name")
    seats: Seats | None = None
    period: Period | None = Field(None, description="By default the account's billing frequency")


class PreviewBody(Body):
    seats: Seats | None = Field(None, description="The new number of seats")
    tier: ShortText | None = Field(None, description="A tier of the same product")


class ChangeBody(CorporateNote):
    seats: Seats | None = Field(None, description="The new number of seats")
    tier: ShortText | None = Field(None, description="A tier of the same product")
    period: Period | None = Field(
        None, description="The billing period from the next renewal on (instead of seats/tier)"
    )


class SubscriptionStepBody(CorporateNote):
    """Cancel, undo a cancellation, reactivate: nothing to give but a Corporate reason."""


class CardBody(Body):
    number: Annotated[str, Field(max_length=64)]
    exp_month: ExpiryPart = Field(json_schema_extra={"minimum": 1, "maximum": 12})
    exp_year: ExpiryPart = Field(json_schema_extra={"minimum": 2000, "maximum": 2100})
    cvc: Annotated[str, Field(max_length=16)]


class InvoiceListQuery(ListQuery):
    year: int | None = Field(None, ge=1, le=9998, description="Issued in this year")
    status: Literal["paid", "open", "void"] | None = None
    account: RowId | None = Field(None, description="Staff: the account listed (required)")


class ClockQuery(BaseModel):
    account_id: RowId | None = Field(None, description="Staff: the account whose clock is read")


class ClockBody(Body):
    date: dt.date = Field(description="The new business date (never earlier)")
    account_id: RowId | None = Field(None, description="Staff: the account whose clock moves")


class SubscriptionReply(Reply):
    id: int
    product: str
    tier: str
    plan: str
    seats: int
    period: str
    status: str
    next_billing_date: dt.date
    next_period: str = Field(description="The period of the renewals from the next one on")
    currency: str


class SubscriptionList(Reply):
    items: list[SubscriptionReply]
    next_cursor: str | None


class PreviewReply(Reply):
    amount_due: str
    amount_credited: str
    currency: str
    new_billing_date: dt.date
    error: str | None = Field(description="Why this change cannot be made, if it cannot")


class InvoiceLineReply(Reply):
    description: str
    quantity: int
    unit_price: str
    amount: str


class InvoiceReply(Reply):
    id: int
    number: str
    issued_on: dt.date
    due_on: dt.date
    kind: str
    status: str
    updated_at: dt.datetime
    subtotal: str
    tax: str
    total: str
    credit_applied: str
    amount_paid: str
    currency: str
    po_number: str | None
    lines: list[InvoiceLineReply] | None = Field(None, description="Only when one is read")


class InvoicePage(Reply):
    items: list[InvoiceReply]
    next_cursor: str | None


class CardReply(Reply):
    kind: str | None = Field(description="card or invoice; null when there is none")
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None


class CardSaved(CardReply):
    settled: list[int] = Field(description="The past-due subscriptions the new card paid")


class BalanceReply(Reply):
    currency: str
    credit: str


class PaymentReply(Reply):
    id: int
    kind: str
    amount: str
    currency: str
    status: str
    invoice_number: str | None
    created_at: dt.datetime


class PaymentList(Reply):
    items: list[PaymentReply]
    next_cursor: str | None


class ClockReply(Reply):
    date: dt.date
    account_id: int
