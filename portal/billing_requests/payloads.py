"""What each request type's `payload` holds, for the OpenAPI document. The kinds
(portal.billing_requests.kinds) validate payloads, for pages, API and workflow alike; these
models only describe them, with the kinds' own constants, and are never used to validate."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from portal.billing_requests.kinds.account_inquiry import TOPICS
from portal.billing_requests.kinds.form_request import FORMS
from portal.billing_requests.kinds.frequency_change import FREQUENCIES
from portal.billing_requests.kinds.subscription_change import ACTIONS
from workflows.lifecycle import RequestType


class PurchaseOrderLineChange(BaseModel):
    line_id: int
    quantity: int


class PurchaseOrderChanges(BaseModel):
    po_number: str | None = None
    bill_to: str | None = None
    notes: str | None = None
    lines: list[PurchaseOrderLineChange] | None = None


class PoEditPayload(BaseModel):
    purchase_order_id: int
    base_revision: int | None = Field(None, description="The revision the change was made on")
    changes: PurchaseOrderChanges
    reason: str = ""


class QuoteItem(BaseModel):
    product: str = Field(description="A plan of the account's price list")
    seats: int


class QuotePayload(BaseModel):
    items: list[QuoteItem]
    term_months: int = 12
    notes: str = ""


class ContactChangePayload(BaseModel):
    new_contact_name: str
    new_contact_email: str = Field(json_schema_extra={"format": "email"})
    reason: str = ""
    account_id: int | None = Field(None, description="Staff: the Corporate account")


class FrequencyChangePayload(BaseModel):
    frequency: Literal[FREQUENCIES]  # type: ignore[valid-type]
    reason: str = ""


class FormRequestPayload(BaseModel):
    form: Literal[FORMS]  # type: ignore[valid-type]
    region: str = ""
    details: str = ""


class AccountInquiryPayload(BaseModel):
    topic: Literal[TOPICS]  # type: ignore[valid-type]
    invoice_id: int | None = Field(None, description="For an invoice question")
    message: str


class SubscriptionChangePayload(BaseModel):
    action: Literal[ACTIONS] = "change"  # type: ignore[valid-type]
    subscription_id: int | None = Field(None, description="Every action but add")
    plan: str | None = None
    seats: int | None = None
    period: str | None = None
    reason: str = ""


PAYLOADS: dict[RequestType, type[BaseModel]] = {
    RequestType.PO_EDIT: PoEditPayload,
    RequestType.QUOTE: QuotePayload,
    RequestType.CONTACT_CHANGE: ContactChangePayload,
    RequestType.FREQUENCY_CHANGE: FrequencyChangePayload,
    RequestType.FORM_REQUEST: FormRequestPayload,
    RequestType.ACCOUNT_INQUIRY: AccountInquiryPayload,
    RequestType.SUBSCRIPTION_CHANGE: SubscriptionChangePayload,
}
